/**
 * istiod: the control plane of one primary cluster. It watches its own API server and, through
 * remote secrets, other clusters' API servers across the network (mesh.md §1.2); merges their
 * endpoints into one registry; debounces changes (§1.6) into full or EDS-only pushes (§1.5); and
 * sends each connected proxy its config over the network, through a push queue throttled to a
 * number of concurrent pushes, keeping per proxy and type what it sent and what was acked (§2.2).
 */
import type { ApiServer } from "../../k8s/apiserver.js";
import { nodeInfo, RemoteWatch, type NodeInfo } from "../../k8s/remote-watch.js";
import { formatTimestamp } from "../../k8s/timestamp.js";
import type { BoundAddress } from "../../net/host.js";
import type { Network } from "../../net/network.js";
import type { Node } from "../../net/topology.js";
import { Actor, type ActorId, type Address, type Message } from "../../sim/actor.js";
import type { Timer } from "../../sim/scheduler.js";
import type { Sim } from "../../sim/sim.js";
import { MICROSECOND, SECOND, type Micros } from "../../sim/time.js";
import { Debouncer, mergePush, type DebounceOptions, type PushRequest } from "./debounce.js";
import { matchesLabels } from "../../k8s/labels.js";
import type { Subset } from "../../k8s/istio.js";
import { clusterPolicy, CONFIG_KINDS, ConfigStore, effectivePolicy, ENTRY_KIND, type ClusterPolicy } from "./config.js";
import { compactPriorities, distributeWeights, failoverPriority, formatLocality, localityPriority } from "./locality.js";
import { nameTable, type ServiceView } from "./name-table.js";
import { portMtls, type InboundMtls } from "./mtls.js";
import { ServiceRegistry, WATCHED_KINDS, type MeshEndpoint } from "./registry.js";
import { splitHorizon } from "./split-horizon.js";
import { clusterName, virtualHost } from "./routes.js";
import {
  XDS_ACK,
  XDS_CONNECT,
  XDS_RESPONSE,
  NDS,
  type ClusterResource,
  type ListenerResource,
  type LoadAssignment,
  type NameTableEntry,
  type ProxyMetadata,
  type RouteResource,
  type VirtualHostResource,
  type XdsAck,
  type UnsentResponse,
  type XdsType,
  type XdsTypeState,
} from "./xds.js";

declare module "../../sim/trace.js" {
  interface TraceEventMap {
    /** A debounced push began (summary level). */
    "istio.push": { istiod: string; full: boolean; services: number; proxies: number; reasons: string[] };
    /** A remote cluster's sync status changed (summary level). */
    "istio.cluster": { istiod: string; cluster: string; status: ClusterSyncStatus };
  }
}

/** `PILOT_REMOTE_CLUSTER_TIMEOUT`: how long a cluster may take to sync before it reports `timeout` (mesh.md §1.2). */
export const REMOTE_CLUSTER_TIMEOUT: Micros = 30 * SECOND;
/** The mesh's default upstream `connectTimeout` (mesh.md §3.1 `DefaultMeshConfig`). */
export const DEFAULT_MESH_CONNECT_TIMEOUT: Micros = 10 * SECOND;
/**
 * `PILOT_PUSH_THROTTLE` on a 4-CPU istiod: `min(15 + 5 × GOMAXPROCS, 100)` = 35 proxies pushed at
 * once (mesh.md §1.5).
 */
export const DEFAULT_PUSH_THROTTLE = 35;
/** The port istiod's watches of remote API servers send from. */
const REMOTE_WATCH_PORT = 20_000;
/** The address of a listener that matches every destination (Istio's `0.0.0.0:<port>` HTTP listeners). */
export const ANY_ADDRESS = "0.0.0.0";

/** A remote cluster's sync status, as `istioctl remote-clusters` prints it (mesh.md §1.2, §2.1). */
export type ClusterSyncStatus = "syncing" | "synced" | "timeout" | "closed";

/**
 * What istiod needs to watch a remote cluster: what a remote secret's key says (mesh.md §1.2: the
 * secret `istio-system/istio-remote-secret-<cluster>`, the API server its kubeconfig names). The
 * secret controller (`watchRemoteSecrets` in secrets.ts) makes these from Secrets labelled
 * `istio/multiCluster=true` and calls {@link Istiod.addRemoteCluster} and
 * {@link Istiod.removeRemoteCluster} as their keys come and go.
 */
export interface RemoteClusterSecret {
  /** The cluster ID (the secret's data key). */
  readonly cluster: string;
  /** `namespace/name` of the secret, as remote-clusters shows it. */
  readonly secretName: string;
  /**
   * The API server's address (what the kubeconfig's `server` names); undefined when it names no
   * API server, so that the cluster stays `syncing` and then times out, as one istiod cannot reach.
   */
  readonly server: Address | undefined;
  /** The Istio network of the cluster's endpoints. */
  readonly network: string;
}

/** Options of an {@link Istiod}. */
export interface IstiodOptions extends IstiodTuning {
  /** The cluster it runs in (its config cluster). */
  readonly cluster: string;
  readonly network: string;
  /** The pod name `istioctl` shows in the ISTIOD column. */
  readonly podName: string;
  readonly revision: string;
  readonly version: string;
  /** The cluster domain hostnames are made in. */
  readonly domain: string;
}

/** How an istiod pushes and balances: the settings a mesh passes to every istiod. */
export interface IstiodTuning {
  readonly debounce?: DebounceOptions;
  /** Concurrent proxy pushes (`PILOT_PUSH_THROTTLE`). */
  readonly pushThrottle?: number;
  /** Building the push context, before connections are queued (`pilot_pushcontext_init_seconds`). */
  readonly pushContextInit?: Micros;
  /** Generating one proxy's responses. */
  readonly generateTime?: Micros;
  /** The mesh's `connectTimeout` (default 10s, mesh.md §3.4). */
  readonly connectTimeout?: Micros;
  readonly remoteClusterTimeout?: Micros;
}

/** One cluster as `debug/clusterz` lists it (Istio's `cluster.DebugInfo`). */
export interface ClusterDebugInfo {
  readonly id: string;
  /** Empty for the config cluster. */
  readonly secretName: string;
  readonly syncStatus: ClusterSyncStatus;
}

/** One connected proxy as `debug/syncz` gives it. */
export interface ProxySyncInfo {
  readonly id: string;
  readonly cluster: string;
  readonly version: string;
  readonly istiod: string;
  /** Per subscribed type, in subscription order. */
  readonly types: ReadonlyMap<XdsType, Readonly<XdsTypeState>>;
}

/** What one istiod pod's debug endpoints answer: its name, revision, clusters and connected proxies. */
export interface IstiodDebug {
  readonly pod: string;
  readonly revision: string;
  readonly clusters: readonly ClusterDebugInfo[];
  readonly proxies: readonly ProxySyncInfo[];
}

interface ClusterEntry {
  readonly id: string;
  readonly secretName: string;
  synced: boolean;
  timedOut: boolean;
  closed: boolean;
  watch: RemoteWatch | undefined;
  stops: (() => void)[];
  timer: Timer<undefined> | undefined;
}

interface Connection {
  readonly meta: ProxyMetadata;
  readonly address: Address;
  readonly types: Map<XdsType, XdsTypeState>;
  /** Set while a push to it is queued or running (merged into by later pushes, mesh.md §1.5). */
  pending: PushRequest | undefined;
  running: boolean;
  /** Responses sent on the stream so far. */
  seq: number;
}

/** istiod of one primary cluster. */
export class Istiod extends Actor {
  readonly registry: ServiceRegistry;
  /** DestinationRules and VirtualServices of its own cluster. */
  readonly config: ConfigStore;
  readonly debouncer: Debouncer;
  private readonly clusters = new Map<string, ClusterEntry>();
  private readonly connections = new Map<string, Connection>();
  /** Proxies waiting for a push worker, in the order queued. */
  private readonly queue: Connection[] = [];
  private workers = 0;
  private nonces = 0;
  private pushVersion = 0;
  private nextWatchPort = REMOTE_WATCH_PORT;
  /** What {@link resourcesFor} built, by view, for the registry and config versions `viewsAt`. */
  private readonly views = new Map<string, ViewResources>();
  private viewsAt = "";
  /** Responses sent, by type, for tests and benchmarks. */
  readonly sent: Record<XdsType, number> = { CDS: 0, EDS: 0, LDS: 0, RDS: 0, ECDS: 0, NDS: 0 };

  constructor(
    sim: Sim,
    id: ActorId,
    private readonly network: Network,
    readonly options: IstiodOptions,
  ) {
    super(sim, id);
    this.registry = new ServiceRegistry(options.domain);
    this.config = new ConfigStore(options.domain);
    this.debouncer = new Debouncer(sim, (req, done) => this.push(req, done), options.debounce);
    this.handle<ProxyMetadata>(XDS_CONNECT, (m) => this.onConnect(m));
    this.handle<XdsAck>(XDS_ACK, (m) => this.onAck(m.body));
  }

  /**
   * Watches the config cluster's own API server (in-cluster, no secret): its services and
   * endpoints, and the Istio config only this cluster's is read for (a change of it is a full push).
   */
  addLocalCluster(api: ApiServer, nodes: readonly Node[]): void {
    const entry = this.newCluster(this.options.cluster, "");
    this.registry.addCluster(entry.id, this.options.network);
    this.registry.setNodes(entry.id, nodes.map(nodeInfo));
    let pending = WATCHED_KINDS.length + CONFIG_KINDS.length;
    const onSynced = () => {
      if (--pending === 0) this.clusterSynced(entry);
    };
    const watcher = `istiod/${this.options.cluster}`;
    for (const kind of WATCHED_KINDS) entry.stops.push(api.watch(kind, watcher, (e) => this.changed(this.registry.event(entry.id, kind, e)), { onSynced }));
    for (const kind of CONFIG_KINDS) {
      entry.stops.push(
        api.watch(
          kind,
          watcher,
          (e) => {
            this.config.event(kind, e);
            if (entry.synced) this.changed({ full: true, services: new Set(), reasons: ["config"] });
          },
          { onSynced },
        ),
      );
    }
    entry.stops.push(
      api.watch(ENTRY_KIND, watcher, (e) => {
        this.config.event(ENTRY_KIND, e);
        if (entry.synced) this.changed({ full: true, services: new Set(), reasons: ["config"] });
      }),
    );
  }

  /** Starts watching a remote cluster across the network (a remote secret was added, mesh.md §1.2). */
  addRemoteCluster(secret: RemoteClusterSecret): void {
    const entry = this.newCluster(secret.cluster, secret.secretName);
    this.registry.addCluster(entry.id, secret.network);
    if (secret.server === undefined) return;
    const watch = new RemoteWatch(this.sim, { cluster: this.id.cluster, namespace: this.id.namespace, name: `${this.id.name}/remote/${secret.cluster}` }, secret.server, WATCHED_KINDS, {
      relist: () => this.registry.relist(entry.id),
      nodes: (nodes: readonly NodeInfo[]) => this.registry.setNodes(entry.id, nodes),
      event: (kind, e) => this.changed(this.registry.event(entry.id, kind, e)),
      synced: () => this.clusterSynced(entry),
    });
    this.network.bind(watch, (this.address as BoundAddress).host, this.nextWatchPort++);
    entry.watch = watch;
    watch.start();
  }

  /**
   * Stops watching a remote cluster (its secret was deleted): its status is `closed`, its
   * endpoints are removed, and a forced full push follows (mesh.md §1.2).
   */
  removeRemoteCluster(cluster: string): void {
    const entry = this.clusters.get(cluster);
    if (!entry || entry.secretName === "") return;
    this.closeCluster(entry);
    this.clusters.delete(cluster);
    this.debouncer.update(this.registry.removeCluster(cluster));
  }

  /** The clusters as `debug/clusterz` lists them, in the order added. */
  clusterInfo(): ClusterDebugInfo[] {
    return [...this.clusters.values()].map((c) => ({ id: c.id, secretName: c.secretName, syncStatus: syncStatusOf(c) }));
  }

  /** The connected proxies as `debug/syncz` gives them, in the order they connected. */
  proxyInfo(): ProxySyncInfo[] {
    return [...this.connections.values()].map((c) => ({ id: c.meta.id, cluster: c.meta.cluster, version: c.meta.istioVersion, istiod: this.options.podName, types: c.types }));
  }

  /** Its debug endpoints' answers (`clusterz`, `syncz`), for `istioctl`. */
  debug(): IstiodDebug {
    return { pod: this.options.podName, revision: this.options.revision, clusters: this.clusterInfo(), proxies: this.proxyInfo() };
  }

  /** True while a change waits in the debouncer or a push is queued or running. */
  get pushing(): boolean {
    return this.debouncer.busy || this.queue.length > 0 || this.workers > 0;
  }

  /**
   * The responses a proxy would get now: its full config, or with `services` the EDS of those
   * (what an EDS-only push sends). Numbered in the stream when sent.
   */
  generate(meta: ProxyMetadata, services?: ReadonlySet<string>): UnsentResponse[] {
    const nonce = () => `${++this.nonces}`;
    const version = `${formatTimestamp(this.sim.now)}/${this.pushVersion}`;
    const r = this.resourcesFor(meta, services);
    const eds: UnsentResponse = { type: "EDS", nonce: nonce(), version, resources: r.assignments };
    if (services) return [eds];
    const full: UnsentResponse[] = [
      { type: "CDS", nonce: nonce(), version, resources: r.clusters },
      eds,
      { type: "LDS", nonce: nonce(), version, resources: r.listeners, inbound: r.inbound, ...(r.autoPassthrough ? { autoPassthrough: r.autoPassthrough } : {}) },
      { type: "RDS", nonce: nonce(), version, resources: r.routes },
    ];
    if (r.names) full.push({ type: NDS, nonce: nonce(), version, resources: r.names });
    return full;
  }

  /**
   * The resources of a proxy's view, built once per view while the registry and the config stay
   * as they are: a push sends the same to every proxy with the same cluster, namespace, network,
   * locality, labels and DNS options (all of a proxy that generating reads), so the 1,000 sidecars
   * of a Deployment share one build instead of making 1,000 equal ones.
   */
  private resourcesFor(meta: ProxyMetadata, services: ReadonlySet<string> | undefined): ViewResources {
    const at = `${this.registry.version}/${this.config.version}`;
    if (at !== this.viewsAt) {
      this.views.clear();
      this.viewsAt = at;
    }
    const key = `${viewKey(meta)}\n${services ? [...services].join(" ") : "*"}`;
    let r = this.views.get(key);
    if (!r) this.views.set(key, (r = this.build(meta, services)));
    return r;
  }

  /** A proxy's full config, or with `services` only the load assignments of those (an EDS-only push needs nothing else). */
  private build(meta: ProxyMetadata, services: ReadonlySet<string> | undefined): ViewResources {
    const clusters: ClusterResource[] = [];
    const assignments: LoadAssignment[] = [];
    const listeners: ListenerResource[] = [];
    const routes = new Map<number, VirtualHostResource[]>();
    const registered = this.registry.services();
    const entries = this.config.entryServices({ cluster: this.options.cluster, network: this.options.network }, meta.namespace);
    const views = this.serviceViews(meta, registered, entries);
    const portsOf = (h: string) => {
      const svc = registered.get(h)?.values().next().value;
      if (svc) return (svc.spec.ports ?? []).map((p) => p.port);
      return views.find((v) => v.host === h)?.ports.map((p) => p.port);
    };
    const connectTimeout = this.options.connectTimeout ?? DEFAULT_MESH_CONNECT_TIMEOUT;
    const wildcardPorts = new Set<number>();
    for (const view of views) {
      const { host, vips } = view;
      if (services && !services.has(host)) continue;
      const rule = this.config.destinationRule(host, meta.namespace);
      const subsets: (Subset | undefined)[] = [undefined, ...(rule?.spec.subsets ?? [])];
      for (const port of view.ports) {
        for (const subset of subsets) {
          const policy = clusterPolicy(effectivePolicy(rule, subset), connectTimeout);
          const name = clusterName(host, port.port, subset?.name);
          if (view.type !== "ORIGINAL_DST") assignments.push(this.assignment(meta, name, host, view.endpoints, port.name, subset?.labels, policy));
          if (services) continue;
          const { outlierDetection, panicThreshold, circuitBreakers } = policy;
          clusters.push({
            name,
            host,
            port: port.port,
            subset: subset?.name ?? "",
            type: view.type,
            lbPolicy: policy.lbPolicy,
            connectTimeout: policy.connectTimeout,
            panicThreshold,
            ...(outlierDetection ? { outlierDetection } : {}),
            ...(circuitBreakers ? { circuitBreakers } : {}),
            ...(policy.tlsMode ? { tlsMode: policy.tlsMode } : {}),
          });
        }
        if (services) continue;
        for (const address of vips) listeners.push({ address, port: port.port, cluster: clusterName(host, port.port) });
        // A ServiceEntry host without an address is matched by its Host header on the port's
        // 0.0.0.0 listener, as Istio's HTTP listeners match every address.
        if (!view.service && vips.length === 0 && !wildcardPorts.has(port.port)) {
          wildcardPorts.add(port.port);
          listeners.push({ address: ANY_ADDRESS, port: port.port, cluster: clusterName(host, port.port) });
        }
        let hosts = routes.get(port.port);
        if (!hosts) routes.set(port.port, (hosts = []));
        hosts.push(virtualHost(meta, { host, port: port.port, vips, vs: this.config.virtualService(host), portsOf, domain: this.options.domain, version: this.options.version }));
      }
    }
    return {
      clusters,
      assignments,
      listeners,
      routes: [...routes].map(([port, virtualHosts]): RouteResource => ({ name: String(port), virtualHosts })),
      ...(!services && meta.types.includes(NDS) ? { names: nameTable(meta, views) } : {}),
      inbound: this.config.inboundMtls({ namespace: meta.namespace, labels: meta.labels }),
      ...(meta.router ? { autoPassthrough: this.config.autoPassthroughPorts(meta.labels) } : {}),
    };
  }

  /**
   * The services a proxy gets config for: the Kubernetes services of every cluster (TCP ports;
   * the proxy's own cluster's cluster IP), then the ServiceEntry hosts it sees that are not
   * Kubernetes hostnames, with their addresses, else the one allocated for them when the proxy
   * asks for allocation (mesh.md §4).
   */
  private serviceViews(meta: ProxyMetadata, registered: ReturnType<ServiceRegistry["services"]>, entries: ReturnType<ConfigStore["entryServices"]>): ServiceView[] {
    const views: ServiceView[] = [];
    for (const [host, byCluster] of registered) {
      const first = byCluster.values().next().value!;
      // The proxy's cluster's Service; without one, another cluster's address (Istio's
      // DefaultAddress), so that a service only in a remote cluster has a listener (mesh.md §4).
      const svc = byCluster.get(meta.cluster) ?? [...byCluster.values()].find((s) => s.spec.clusterIP !== undefined && s.spec.clusterIP !== "None") ?? first;
      const vip = svc.spec.clusterIP;
      const ports = (first.spec.ports ?? []).filter((p) => (p.protocol ?? "TCP") === "TCP").map((p) => ({ port: p.port, name: p.name ?? "" }));
      const service = { namespace: svc.metadata.namespace ?? "default", name: svc.metadata.name, headless: vip === "None" };
      views.push({ host, ports, vips: vip && vip !== "None" ? [vip] : [], type: "EDS", endpoints: [...this.registry.endpoints(host).values()], service });
    }
    for (const s of entries.services) {
      if (registered.has(s.host)) continue;
      const allocated = meta.dnsAutoAllocate ? entries.allocated.get(`${s.namespace}/${s.host}`) : undefined;
      const vips = s.addresses.length > 0 ? s.addresses : allocated !== undefined ? [allocated] : [];
      views.push({ host: s.host, ports: s.ports, vips, type: s.type, endpoints: [s.endpoints] });
    }
    return views;
  }

  /**
   * One cluster's endpoints for one proxy: every shard's (only a subset's labels, for a subset's
   * cluster; for a gateway only its own network's that take mTLS, mesh.md §1.3), each marked with
   * whether it takes mTLS (§3.5), other networks' collapsed to their gateways by split-horizon EDS
   * (§1.4), placed as the cluster's locality settings say (mesh.md §1.4, §3.1): `distribute`
   * weights localities and drops those it does not name; otherwise priorities, which Istio
   * assigns only with outlier detection (else every endpoint is at 0 and traffic never leaves
   * it), by `failoverPriority` and then by locality with the `failover` rules.
   */
  private assignment(meta: ProxyMetadata, name: string, host: string, lists: readonly (readonly MeshEndpoint[])[], portName: string, subsetLabels: Readonly<Record<string, string>> | undefined, policy: ClusterPolicy): LoadAssignment {
    let eps: (Omit<MeshEndpoint, "ports" | "serviceAccount" | "sidecar"> & { port: number; mtls: boolean; weight?: number })[] = [];
    const namespace = host.split(".")[1]!;
    for (const list of lists) {
      for (const e of list) {
        const port = e.ports.get(portName);
        if (port === undefined || (subsetLabels && !matchesLabels(e.labels, subsetLabels))) continue;
        // Auto mTLS: a sidecar whose port its PeerAuthentication does not DISABLE (mesh.md §3.5).
        const mtls = e.sidecar && portMtls(this.config.inboundMtls({ namespace, labels: e.labels }), port) !== "DISABLE";
        // A gateway sees its own network's endpoints that take mTLS only (mesh.md §1.3).
        if (meta.router && (e.network !== meta.network || !mtls)) continue;
        eps.push({ address: e.address, port, locality: e.locality, cluster: e.cluster, network: e.network, labels: e.labels, mtls });
      }
    }
    if (!meta.router) eps = splitHorizon(meta.network, eps, this.registry.gateways()) ?? eps;
    const lb = policy.localityLb;
    if (lb?.enabled === false) return { cluster: name, endpoints: eps.map((e) => ({ ...e, priority: 0, healthy: true })) };
    if (lb?.distribute?.length) {
      const groups = new Map<string, { locality: MeshEndpoint["locality"]; size: number }>();
      for (const e of eps) {
        const g = groups.get(formatLocality(e.locality));
        if (g) g.size++;
        else groups.set(formatLocality(e.locality), { locality: e.locality, size: 1 });
      }
      const weights = distributeWeights(meta.locality, lb.distribute, [...groups.values()]);
      if (weights) {
        const byLocality = new Map([...groups.keys()].map((k, i) => [k, weights[i]!]));
        const endpoints = eps.flatMap((e) => {
          const localityWeight = byLocality.get(formatLocality(e.locality))!;
          return localityWeight > 0 ? [{ ...e, priority: 0, localityWeight, healthy: true }] : [];
        });
        return { cluster: name, endpoints };
      }
    }
    const keys = lb?.failoverPriority ?? [];
    const failover = lb?.failover ?? [];
    const proxy = { labels: meta.labels, locality: meta.locality, cluster: meta.cluster, network: meta.network };
    const raw = eps.map((e) => {
      if (!policy.outlierDetection) return 0;
      const byLabels = keys.length > 0 ? failoverPriority(keys, proxy, e) : 0;
      // failoverPriority alone replaces the locality order; with failover rules too, both compose (×5).
      const byLocality = keys.length === 0 || failover.length > 0 ? localityPriority(meta.locality, e.locality, failover) : 0;
      return byLabels * 5 + byLocality;
    });
    const priorities = compactPriorities(raw);
    return { cluster: name, endpoints: eps.map((e, i) => ({ ...e, priority: priorities[i]!, healthy: true })) };
  }

  private newCluster(id: string, secretName: string): ClusterEntry {
    const entry: ClusterEntry = { id, secretName, synced: false, timedOut: false, closed: false, watch: undefined, stops: [], timer: undefined };
    this.clusters.set(id, entry);
    const timeout = this.options.remoteClusterTimeout ?? REMOTE_CLUSTER_TIMEOUT;
    // 0 disables the timeout: istiod waits for the cluster however long it takes (mesh.md §1.2).
    if (timeout > 0) {
      entry.timer = this.sim.timer(timeout, () => {
        entry.timer = undefined;
        if (entry.synced || entry.closed) return;
        entry.timedOut = true;
        this.traceCluster(entry);
      });
    }
    this.traceCluster(entry);
    return entry;
  }

  private closeCluster(entry: ClusterEntry): void {
    entry.closed = true;
    entry.timer?.cancel();
    for (const stop of entry.stops) stop();
    entry.watch?.stop();
    if (entry.watch) this.network.unbind(entry.watch);
    this.traceCluster(entry);
  }

  private clusterSynced(entry: ClusterEntry): void {
    if (entry.closed) return;
    const first = !entry.synced;
    entry.synced = true;
    entry.timer?.cancel();
    entry.timer = undefined;
    if (first) this.traceCluster(entry);
    this.changed(this.registry.synced(entry.id));
  }

  private traceCluster(entry: ClusterEntry): void {
    if (this.sim.trace.summary) this.sim.trace.record("istio.cluster", { istiod: this.label, cluster: entry.id, status: syncStatusOf(entry) });
  }

  private changed(request: PushRequest | undefined): void {
    if (request) this.debouncer.update(request);
  }

  private onConnect(m: Message<ProxyMetadata>): void {
    const meta = m.body;
    const types = new Map<XdsType, XdsTypeState>(meta.types.map((t) => [t, { nonceSent: "", nonceAcked: "", lastError: "", lastSent: undefined }]));
    const conn: Connection = { meta, address: m.from, types, pending: undefined, running: false, seq: 0 };
    this.connections.delete(meta.id);
    this.connections.set(meta.id, conn);
    // A new stream's first requests are answered with everything, outside the debouncer.
    this.enqueue(conn, { full: true, services: new Set(), reasons: ["proxyrequest"] });
  }

  private onAck(ack: XdsAck): void {
    const state = this.connections.get(ack.proxy)?.types.get(ack.type);
    // An ACK of an older nonce than the last sent is stale: Istio ignores it.
    if (!state || ack.nonce !== state.nonceSent) return;
    if (ack.error !== undefined) state.lastError = ack.error;
    else {
      state.nonceAcked = ack.nonce;
      state.lastError = "";
    }
  }

  /** A debounced push: build the push context, queue every connection, then free the debouncer. */
  private push(request: PushRequest, done: () => void): void {
    this.pushVersion++;
    if (this.sim.trace.summary) {
      this.sim.trace.record("istio.push", { istiod: this.label, full: request.full, services: request.services.size, proxies: this.connections.size, reasons: [...request.reasons] });
    }
    this.sim.after(this.options.pushContextInit ?? 0, () => {
      for (const conn of this.connections.values()) this.enqueue(conn, request);
      done();
    });
  }

  private enqueue(conn: Connection, request: PushRequest): void {
    const queued = conn.pending !== undefined;
    conn.pending = mergePush(conn.pending, request);
    if (!queued && !conn.running) this.queue.push(conn);
    this.drain();
  }

  private drain(): void {
    const throttle = this.options.pushThrottle ?? DEFAULT_PUSH_THROTTLE;
    while (this.workers < throttle && this.queue.length > 0) {
      const conn = this.queue.shift()!;
      const request = conn.pending!;
      conn.pending = undefined;
      conn.running = true;
      this.workers++;
      this.sim.after(this.options.generateTime ?? 100 * MICROSECOND, () => {
        this.workers--;
        conn.running = false;
        if (this.connections.get(conn.meta.id) === conn) this.sendConfig(conn, request);
        // A push merged in while this one ran goes to the back of the queue (mesh.md §1.5).
        if (conn.pending) this.queue.push(conn);
        this.drain();
      });
    }
  }

  private sendConfig(conn: Connection, request: PushRequest): void {
    for (const response of this.generate(conn.meta, request.full ? undefined : request.services)) {
      const state = conn.types.get(response.type);
      if (!state) continue;
      state.nonceSent = response.nonce;
      state.lastSent = this.sim.now;
      this.sent[response.type]++;
      this.send(conn.address, XDS_RESPONSE, { ...response, seq: conn.seq++ });
    }
  }
}

/** The resources of one view of the mesh: shared by every proxy with that view, so never changed once built. */
interface ViewResources {
  readonly clusters: readonly ClusterResource[];
  readonly assignments: readonly LoadAssignment[];
  readonly listeners: readonly ListenerResource[];
  readonly routes: readonly RouteResource[];
  /** The name table (NDS), for a proxy with a DNS proxy. */
  readonly names?: readonly NameTableEntry[];
  /** The proxy's inbound mTLS, which LDS carries (mesh.md §3.5). */
  readonly inbound: InboundMtls;
  /** A gateway's AUTO_PASSTHROUGH ports (mesh.md §1.3). */
  readonly autoPassthrough?: readonly number[];
}

const viewKeys = new WeakMap<ProxyMetadata, string>();

/** What of a proxy generating its config reads, as a key (made once per proxy). */
function viewKey(meta: ProxyMetadata): string {
  let key = viewKeys.get(meta);
  if (key === undefined) {
    key = JSON.stringify([meta.cluster, meta.namespace, meta.network, meta.locality, meta.labels, meta.dnsAutoAllocate === true, meta.types.includes(NDS), meta.router === true]);
    viewKeys.set(meta, key);
  }
  return key;
}

/** Istio's precedence: closed, then timeout, then synced, then syncing (mesh.md §1.2 `SyncStatus`). */
function syncStatusOf(c: ClusterEntry): ClusterSyncStatus {
  if (c.closed) return "closed";
  if (c.timedOut) return "timeout";
  return c.synced ? "synced" : "syncing";
}
