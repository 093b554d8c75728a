/**
 * A pod's sidecar (Envoy with its pilot-agent), modelled as far as outbound calls need: it
 * connects to its istiod and keeps the clusters, endpoints, listeners and routes it is sent,
 * ACKing each response; and it takes the pod's outbound calls (iptables sends them to it, a
 * function call inside the pod), matches the address called to a listener, picks an endpoint by
 * Envoy's priority load over the locality priorities istiod assigned, with the cluster's panic
 * threshold and outlier detection (mesh.md §3.1–§3.3, `sidecar-outlier.ts`), and answers with
 * Envoy's response flags when it cannot get an answer: 503 UH with no healthy endpoint, 503 UF
 * when the connection fails, 503 UC when it is reset, 504 UT on a route timeout.
 *
 * Not modelled yet, each with its place: VirtualService routing (the listener match in
 * {@link Sidecar.request} is where routes will be looked up), mTLS, east-west gateways and DNS
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
import { formatLocality, hostSelection, pickLevel } from "./locality.js";
import { OutlierDetector, type AttemptOutcome, type OutlierPolicy } from "./sidecar-outlier.js";
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
  /** Outlier detection per cluster that has it (mesh.md §3.3). */
  private readonly detectors = new Map<string, OutlierDetector>();
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

  /**
   * Keeps a detector per cluster with outlier detection: an unchanged policy keeps its hosts'
   * state, as Envoy keeps a cluster whose config did not change; a changed one starts afresh.
   */
  private updateDetectors(): void {
    for (const [name, d] of [...this.detectors]) {
      const policy = this.clusters.get(name)?.outlierDetection;
      if (!policy || !samePolicy(policy, d.policy)) this.detectors.delete(name);
    }
    for (const c of this.clusters.values()) {
      if (c.outlierDetection && !this.detectors.has(c.name)) this.detectors.set(c.name, new OutlierDetector(c.outlierDetection, this.sim.now));
    }
  }

  /** Whether outlier detection has an endpoint of a cluster ejected now. */
  ejected(cluster: string, endpoint: LbEndpoint): boolean {
    return this.detectors.get(cluster)?.ejected(target(endpoint), this.sim.now) === true;
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
        this.updateDetectors();
        break;
      case "EDS":
        for (const a of r.resources) {
          if (!this.clusters.has(a.cluster)) continue;
          this.endpoints.set(a.cluster, a.endpoints);
          this.detectors.get(a.cluster)?.retain(new Set(a.endpoints.map(target)));
        }
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
      const upstream = target(endpoint);
      this.active.set(upstream, (this.active.get(upstream) ?? 0) + 1);
      const upstreamOptions: RequestOptions = {
        ...(options.method !== undefined ? { method: options.method } : {}),
        timeout: options.routeTimeout ?? options.timeout,
        connectTimeout: cluster.connectTimeout,
      };
      this.upstream.request(`http://${upstream}${parsed.path}`, upstreamOptions, (r) => {
        this.active.set(upstream, this.active.get(upstream)! - 1);
        this.detectors.get(cluster.name)?.record(upstream, outcomeOf(r), this.sim.now, this.endpoints.get(cluster.name)?.length ?? 0);
        if (r.status !== null) finish(r.status, undefined, undefined, upstream);
        else if (r.error === "timeout") finish(504, "timeout", "UT", upstream);
        else if (r.error === "reset") finish(503, "reset", "UC", upstream);
        else finish(503, r.error, "UF", upstream);
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
   * An endpoint of a cluster, as Envoy picks one (mesh.md §3.2): a priority level by its priority
   * load over the hosts that are healthy and not ejected, a level in panic taking all its hosts;
   * within the level a locality by its `distribute` weight scaled by its health, when it has one;
   * then the less loaded of two of the candidates drawn at random (LEAST_REQUEST, Istio's
   * default). Undefined when no host can be picked (503 UH).
   */
  pick(cluster: string): LbEndpoint | undefined {
    const all = this.endpoints.get(cluster) ?? [];
    const threshold = this.clusters.get(cluster)?.panicThreshold ?? 0;
    const levels: { hosts: LbEndpoint[]; healthy: LbEndpoint[] }[] = [];
    for (const e of all) {
      while (levels.length <= e.priority) levels.push({ hosts: [], healthy: [] });
      const level = levels[e.priority]!;
      level.hosts.push(e);
      if (e.healthy && !this.ejected(cluster, e)) level.healthy.push(e);
    }
    const selection = hostSelection(levels.map((l) => ({ healthy: l.healthy.length, total: l.hosts.length })), threshold);
    const chosen = pickLevel(selection.load, this.rng);
    if (chosen < 0) return undefined;
    const level = levels[chosen]!;
    const hosts = this.byLocalityWeight(selection.panic[chosen] ? level.hosts : level.healthy, level.hosts);
    if (hosts.length === 1) return hosts[0];
    const a = hosts[this.rng.int(hosts.length)]!;
    const b = hosts[this.rng.int(hosts.length)]!;
    const load = (e: LbEndpoint) => this.active.get(target(e)) ?? 0;
    return load(b) < load(a) ? b : a;
  }

  /**
   * The candidates of one locality, drawn by the locality's weight times its availability
   * (`min(1, 1.4 × healthy/total)`, Envoy's effective locality weight); all of them when the
   * endpoints carry no locality weight.
   */
  private byLocalityWeight(candidates: LbEndpoint[], levelHosts: readonly LbEndpoint[]): LbEndpoint[] {
    if (candidates[0]?.localityWeight === undefined) return candidates;
    const groups = new Map<string, { weight: number; total: number; hosts: LbEndpoint[] }>();
    for (const e of levelHosts) {
      const k = formatLocality(e.locality);
      const g = groups.get(k);
      if (g) g.total++;
      else groups.set(k, { weight: e.localityWeight ?? 0, total: 1, hosts: [] });
    }
    for (const e of candidates) groups.get(formatLocality(e.locality))!.hosts.push(e);
    const live = [...groups.values()].filter((g) => g.hosts.length > 0);
    const effective = live.map((g) => g.weight * Math.min(1, (1.4 * g.hosts.length) / g.total));
    let r = this.rng.next() * effective.reduce((a, b) => a + b, 0);
    for (let i = 0; i < live.length; i++) {
      r -= effective[i]!;
      if (r < 0) return live[i]!.hosts;
    }
    return live[live.length - 1]!.hosts;
  }
}

/** An endpoint as Envoy's `%UPSTREAM_HOST%` writes it: `ip:port`. */
function target(e: LbEndpoint): string {
  return `${e.address}:${e.port}`;
}

/** An attempt's result as outlier detection counts it (mesh.md §3.3). */
function outcomeOf(r: RequestResult): AttemptOutcome {
  if (r.status !== null) return { status: r.status };
  return { localError: r.error === "timeout" ? "timeout" : r.error === "reset" ? "reset" : "connect" };
}

function samePolicy(a: OutlierPolicy, b: OutlierPolicy): boolean {
  return (Object.keys(a) as (keyof OutlierPolicy)[]).every((k) => a[k] === b[k]);
}
