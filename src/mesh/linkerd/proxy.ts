/**
 * A meshed pod's Linkerd proxy (linkerd2-proxy), as far as outbound calls need: iptables hands
 * it the pod's calls (a function call inside the pod); it asks the destination controller about
 * the address called, and a Service's cluster IP gets the Service's ready endpoints, balanced by
 * peak-EWMA over the power of two choices (mesh.md §5). A gateway-mode mirror's endpoint is the
 * remote gateway, and the request then names the remote Service (`l5d-dst-canonical`, from the
 * mirror's `mirror.linkerd.io/remote-svc-fq-name`); a flat-mode mirror's endpoints are the remote
 * pods themselves (mesh.md §5.2). Connections to meshed peers are mTLS: a peer whose identity
 * does not chain to this proxy's trust anchor fails the handshake (502; `linkerd multicluster
 * check`'s "clusters share trust anchors").
 *
 * Linkerd's defaults, unlike Envoy's: no request timeout and no retries unless a route asks for
 * them, a 1s connect timeout, and fail-fast, a 503 at once, for a Service with no ready endpoint
 * (mesh.md §5.3, linkerd.io/2/common-errors/failfast). An address that is no Service's goes out
 * as it is.
 */
import { HttpClient, type HostResolver, type PendingRequest, type RequestOptions } from "../../http/client.js";
import { parseUrl, type ErrorKind, type RequestResult } from "../../http/message.js";
import type { TrafficSplitBackend } from "../../k8s/linkerd.js";
import type { Service } from "../../k8s/objects.js";
import type { Host } from "../../net/host.js";
import type { Network } from "../../net/network.js";
import type { ActorId } from "../../sim/actor.js";
import type { Rng } from "../../sim/rng.js";
import type { Sim } from "../../sim/sim.js";
import { EwmaBalancer } from "./balancer.js";
import type { Destination, Destinations } from "./destinations.js";
import { DST_HEADER } from "./gateway.js";
import { REMOTE_DISCOVERY_LABEL, REMOTE_FQ_NAME } from "./mirror.js";

/** The proxy's outbound port, where its upstream connections leave from. */
export const PROXY_OUTBOUND_PORT = 4140;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** What a proxy asks of its control plane. */
export interface ProxyContext {
  /** Its own cluster's destination controller. */
  readonly destinations: Destinations;
  /** The remote pods of a flat-mode mirror's port (the destination controller's remote discovery). */
  remoteTargets(mirror: Readonly<Service>, port: number): Destination | undefined;
  /** The trust anchor its identity chains to. */
  readonly trustAnchor: string;
  /** The trust anchor of the meshed proxy at an address (a pod's, a gateway's); undefined for an unmeshed one. */
  peerTrust(address: string): string | undefined;
}

/** The proxy of one pod. */
export class LinkerdProxy {
  private readonly upstream: HttpClient;
  private readonly balancer: EwmaBalancer;
  /** TrafficSplit draws, apart from endpoint picks. */
  private readonly routeRng: Rng;

  constructor(
    private readonly sim: Sim,
    id: ActorId,
    private readonly network: Network,
    readonly host: Host,
    /** The pod's identity (`default.<ns>.serviceaccount.identity.linkerd.cluster.local`). */
    readonly identity: string,
    private readonly context: ProxyContext,
  ) {
    this.upstream = new HttpClient(sim, { ...id, name: `${id.name}/linkerd-proxy` }, (_h, done) => done(undefined));
    this.balancer = new EwmaBalancer(sim, sim.rng.stream(`linkerd/${id.cluster}/${id.namespace}/${id.name}/lb`), this.upstream);
    this.routeRng = sim.rng.stream(`linkerd/${id.cluster}/${id.namespace}/${id.name}/route`);
  }

  /** Binds it to its pod's host. */
  start(): void {
    this.network.bind(this.upstream, this.host, PROXY_OUTBOUND_PORT);
  }

  /** The pod stopped. */
  stop(): void {
    this.network.unbind(this.upstream);
  }

  /**
   * Where a call to a Service goes: a TrafficSplit's backend drawn by weight when the Service is
   * a split's apex (none when every weight is 0), the remote pods of a flat-mode mirror, else the
   * Service's own endpoints.
   */
  private backendOf(local: Destination, port: number): Destination | undefined {
    const namespace = local.service.metadata.namespace ?? "default";
    const split = this.context.destinations.splitOf(namespace, local.service.metadata.name);
    let chosen: Destination | undefined = local;
    if (split) {
      const backend = drawBackend(split.spec.backends, this.routeRng);
      chosen = backend === undefined ? undefined : this.context.destinations.byName(namespace, backend, port);
    }
    if (chosen?.service.metadata.labels?.[REMOTE_DISCOVERY_LABEL] !== undefined) return this.context.remoteTargets(chosen.service, port);
    return chosen;
  }

  /** The pod's outbound call of `url`, through the proxy (see the module's comment). */
  request(url: string, options: RequestOptions, resolve: HostResolver, onDone?: (result: RequestResult) => void): PendingRequest {
    const parsed = parseUrl(url);
    const startedAt = this.sim.now;
    const call: { result: RequestResult | undefined; address: string | undefined } = { result: undefined, address: undefined };
    const finish = (status: number | null, error: ErrorKind | undefined, upstream?: string) => {
      if (call.result) return;
      deadline.cancel();
      call.result = {
        url,
        status,
        ...(error ? { error } : {}),
        ...(call.address !== undefined ? { address: call.address } : {}),
        ...(upstream !== undefined ? { upstream } : {}),
        startedAt,
        finishedAt: this.sim.now,
      };
      onDone?.(call.result);
    };
    const deadline = this.sim.timer(options.timeout, () => finish(null, "timeout"));
    const route = (ip: string) => {
      call.address = ip;
      const local = this.context.destinations.byClusterIp(ip, parsed.port);
      if (!local) {
        this.upstream.request(url, options, (r) => finish(r.status, r.error));
        return;
      }
      const destination = this.backendOf(local, parsed.port);
      const target = destination && this.balancer.pick(destination.targets);
      if (!target) {
        finish(503, "no-healthy-upstream");
        return;
      }
      const peer = this.context.peerTrust(target.address);
      if (peer !== undefined && peer !== this.context.trustAnchor) {
        finish(502, "tls", `${target.address}:${target.port}`);
        return;
      }
      const remote = destination.annotations[REMOTE_FQ_NAME];
      const headers = remote === undefined ? options.headers : { ...options.headers, [DST_HEADER]: `${remote}:${parsed.port}` };
      const method = options.method ?? "GET";
      this.balancer.forward(target, { method, path: parsed.path, timeout: options.timeout, ...(headers ? { headers } : {}) }, (status, error, upstream) => finish(status, error, upstream));
    };
    if (IPV4.test(parsed.host)) route(parsed.host);
    else {
      resolve(parsed.host, (found) => {
        if (call.result) return;
        if (found === undefined) finish(null, "dns");
        else route(found);
      });
    }
    return call;
  }
}

/** A backend drawn by weight; undefined when every weight is 0. */
function drawBackend(backends: readonly TrafficSplitBackend[], rng: Rng): string | undefined {
  const live = backends.filter((b) => b.weight > 0);
  if (live.length <= 1) return live[0]?.service;
  let r = rng.int(live.reduce((a, b) => a + b.weight, 0));
  for (const b of live) {
    r -= b.weight;
    if (r < 0) return b.service;
  }
  return live[live.length - 1]!.service;
}
