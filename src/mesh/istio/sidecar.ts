/**
 * A pod's sidecar (Envoy with its pilot-agent), modelled as far as outbound calls need: it
 * connects to its istiod and keeps the clusters, endpoints, listeners and routes it is sent,
 * ACKing each response; and it takes the pod's outbound calls (iptables sends them to it, a
 * function call inside the pod): it matches the address called to a listener and the Host
 * header to a virtual host, takes the first VirtualService route that matches (`sidecar-route.ts`),
 * injects its faults, draws a destination by weight, picks an endpoint by Envoy's priority load
 * over the locality priorities istiod assigned, with the cluster's panic threshold and outlier
 * detection (mesh.md §3.1–§3.3, `sidecar-outlier.ts`), and retries as the route's policy says
 * (§3.4, `sidecar-retry.ts`). It answers with Envoy's response flags when it cannot get an
 * answer: 503 UH with no healthy endpoint, 503 UF when the connection fails, 503 UC when it is
 * reset, 504 UT on a timeout, 404 NR with no route, 503 NC with no such cluster, URX when
 * retries ran out, DI and FI for injected faults.
 *
 * Not modelled yet, each with its place: ServiceEntry hosts (istiod's registry), mTLS, east-west
 * gateways and DNS proxying (the pod's resolver is still the one called).
 */
import { HttpClient, type HostResolver, type PendingRequest, type RequestOptions } from "../../http/client.js";
import { joinFlags, parseUrl, type ErrorKind, type RequestResult, type ResponseFlag } from "../../http/message.js";
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
import { routeMatches, type RouteRequest } from "./sidecar-route.js";
import { HOST_SELECTION_ATTEMPTS, retriable, retryBackoff, type AttemptFailure } from "./sidecar-retry.js";
import {
  XDS_ACK,
  XDS_CONNECT,
  XDS_RESPONSE,
  type ClusterResource,
  type FaultPolicy,
  type LbEndpoint,
  type ListenerResource,
  type ProxyMetadata,
  type RouteEntry,
  type RouteResource,
  type VirtualHostResource,
  type WeightedCluster,
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
  /** Whether outlier detection has an endpoint of a cluster ejected now (Envoy's OUTLIER CHECK). */
  readonly ejected: (cluster: string, endpoint: LbEndpoint) => boolean;
}

/**
 * One call in a sidecar's access log: what Envoy's access log line is made of (Istio's TEXT
 * format), recorded only while access logging is on (meshConfig `accessLogFile: /dev/stdout`).
 */
export interface AccessLogEntry {
  readonly startedAt: Micros;
  readonly method: string;
  readonly path: string;
  readonly authority: string;
  readonly userAgent: string | undefined;
  readonly result: RequestResult;
  /** The Envoy cluster the route picked (`outbound|80||web.shop.svc.cluster.local`), or PassthroughCluster. */
  readonly cluster: string | undefined;
}

/** How many access log lines a sidecar keeps: the last ones, as a container log rotated. */
export const MAX_ACCESS_LOG = 1_000;

/** How a call through the sidecar ends: its status, error kind and the flags of this step. */
type Finish = (status: number | null, error: ErrorKind | undefined, flags: readonly ResponseFlag[], upstream?: string) => void;

/** The sidecar of one pod. */
export class Sidecar extends Actor {
  private readonly upstream: HttpClient;
  private readonly rng: Rng;
  /** Route decisions (weighted destinations, fault draws, retry back-off), apart from endpoint picks. */
  private readonly routeRng: Rng;
  private readonly clusters = new Map<string, ClusterResource>();
  private readonly endpoints = new Map<string, readonly LbEndpoint[]>();
  private readonly listeners = new Map<string, ListenerResource>();
  private routes: readonly RouteResource[] = [];
  /** Requests in flight per endpoint, for the least-request pick. */
  private readonly active = new Map<string, number>();
  /** ROUND_ROBIN's next index, per cluster and priority (`cluster|priority`). */
  private readonly roundRobin = new Map<string, number>();
  /** Outlier detection per cluster that has it (mesh.md §3.3). */
  private readonly detectors = new Map<string, OutlierDetector>();
  private connected = false;
  /** The xDS stream's responses, in order. */
  private readonly stream = new InOrder();
  private reconnect: Timer<undefined> | undefined = undefined;
  private backoff = RECONNECT;
  /** Responses received, for tests. */
  received = 0;
  /** Its access log, oldest first; undefined while access logging is off (no cost then). */
  accessLog: AccessLogEntry[] | undefined = undefined;

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
    this.routeRng = sim.rng.stream(`sidecar/${this.label}/route`);
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
    return { clusters: this.clusters, endpoints: this.endpoints, listeners: this.listeners, routes: this.routes, ejected: (cluster, endpoint) => this.ejected(cluster, endpoint) };
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
   * resolver (`resolve`), the address and port matched to a listener, the Host header to a
   * virtual host of the port's routes, and the request to its first route that matches; the
   * route's faults are injected, a destination drawn by weight, and the request sent to an
   * endpoint of its cluster, retried as the route's policy says (mesh.md §3.4) within the
   * route's timeout. An address no listener has, or a Host no virtual host answers to, goes out
   * as it is (PassthroughCluster). `options.timeout` is the application's own limit; it ends the
   * call with no status.
   */
  request(url: string, options: RequestOptions, resolve: HostResolver, onDone?: (result: RequestResult) => void): PendingRequest {
    const parsed = parseUrl(url);
    const startedAt = this.sim.now;
    const call: { result: RequestResult | undefined; address: string | undefined; cluster: string | undefined } = { result: undefined, address: undefined, cluster: undefined };
    const flags: ResponseFlag[] = [];
    const finish = (status: number | null, error: ErrorKind | undefined, more: readonly ResponseFlag[], upstream?: string) => {
      if (call.result) return;
      deadline.cancel();
      const flag = joinFlags([...flags, ...more]);
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
      if (this.accessLog) {
        this.accessLog.push({ startedAt, method: options.method ?? "GET", path: parsed.path, authority: parsed.authority, userAgent: options.headers?.["user-agent"], result: call.result, cluster: call.cluster });
        if (this.accessLog.length > MAX_ACCESS_LOG) this.accessLog.shift();
      }
      onDone?.(call.result);
    };
    const deadline = this.sim.timer(options.timeout, () => finish(null, "timeout", []));
    const route = (ip: string) => {
      call.address = ip;
      const listener = this.listeners.get(`${ip}:${parsed.port}`);
      const vhost = listener && this.virtualHost(parsed.port, parsed.authority);
      if (!vhost) {
        call.cluster = "PassthroughCluster";
        this.upstream.request(url, options, (r) => finish(r.status, r.error, []));
        return;
      }
      const request: RouteRequest = { method: options.method ?? "GET", authority: parsed.authority, path: parsed.path, headers: options.headers ?? {} };
      const entry = vhost.routes.find((r) => routeMatches(r, request));
      if (!entry) {
        finish(404, undefined, ["NR"]);
        return;
      }
      this.injectFaults(entry.fault, flags, finish, () => {
        const cluster = this.clusters.get(this.drawDestination(entry.destinations));
        call.cluster = cluster?.name;
        if (!cluster) finish(503, undefined, ["NC"]);
        else this.attempts(cluster, entry, parsed.path, options, () => call.result !== undefined, finish);
      });
    };
    if (IPV4.test(parsed.host)) route(parsed.host);
    else {
      resolve(parsed.host, (found) => {
        if (call.result) return;
        if (found === undefined) finish(null, "dns", []);
        else route(found);
      });
    }
    return call;
  }

  /** The virtual host of a port's route configuration that answers to a Host header. */
  private virtualHost(port: number, authority: string): VirtualHostResource | undefined {
    const config = this.routes.find((r) => r.name === String(port));
    return config?.virtualHosts.find((v) => v.domains.includes(authority));
  }

  /**
   * Envoy's fault filter, before the router: a delay on `delay.percent` of requests (flag DI),
   * then an abort with its status on `abort.percent` of them (flag FI), each drawn on its own.
   */
  private injectFaults(fault: FaultPolicy | undefined, flags: ResponseFlag[], finish: Finish, next: () => void): void {
    const abortOrGo = () => {
      if (fault?.abort && this.percentDraw(fault.abort.percent)) finish(fault.abort.status, undefined, ["FI"]);
      else next();
    };
    if (fault?.delay && this.percentDraw(fault.delay.percent)) {
      flags.push("DI");
      this.sim.after(fault.delay.fixedDelay, abortOrGo);
    } else abortOrGo();
  }

  /** True on `percent` of draws, in Envoy's millionths (fractions of a percent allowed). */
  private percentDraw(percent: number): boolean {
    return this.routeRng.int(1_000_000) < Math.round(percent * 10_000);
  }

  /** A route's destination cluster, drawn by weight (a lone destination takes everything). */
  private drawDestination(destinations: readonly WeightedCluster[]): string {
    const total = destinations.reduce((a, d) => a + d.weight, 0);
    if (destinations.length === 1 || total <= 0) return destinations[0]!.cluster;
    let r = this.routeRng.int(total);
    for (const d of destinations) {
      r -= d.weight;
      if (r < 0) return d.cluster;
    }
    return destinations[destinations.length - 1]!.cluster;
  }

  /**
   * The router's attempts at a cluster: each to an endpoint picked afresh, avoiding the hosts
   * already tried (Envoy's `previous_hosts`) and, with `retryRemoteLocalities`, their
   * priorities; a retriable outcome retried after Envoy's back-off while retries remain, the
   * last one's answer flagged URX when retries ran out (mesh.md §3.4). The route timeout spans
   * every attempt and ends the call with 504 UT; a per-try timeout ends one attempt.
   */
  private attempts(cluster: ClusterResource, entry: RouteEntry, path: string, options: RequestOptions, ended: () => boolean, finish: Finish): void {
    const policy = entry.retry;
    const tried = new Set<string>();
    const priorities = new Set<number>();
    let retries = 0;
    let last: string | undefined;
    const routeTimer = entry.timeout !== undefined ? this.sim.timer(entry.timeout, () => finish(504, "timeout", ["UT"], last)) : undefined;
    const end: Finish = (status, error, more, upstream) => {
      routeTimer?.cancel();
      finish(status, error, more, upstream);
    };
    const attempt = () => {
      if (ended()) return;
      const endpoint = this.pick(cluster.name, tried, policy.retryRemoteLocalities ? priorities : undefined);
      if (!endpoint) {
        end(503, "no-healthy-upstream", ["UH"], last);
        return;
      }
      const upstream = target(endpoint);
      tried.add(upstream);
      priorities.add(endpoint.priority);
      last = upstream;
      this.active.set(upstream, (this.active.get(upstream) ?? 0) + 1);
      const upstreamOptions: RequestOptions = {
        ...(options.method !== undefined ? { method: options.method } : {}),
        ...(options.headers !== undefined ? { headers: options.headers } : {}),
        timeout: policy.perTryTimeout ?? options.timeout,
        connectTimeout: cluster.connectTimeout,
      };
      this.upstream.request(`http://${upstream}${path}`, upstreamOptions, (r) => {
        this.active.set(upstream, this.active.get(upstream)! - 1);
        this.detectors.get(cluster.name)?.record(upstream, outcomeOf(r), this.sim.now, this.endpoints.get(cluster.name)?.length ?? 0);
        if (ended()) return;
        const failure: AttemptFailure = r.status !== null ? { status: r.status } : { reset: r.error === "timeout" ? "timeout" : r.error === "reset" ? "reset" : "connect-failure" };
        const retry = policy.numRetries > 0 && retriable(policy, failure);
        if (retry && retries < policy.numRetries) {
          retries++;
          this.sim.after(retryBackoff(retries, this.routeRng), attempt);
          return;
        }
        const urx: ResponseFlag[] = retry ? ["URX"] : [];
        if (r.status !== null) end(r.status, undefined, urx, upstream);
        else if (r.error === "timeout") end(504, "timeout", ["UT", ...urx], upstream);
        else if (r.error === "reset") end(503, "reset", ["UC", ...urx], upstream);
        else end(503, r.error, ["UF", ...urx], upstream);
      });
    };
    attempt();
  }

  /**
   * An endpoint of a cluster, as Envoy picks one (mesh.md §3.2): a priority level by its priority
   * load over the hosts that are healthy and not ejected, a level in panic taking all its hosts;
   * within the level a locality by its `distribute` weight scaled by its health, when it has one;
   * then a candidate by the cluster's load balancer: the less loaded of two drawn at random
   * (LEAST_REQUEST, Istio's default), the next in turn (ROUND_ROBIN) or any (RANDOM). Undefined
   * when no host can be picked (503 UH).
   */
  pick(cluster: string, tried?: ReadonlySet<string>, triedPriorities?: ReadonlySet<number>): LbEndpoint | undefined {
    let picked = this.pickOnce(cluster, triedPriorities);
    // Envoy's previous_hosts predicate: a retry re-picks a host it tried, up to 5 times in all.
    for (let i = 1; tried && picked && tried.has(target(picked)) && i < HOST_SELECTION_ATTEMPTS; i++) picked = this.pickOnce(cluster, triedPriorities);
    return picked;
  }

  private pickOnce(cluster: string, triedPriorities: ReadonlySet<number> | undefined): LbEndpoint | undefined {
    const all = this.endpoints.get(cluster) ?? [];
    const threshold = this.clusters.get(cluster)?.panicThreshold ?? 0;
    const levels: { hosts: LbEndpoint[]; healthy: LbEndpoint[] }[] = [];
    for (const e of all) {
      while (levels.length <= e.priority) levels.push({ hosts: [], healthy: [] });
      const level = levels[e.priority]!;
      level.hosts.push(e);
      if (e.healthy && !this.ejected(cluster, e)) level.healthy.push(e);
    }
    const health = levels.map((l) => ({ healthy: l.healthy.length, total: l.hosts.length }));
    // Envoy's previous_priorities counts the priorities tried as unhealthy, unless that leaves none.
    const avoiding = triedPriorities ? health.map((h, i) => (triedPriorities.has(i) ? { healthy: 0, total: h.total } : h)) : health;
    const selection = hostSelection(avoiding.some((h) => h.healthy > 0) ? avoiding : health, threshold);
    const chosen = pickLevel(selection.load, this.rng);
    if (chosen < 0) return undefined;
    const level = levels[chosen]!;
    const hosts = this.byLocalityWeight(selection.panic[chosen] ? level.hosts : level.healthy, level.hosts);
    if (hosts.length === 1) return hosts[0];
    const policy = this.clusters.get(cluster)?.lbPolicy;
    if (policy === "RANDOM") return hosts[this.rng.int(hosts.length)];
    if (policy === "ROUND_ROBIN") {
      const key = `${cluster}|${chosen}`;
      const next = this.roundRobin.get(key) ?? 0;
      this.roundRobin.set(key, next + 1);
      return hosts[next % hosts.length];
    }
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
