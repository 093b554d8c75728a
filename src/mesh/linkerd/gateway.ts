/**
 * The `linkerd-gateway` of a target cluster (mesh.md §5.2): a proxy behind a LoadBalancer Service
 * in `linkerd-multicluster`, taking requests for the cluster's exported Services on port 4143
 * (`mc-gateway`) and answering the service mirrors' probes on 4191 (`mc-probe`, `GET /ready`).
 * A request names its Service in the `l5d-dst-canonical` header (`web.default.svc.cluster.local:80`),
 * as the client proxy sends it; the gateway resolves it with its own cluster's destination
 * controller and balances over the ready endpoints as any proxy does.
 *
 * The cloud load balancer in front of the pod is a host of its own outside the clusters, at the
 * Link's `gatewayAddress`, where the gateway's listeners are bound while the pod runs: the
 * simulated network carries replies to another network's pods only from hosts outside the
 * clusters, as a load balancer's connection tracking does. Black-holing that host (a partition)
 * or stopping the pod (its listeners gone, connections refused) are the two ways a gateway fails.
 */
import { HttpClient } from "../../http/client.js";
import { HTTP_REQUEST, HTTP_RESPONSE, TCP_RST, TCP_SYN, TCP_SYNACK, type RequestBody, type ResponseBody, type SegmentBody, type SynAckBody } from "../../http/message.js";
import type { Host } from "../../net/host.js";
import type { Network } from "../../net/network.js";
import { Actor, type ActorId, type Message } from "../../sim/actor.js";
import type { Sim } from "../../sim/sim.js";
import { MINUTE } from "../../sim/time.js";
import { EwmaBalancer } from "./balancer.js";
import type { Destinations } from "./destinations.js";

/** The gateway's proxy port (`mc-gateway`). */
export const GATEWAY_PORT = 4143;
/** The gateway's probe port (`mc-probe`), answering `GET /ready`. */
export const PROBE_PORT = 4191;
/** The probe's path. */
export const PROBE_PATH = "/ready";
/** The header the client proxy names the remote Service in. */
export const DST_HEADER = "l5d-dst-canonical";
/** The port the gateway's own outbound connections leave from (the proxy's outbound port). */
const OUTBOUND_PORT = 4140;
/**
 * How long the gateway waits for the Service's answer: Linkerd sets no request timeout by
 * default, so the client's own limit is what ends a slow call; this only bounds the gateway's state.
 */
const UPSTREAM_LIMIT = 5 * MINUTE;

/** `name.namespace.svc.domain:port` as the header carries it. */
const CANONICAL = /^([a-z0-9-]+)\.([a-z0-9-]+)\.svc\.[^:]+:(\d+)$/;

/**
 * One listener of the gateway pod: the proxy port or the probe port. Either answers a SYN from
 * the address it was sent to (the load balancer's), so that a client in another network keeps
 * sending through the load balancer rather than to the pod's own address.
 */
export class LinkerdGateway extends Actor {
  private readonly balancer: EwmaBalancer | undefined;
  private readonly upstream: HttpClient | undefined;
  /** Requests proxied and probes answered, for tests. */
  readonly served = { requests: 0, probes: 0 };

  constructor(
    sim: Sim,
    id: ActorId,
    private readonly network: Network,
    /** Where it listens: the load balancer's host. */
    private readonly host: Host,
    /** Where its own connections to the cluster's pods leave from: the gateway pod's. */
    private readonly podHost: Host,
    private readonly mode: "proxy" | "probe",
    private readonly destinations: Destinations,
  ) {
    super(sim, id);
    if (mode === "proxy") {
      this.upstream = new HttpClient(sim, { ...id, name: `${id.name}/outbound` }, (_h, done) => done(undefined));
      this.balancer = new EwmaBalancer(sim, sim.rng.stream(`linkerd/${this.label}/lb`), this.upstream);
    }
    this.handle<SegmentBody>(TCP_SYN, (m) => this.reply(m, TCP_SYNACK, { conn: m.body.conn, server: m.via ?? this.address! } satisfies SynAckBody));
    this.handle<RequestBody>(HTTP_REQUEST, (m) => (this.mode === "probe" ? this.probe(m) : this.proxy(m)));
  }

  /** Listens on its port (and the proxy's outbound port). */
  start(): void {
    this.network.bind(this, this.host, this.mode === "proxy" ? GATEWAY_PORT : PROBE_PORT);
    if (this.upstream) this.network.bind(this.upstream, this.podHost, OUTBOUND_PORT);
  }

  /** The pod stopped. */
  stop(): void {
    this.network.unbind(this);
    if (this.upstream) this.network.unbind(this.upstream);
  }

  private probe(m: Message<RequestBody>): void {
    this.served.probes++;
    this.reply(m, HTTP_RESPONSE, { conn: m.body.conn, status: m.body.request.path === PROBE_PATH ? 200 : 404 } satisfies ResponseBody);
  }

  private proxy(m: Message<RequestBody>): void {
    this.served.requests++;
    const request = m.body.request;
    const dst = CANONICAL.exec(request.headers?.[DST_HEADER] ?? "");
    const destination = dst ? this.destinations.byName(dst[2]!, dst[1]!, Number(dst[3])) : undefined;
    const target = destination && this.balancer!.pick(destination.targets);
    if (!target) {
      // No such Service, or none of its endpoints ready: the gateway's proxy fails fast.
      this.reply(m, HTTP_RESPONSE, { conn: m.body.conn, status: 503 } satisfies ResponseBody);
      return;
    }
    this.balancer!.forward(target, { method: request.method, path: request.path, timeout: UPSTREAM_LIMIT }, (status) => {
      if (!this.transport) return;
      if (status === null) this.reply(m, TCP_RST, { conn: m.body.conn } satisfies SegmentBody);
      else this.reply(m, HTTP_RESPONSE, { conn: m.body.conn, status } satisfies ResponseBody);
    });
  }
}
