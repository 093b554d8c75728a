/**
 * A pod's sidecar (Envoy with its pilot-agent), modelled as far as outbound calls need: it
 * connects to its istiod and keeps the clusters, endpoints, listeners and routes it is sent,
 * ACKing each response; and it takes the pod's outbound calls (iptables sends them to it, a
 * function call inside the pod), matches the address called to a listener, picks an endpoint by
 * Envoy's priority load over the locality priorities istiod assigned (mesh.md §3.1, §3.2), and
 * answers with Envoy's response flags when it cannot get an answer: 503 UH with no healthy
 * endpoint, 503 UF when the connection fails, 503 UC when it is reset, 504 UT on a route timeout.
 *
 * Not modelled yet, each with its place: VirtualService routing and DestinationRule policies
 * (the listener match in {@link Sidecar.request} is where routes will be looked up), outlier
 * detection (a host's `ejected` health in {@link Sidecar.pick}), mTLS, east-west gateways and DNS
 * proxying (the pod's resolver is still the one called).
 */
import { HttpClient, type HostResolver, type PendingRequest, type RequestOptions } from "../../http/client.js";
import { parseUrl, type ErrorKind, type RequestResult, type ResponseFlag } from "../../http/message.js";
import type { Host } from "../../net/host.js";
import { InOrder } from "../../net/in-order.js";
import type { Network } from "../../net/network.js";
import { Actor, type ActorId, type Address } from "../../sim/actor.js";
import type { Rng } from "../../sim/rng.js";
import type { Timer } from "../../sim/scheduler.js";
import type { Sim } from "../../sim/sim.js";
import { SECOND, type Micros } from "../../sim/time.js";
import { pickLevel, priorityLoad } from "./locality.js";
import {
  XDS_ACK,
  XDS_CONNECT,
  XDS_RESPONSE,
  type ClusterResource,
  type LbEndpoint,
  type ListenerResource,
  type ProxyMetadata,
  type RouteResource,
  type XdsAck,
  type XdsResponse,
} from "./xds.js";

/** The port the sidecar's xDS stream uses (Envoy's admin port). */
export const SIDECAR_XDS_PORT = 15000;
/** The port its upstream connections leave from (Envoy's outbound capture port). */
export const SIDECAR_OUTBOUND_PORT = 15001;
/** The first wait before a connect to istiod is sent again; it doubles up to 30s (Envoy's xDS backoff). */
const RECONNECT: Micros = SECOND;
const RECONNECT_MAX: Micros = 30 * SECOND;
const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

/** What a sidecar knows: its config as last received, for tests and `istioctl proxy-config`. */
export interface SidecarView {
  readonly clusters: ReadonlyMap<string, ClusterResource>;
  readonly endpoints: ReadonlyMap<string, readonly LbEndpoint[]>;
  readonly listeners: ReadonlyMap<string, ListenerResource>;
  readonly routes: readonly RouteResource[];
}

/** Options of one outbound call through a sidecar. */
export interface SidecarRequestOptions extends RequestOptions {
  /** The route's timeout (a VirtualService `timeout`); none by default, as Istio sets none. */
  readonly routeTimeout?: Micros;
}

/** The sidecar of one pod. */
export class Sidecar extends Actor {
  private readonly upstream: HttpClient;
  private readonly rng: Rng;
  private readonly clusters = new Map<string, ClusterResource>();
  private readonly endpoints = new Map<string, readonly LbEndpoint[]>();
  private readonly listeners = new Map<string, ListenerResource>();
  private routes: readonly RouteResource[] = [];
  /** Requests in flight per endpoint, for the least-request pick. */
  private readonly active = new Map<string, number>();
  private connected = false;
  /** The xDS stream's responses, in order. */
  private readonly stream = new InOrder();
  private reconnect: Timer<undefined> | undefined = undefined;
  private backoff = RECONNECT;
  /** Responses received, for tests. */
  received = 0;

  constructor(
    sim: Sim,
    id: ActorId,
    private readonly network: Network,
    readonly host: Host,
    readonly meta: ProxyMetadata,
    private readonly istiod: Address,
  ) {
    super(sim, id);
    this.rng = sim.rng.stream(`sidecar/${this.label}/lb`);
    this.upstream = new HttpClient(sim, { ...id, name: `${id.name}/istio-proxy` }, (_host, done) => done(undefined));
    this.handle<XdsResponse>(XDS_RESPONSE, (m) => this.stream.arrive(m.body.seq, () => this.onResponse(m.body)));
  }

  /** Binds it to its pod's host and connects to istiod. */
  start(): void {
    this.network.bind(this, this.host, SIDECAR_XDS_PORT);
    this.network.bind(this.upstream, this.host, SIDECAR_OUTBOUND_PORT);
    this.connect();
  }

  /** The pod stopped. */
  stop(): void {
    this.reconnect?.cancel();
    this.network.unbind(this);
    this.network.unbind(this.upstream);
  }

  /** Its config as last received. */
  view(): SidecarView {
    return { clusters: this.clusters, endpoints: this.endpoints, listeners: this.listeners, routes: this.routes };
  }

  private connect(): void {
    if (this.connected || !this.transport) return;
    // Each connect opens a new stream on istiod, numbered from 0.
    this.stream.reset();
    this.send(this.istiod, XDS_CONNECT, this.meta);
    this.reconnect = this.sim.timer(this.backoff, () => {
      this.backoff = Math.min(RECONNECT_MAX, this.backoff * 2);
      this.connect();
    });
  }

  private onResponse(r: XdsResponse): void {
    this.received++;
    if (!this.connected) {
      this.connected = true;
      this.reconnect?.cancel();
    }
    switch (r.type) {
      case "CDS":
        this.clusters.clear();
        for (const c of r.resources) this.clusters.set(c.name, c);
        for (const name of [...this.endpoints.keys()]) if (!this.clusters.has(name)) this.endpoints.delete(name);
        break;
      case "EDS":
        for (const a of r.resources) if (this.clusters.has(a.cluster)) this.endpoints.set(a.cluster, a.endpoints);
        break;
      case "LDS":
        this.listeners.clear();
        for (const l of r.resources) this.listeners.set(`${l.address}:${l.port}`, l);
        break;
      case "RDS":
        this.routes = r.resources;
        break;
    }
    this.send(this.istiod, XDS_ACK, { proxy: this.meta.id, type: r.type, nonce: r.nonce } satisfies XdsAck);
  }

  /**
   * The pod's outbound call of `url`, through the sidecar: the host is looked up with the pod's
   * resolver (`resolve`), the address and port matched to a listener, and the request sent to an
   * endpoint of its cluster; an address no listener has goes out as it is (PassthroughCluster).
   * `options.timeout` is the application's own limit; it ends the call with no status.
   */
  request(url: string, options: SidecarRequestOptions, resolve: HostResolver, onDone?: (result: RequestResult) => void): PendingRequest {
    const parsed = parseUrl(url);
    const startedAt = this.sim.now;
    const call: { result: RequestResult | undefined; address: string | undefined } = { result: undefined, address: undefined };
    const finish = (status: number | null, error: ErrorKind | undefined, flag: ResponseFlag | undefined, upstream?: string) => {
      if (call.result) return;
      deadline.cancel();
      call.result = {
        url,
        status,
        ...(error ? { error } : {}),
        ...(flag ? { flag } : {}),
        ...(call.address !== undefined ? { address: call.address } : {}),
        ...(upstream !== undefined ? { upstream } : {}),
        startedAt,
        finishedAt: this.sim.now,
      };
      onDone?.(call.result);
    };
    const deadline = this.sim.timer(options.timeout, () => finish(null, "timeout", undefined));
    const route = (ip: string) => {
      call.address = ip;
      const listener = this.listeners.get(`${ip}:${parsed.port}`);
      const cluster = listener && this.clusters.get(listener.cluster);
      if (!cluster) {
        this.upstream.request(url, options, (r) => finish(r.status, r.error, undefined));
        return;
      }
      const endpoint = this.pick(cluster.name);
      if (!endpoint) {
        finish(503, "no-healthy-upstream", "UH");
        return;
      }
      const target = `${endpoint.address}:${endpoint.port}`;
      this.active.set(target, (this.active.get(target) ?? 0) + 1);
      const upstreamOptions: RequestOptions = {
        ...(options.method !== undefined ? { method: options.method } : {}),
        timeout: options.routeTimeout ?? options.timeout,
        connectTimeout: cluster.connectTimeout,
      };
      this.upstream.request(`http://${target}${parsed.path}`, upstreamOptions, (r) => {
        this.active.set(target, this.active.get(target)! - 1);
        if (r.status !== null) finish(r.status, undefined, undefined, target);
        else if (r.error === "timeout") finish(504, "timeout", "UT", target);
        else if (r.error === "reset") finish(503, "reset", "UC", target);
        else finish(503, r.error, "UF", target);
      });
    };
    if (IPV4.test(parsed.host)) route(parsed.host);
    else {
      resolve(parsed.host, (found) => {
        if (call.result) return;
        if (found === undefined) finish(null, "dns", undefined);
        else route(found);
      });
    }
    return call;
  }

  /**
   * An endpoint of a cluster: a priority level by Envoy's priority load (mesh.md §3.2), then the
   * less loaded of two of its healthy hosts drawn at random (LEAST_REQUEST, Istio's default).
   * Undefined when no level has a healthy host.
   */
  pick(cluster: string): LbEndpoint | undefined {
    const all = this.endpoints.get(cluster) ?? [];
    const levels: { healthy: LbEndpoint[]; total: number }[] = [];
    for (const e of all) {
      while (levels.length <= e.priority) levels.push({ healthy: [], total: 0 });
      const level = levels[e.priority]!;
      level.total++;
      if (e.healthy) level.healthy.push(e);
    }
    const chosen = pickLevel(
      priorityLoad(levels.map((l) => ({ healthy: l.healthy.length, total: l.total }))),
      this.rng,
    );
    if (chosen < 0) return undefined;
    const hosts = levels[chosen]!.healthy;
    if (hosts.length === 1) return hosts[0];
    const a = hosts[this.rng.int(hosts.length)]!;
    const b = hosts[this.rng.int(hosts.length)]!;
    const load = (e: LbEndpoint) => this.active.get(`${e.address}:${e.port}`) ?? 0;
    return load(b) < load(a) ? b : a;
  }
}
