/**
 * The MCS controller as actors on the simulated network (KEP-1645, mcs.md §1): an agent in each
 * member cluster and a hub that holds the clusterset's exports. Agents sync with the hub every
 * `syncPeriod` (a request and its reply, as an informer's watch on a broker or hub is): they send
 * what changed in their exports, and get back what changed in the imports. The sync renews the
 * agent's lease: a cluster the hub has not heard from for `leaseDuration` loses its endpoints
 * everywhere, and an agent that has not heard from the hub for as long drops every remote
 * endpoint it imported, as the KEP's "Endpoint TTL" recommends.
 */
import { ApiError, deepFreeze, type ApiServer } from "../k8s/apiserver.js";
import { stableHash } from "../k8s/names.js";
import type { Condition, EndpointSlice, Service, ServiceExport, ServiceImport } from "../k8s/objects.js";
import { formatTimestamp, parseTimestamp } from "../k8s/timestamp.js";
import { Actor, type Address, type Message } from "../sim/actor.js";
import { sample } from "../sim/distribution.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import type { Micros } from "../sim/time.js";
import { aggregate, type AggregateImport, type ExportRecord } from "./aggregate.js";
import type { McsProfile } from "./profiles.js";

declare module "../sim/trace.js" {
  interface TraceEventMap {
    /** The hub published a changed import (summary level). */
    "mcs.import": { namespace: string; name: string; clusters: string[]; version: number };
    /** The hub let a cluster's lease expire, or an agent lost the hub (summary level). */
    "mcs.lease": { cluster: string; holder: string; expired: boolean };
  }
}

/** The port agents and the hub talk on. */
export const MCS_PORT = 8443;

/** The labels of imported EndpointSlices (mcs.md §1.5). */
export const SERVICE_NAME_LABEL = "multicluster.kubernetes.io/service-name";
export const SOURCE_CLUSTER_LABEL = "multicluster.kubernetes.io/source-cluster";
/** The ServiceImport annotation naming its derived Service (mcs-api's reference controller). */
export const DERIVED_SERVICE_ANNOTATION = "multicluster.kubernetes.io/derived-service";
/** Lighthouse's per-export opt-in to a clusterset IP (mcs.md §5.2). */
export const USE_CLUSTERSET_IP_ANNOTATION = "lighthouse.submariner.io/use-clusterset-ip";

/** What the hub holds for one name: the import, or nothing while it has no exports. */
interface ImportState {
  readonly namespace: string;
  readonly name: string;
  readonly import: AggregateImport | null;
  /** Each exporter's record, for the imported slices. */
  readonly records: readonly ExportRecord[];
  /** Ask for a clusterset IP (profile, or Lighthouse's annotation on any export). */
  readonly clustersetIp: boolean;
  /**
   * The imported EndpointSlices every member writes for this name, one per source cluster:
   * built once here and frozen, so that the members' API servers share them.
   */
  readonly slices: readonly Readonly<EndpointSlice>[];
  /** The ServiceImport's ports and `status.clusters`, frozen and shared the same way. */
  readonly ports: ServiceImport["spec"]["ports"];
  readonly statusClusters: NonNullable<ServiceImport["status"]>["clusters"];
}

interface SyncRequest {
  readonly cluster: string;
  /** The sequence of this agent's changes; the hub acknowledges the last it applied. */
  readonly sequence: number;
  /** Changes by `namespace/name`: a record, or null when the cluster stopped exporting it. */
  readonly changes: readonly (readonly [string, ExportRecord | null])[];
  /** Replace everything the hub holds for this cluster (after the hub forgot it). */
  readonly full: boolean;
  /** The last hub version the agent has applied. */
  readonly seen: number;
}

interface SyncReply {
  readonly acknowledged: number;
  readonly version: number;
  readonly imports: readonly ImportState[];
  /** The hub does not hold this cluster's exports (its lease expired): send them all. */
  readonly resync: boolean;
}

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * The clusterset's shared state: every cluster's exports, the imports made from them, and a lease
 * per cluster. It answers syncs; it never writes to a cluster.
 */
export class McsHub extends Actor {
  private readonly exports = new Map<string, Map<string, ExportRecord>>();
  private readonly imports = new Map<string, { state: ImportState; version: number }>();
  private readonly leases = new Map<string, Micros>();
  /** Names whose first import waits out the profile's initial propagation, with when it may be published. */
  private readonly firstPublish = new Map<string, Micros>();
  private version = 0;
  private readonly statusClusters = new Map<string, { readonly cluster: string }>();
  private readonly rng: Rng;
  /** Each lease that expired: the cluster, when the hub last heard from it, and when its endpoints were withdrawn. */
  readonly expirations: { readonly cluster: string; readonly lastHeard: Micros; readonly at: Micros }[] = [];

  constructor(
    sim: Sim,
    private readonly profile: McsProfile,
  ) {
    super(sim, { cluster: "", namespace: "mcs", name: "hub" });
    this.rng = sim.rng.stream("mcs/hub");
    this.handle<SyncRequest>("mcs.sync", (m) => this.sync(m));
    const tick = () => {
      this.expireLeases();
      sim.after(profile.syncPeriod, tick);
    };
    sim.after(profile.syncPeriod, tick);
  }

  private sync(message: Message<SyncRequest>): void {
    const request = message.body;
    const known = this.leases.has(request.cluster);
    this.leases.set(request.cluster, this.sim.now);
    const resync = !known && !request.full;
    if (!resync) {
      const held = this.exports.get(request.cluster) ?? new Map<string, ExportRecord>();
      this.exports.set(request.cluster, held);
      const touched = new Set<string>();
      if (request.full) {
        for (const k of held.keys()) touched.add(k);
        held.clear();
      }
      for (const [k, record] of request.changes) {
        if (record) held.set(k, record);
        else held.delete(k);
        touched.add(k);
      }
      for (const k of touched) this.recompute(k);
    }
    this.publishDue();
    const imports: ImportState[] = [];
    for (const entry of this.imports.values()) if (entry.version > request.seen) imports.push(entry.state);
    const reply: SyncReply = { acknowledged: request.sequence, version: this.version, imports, resync };
    this.reply(message, "mcs.state", reply);
  }

  /** Rebuilds the import of one name from the exports the hub holds. */
  private recompute(k: string): void {
    const slash = k.indexOf("/");
    const records: ExportRecord[] = [];
    for (const held of this.exports.values()) {
      const r = held.get(k);
      if (r) records.push(r);
    }
    const existing = this.imports.get(k);
    if (records.length === 0 && !existing) {
      // Unexported before its first publication: a later export waits out the delay afresh.
      this.firstPublish.delete(k);
      return;
    }
    if (!existing && !this.firstPublish.has(k)) {
      const wait = sample(this.profile.initialPropagation, this.rng);
      if (wait > 0) {
        this.firstPublish.set(k, this.sim.now + wait);
        return;
      }
    }
    if (this.firstPublish.has(k) && this.firstPublish.get(k)! > this.sim.now) return;
    this.firstPublish.delete(k);
    const namespace = k.slice(0, slash);
    const name = k.slice(slash + 1);
    const imp = records.length > 0 ? aggregate(records, this.profile) : null;
    const clustersetIp = this.profile.clustersetIp || records.some((r) => r.exportedAnnotations[USE_CLUSTERSET_IP_ANNOTATION] === "true");
    const derived = imp?.type === "ClusterSetIP" && clustersetIp ? derivedName(namespace, name) : undefined;
    const slices = imp ? importedSlices(namespace, name, imp, records, derived, this.profile.managedBy, existing?.state) : [];
    const state: ImportState = {
      namespace,
      name,
      import: imp,
      records,
      clustersetIp,
      slices,
      ports: deepFreeze(imp?.ports.map((p) => ({ ...p })) ?? []),
      statusClusters: deepFreeze(imp?.clusters.map((cluster) => this.statusCluster(cluster)) ?? []),
    };
    this.version++;
    this.imports.set(k, { state, version: this.version });
    if (this.sim.trace.summary) this.sim.trace.record("mcs.import", { namespace: state.namespace, name: state.name, clusters: [...(state.import?.clusters ?? [])], version: this.version });
  }

  /** A cluster's entry in `status.clusters`, one frozen object per cluster for every import that lists it. */
  private statusCluster(cluster: string): { readonly cluster: string } {
    let entry = this.statusClusters.get(cluster);
    if (!entry) {
      entry = Object.freeze({ cluster });
      this.statusClusters.set(cluster, entry);
    }
    return entry;
  }

  /** Publishes the names whose initial propagation has passed. */
  private publishDue(): void {
    for (const [k, at] of [...this.firstPublish]) if (at <= this.sim.now) this.recompute(k);
  }

  private expireLeases(): void {
    this.publishDue();
    for (const [cluster, renewed] of [...this.leases]) {
      if (this.sim.now - renewed < this.profile.leaseDuration) continue;
      this.leases.delete(cluster);
      this.expirations.push({ cluster, lastHeard: renewed, at: this.sim.now });
      const held = this.exports.get(cluster);
      this.exports.delete(cluster);
      if (this.sim.trace.summary) this.sim.trace.record("mcs.lease", { cluster, holder: "hub", expired: true });
      for (const k of held?.keys() ?? []) this.recompute(k);
    }
  }
}

/** Options of an {@link McsAgent}. */
export interface McsAgentOptions {
  readonly cluster: string;
  /** The cluster's id (its `cluster.clusterset.k8s.io` ClusterProperty). */
  readonly clusterId: string;
  readonly api: ApiServer;
  readonly hub: Address;
  readonly profile: McsProfile;
}

/**
 * One member's MCS controller: it watches the cluster's ServiceExports, Services, EndpointSlices
 * and Namespaces; sends the hub what its exports are; and writes what the hub publishes as
 * ServiceImports (with a derived Service holding the clusterset IP, as mcs-api's reference
 * controller does), imported EndpointSlices per source cluster, and the exports' conditions.
 */
export class McsAgent extends Actor {
  private readonly api: ApiServer;
  private readonly profile: McsProfile;
  /** Names whose export may have changed since the last sync. */
  private readonly dirty = new Set<string>();
  /** What the hub last acknowledged of each name (null: not exported). */
  private readonly sent = new Map<string, ExportRecord | null>();
  /** Changes sent and not yet acknowledged, by sequence. */
  private inflight: { sequence: number; changes: (readonly [string, ExportRecord | null])[] } | null = null;
  private sequence = 0;
  private seen = 0;
  private full = true;
  private lastHeard: Micros;
  private stale = false;
  /** Everything the hub published, by name: applied where the namespace exists. */
  private readonly states = new Map<string, ImportState>();
  private readonly unwatch: (() => void)[] = [];
  private stopped = false;

  constructor(
    sim: Sim,
    private readonly options: McsAgentOptions,
  ) {
    super(sim, { cluster: options.cluster, namespace: "mcs-system", name: "mcs-agent" });
    this.api = options.api;
    this.profile = options.profile;
    this.lastHeard = sim.now;
    const touch = (namespace: string | undefined, name: string) => this.dirty.add(key(namespace ?? "default", name));
    this.unwatch.push(
      this.api.watch("ServiceExport", "mcs-agent", (e) => {
        // A change of status only (the agent's own conditions) changes nothing it exports.
        if (e.type === "MODIFIED" && JSON.stringify(e.previous?.spec) === JSON.stringify(e.object.spec)) return;
        touch(e.object.metadata.namespace, e.object.metadata.name);
      }),
      this.api.watch("Service", "mcs-agent", (e) => touch(e.object.metadata.namespace, e.object.metadata.name)),
      // The cluster's own slices, not those it imported: a selector, so that a large import
      // does not come back to the agent slice by slice.
      this.api.watch("EndpointSlice", "mcs-agent", (e) => touch(e.object.metadata.namespace, e.object.metadata.labels!["kubernetes.io/service-name"]!), {
        selects: (slice) => slice.metadata.labels?.["kubernetes.io/service-name"] !== undefined && slice.metadata.labels[SERVICE_NAME_LABEL] === undefined,
      }),
      this.api.watch("Namespace", "mcs-agent", (e) => {
        if (e.type !== "ADDED") return;
        for (const state of this.states.values()) if (state.namespace === e.object.metadata.name) this.applyImport(state);
      }),
    );
    this.handle<SyncReply>("mcs.state", (m) => {
      if (!this.stopped) this.onState(m.body);
    });
    const tick = () => {
      if (this.stopped) return;
      this.syncNow();
      sim.after(this.profile.syncPeriod, tick);
    };
    sim.after(0, tick);
  }

  /** Stops syncing and watching: the cluster left the clusterset. What it imported stays, as a stopped controller leaves it. */
  stop(): void {
    this.stopped = true;
    for (const u of this.unwatch) u();
  }

  private syncNow(): void {
    if (this.sim.now - this.lastHeard >= this.profile.leaseDuration && !this.stale) this.dropRemoteEndpoints();
    if (!this.inflight) {
      const changes: (readonly [string, ExportRecord | null])[] = [];
      const names = this.full ? new Set([...this.dirty, ...this.sent.keys(), ...this.allExports()]) : this.dirty;
      for (const k of names) {
        const record = this.exportRecord(k);
        if (!this.full && sameRecord(record, this.sent.get(k) ?? null)) continue;
        changes.push([k, record]);
      }
      this.dirty.clear();
      this.inflight = { sequence: ++this.sequence, changes };
    }
    const request: SyncRequest = { cluster: this.options.cluster, sequence: this.inflight.sequence, changes: this.inflight.changes, full: this.full, seen: this.full ? 0 : this.seen };
    this.send(this.options.hub, "mcs.sync", request);
  }

  private onState(reply: SyncReply): void {
    this.lastHeard = this.sim.now;
    if (this.stale) {
      this.stale = false;
      if (this.sim.trace.summary) this.sim.trace.record("mcs.lease", { cluster: "hub", holder: this.options.cluster, expired: false });
    }
    if (reply.resync) {
      this.full = true;
      this.inflight = null;
      return;
    }
    if (this.inflight && reply.acknowledged === this.inflight.sequence) {
      for (const [k, record] of this.inflight.changes) this.sent.set(k, record);
      this.inflight = null;
      this.full = false;
    }
    this.seen = Math.max(this.seen, reply.version);
    for (const state of reply.imports) {
      this.states.set(key(state.namespace, state.name), state);
      this.applyImport(state);
    }
  }

  private allExports(): string[] {
    return this.api.list("ServiceExport").map((e) => key(e.metadata.namespace ?? "default", e.metadata.name));
  }

  /**
   * What this cluster exports under a name, or null; and the export's Valid condition written as
   * it goes (mcs.md §1.2): NoService without a Service, InvalidServiceType for ExternalName (and
   * for Lighthouse, anything but ClusterIP).
   */
  private exportRecord(k: string): ExportRecord | null {
    const slash = k.indexOf("/");
    const namespace = k.slice(0, slash);
    const name = k.slice(slash + 1);
    const exported = this.api.get("ServiceExport", namespace, name);
    if (!exported) return null;
    const service = this.api.get("Service", namespace, name);
    const r = this.profile.reasons;
    if (!service) {
      this.setConditions(exported, [cond("Valid", "False", r.noService, "Service to be exported doesn't exist")]);
      return null;
    }
    const type = service.spec.type ?? "ClusterIP";
    if (!this.profile.exportableTypes.includes(type)) {
      this.setConditions(exported, [cond("Valid", "False", r.invalidType, `Service of type ${type} not supported`)]);
      return null;
    }
    // Ready and Conflict come from the hub; until it has answered, the export is pending.
    const fromHub = this.keepConditions(exported, ["Ready", "Conflict"]);
    const pending = fromHub.some((c) => c.type === "Ready") ? [] : [cond("Ready", "False", r.pending, "ServiceImport created - awaiting aggregation")];
    this.setConditions(exported, [cond("Valid", "True", r.valid, "The ServiceExport and its Service is exportable."), ...pending, ...fromHub]);
    const { endpoints, targetPorts } = this.endpointsOf(namespace, name);
    return recordOf(this.options.clusterId, exported, service, endpoints, targetPorts, this.profile.slicesHoldClusterIp);
  }

  private endpointsOf(namespace: string, name: string): Pick<ExportRecord, "endpoints" | "targetPorts"> {
    const out: ExportRecord["endpoints"][number][] = [];
    const targetPorts: Record<string, number> = {};
    for (const slice of this.api.listByLabel("EndpointSlice", namespace, "kubernetes.io/service-name", name)) {
      if (slice.metadata.labels?.[SERVICE_NAME_LABEL]) continue;
      for (const p of slice.ports ?? []) if (p.port !== undefined && !Object.hasOwn(targetPorts, p.name ?? "")) targetPorts[p.name ?? ""] = p.port;
      for (const e of slice.endpoints) {
        out.push({
          addresses: e.addresses,
          ready: e.conditions?.ready !== false,
          ...(e.hostname ? { hostname: e.hostname } : {}),
          ...(e.zone ? { zone: e.zone } : {}),
          ...(e.targetRef?.kind === "Pod" ? { targetName: e.targetRef.name } : {}),
        });
      }
    }
    return { endpoints: out, targetPorts };
  }

  /** Writes a name's import where its namespace exists (namespace sameness: no namespace, no import). */
  private applyImport(state: ImportState): void {
    const { namespace, name } = state;
    const own = this.api.get("ServiceExport", namespace, name);
    if (own) this.exportStatus(own, state);
    if (!this.api.get("Namespace", "", namespace)) return;
    const imp = state.import;
    if (!imp || imp.clusters.length === 0) {
      for (const slice of this.importedSlices(namespace, name)) this.api.delete("EndpointSlice", namespace, slice.metadata.name);
      if (this.api.get("ServiceImport", namespace, name)) this.api.delete("ServiceImport", namespace, name);
      const derived = derivedName(namespace, name);
      if (this.api.get("Service", namespace, derived)) this.api.delete("Service", namespace, derived);
      return;
    }
    const derived = imp.type === "ClusterSetIP" && state.clustersetIp ? this.derivedService(namespace, name, imp) : undefined;
    const existing = this.api.get("ServiceImport", namespace, name);
    const readySince = existing?.status?.conditions?.[0]?.lastTransitionTime ?? formatTimestamp(this.sim.now);
    const serviceImport: ServiceImport = {
      apiVersion: "multicluster.x-k8s.io/v1beta1",
      kind: "ServiceImport",
      metadata: { name, namespace, ...this.importMetadata(state, derived?.metadata.name) },
      spec: {
        ports: state.ports,
        ...(derived ? { ips: [...(derived.spec.clusterIPs ?? [derived.spec.clusterIP!])] } : {}),
        type: imp.type,
        sessionAffinity: imp.sessionAffinity,
        ...(imp.sessionAffinityTimeout !== undefined ? { sessionAffinityConfig: { clientIP: { timeoutSeconds: imp.sessionAffinityTimeout } } } : {}),
        ipFamilies: [...imp.ipFamilies],
        ...(imp.internalTrafficPolicy ? { internalTrafficPolicy: imp.internalTrafficPolicy } : {}),
      },
      // Ready since the import was first written: it stays ready while it exists.
      status: { clusters: state.statusClusters, conditions: [{ ...cond("Ready", "True", "Ready", ""), lastTransitionTime: readySince }] },
    };
    if (existing) {
      // Labels and annotations are the import's own, written whole each time: none kept from before.
      const { labels: _labels, annotations: _annotations, ...kept } = existing.metadata;
      this.api.update({ ...serviceImport, metadata: { ...kept, ...serviceImport.metadata } });
    } else this.api.create(serviceImport);
    this.writeSlices(state);
  }

  /**
   * The ServiceImport's labels and annotations: the winning export's exported ones, where the
   * profile takes them (never the Service's or the ServiceExport's own metadata, mcs.md §1.2),
   * and the name of the derived Service.
   */
  private importMetadata(state: ImportState, derived: string | undefined): { labels?: Record<string, string>; annotations?: Record<string, string> } {
    const winner = this.profile.exportedMetadata ? state.records.find((r) => r.cluster === state.import!.oldest) : undefined;
    const labels = { ...winner?.exportedLabels };
    const annotations = { ...winner?.exportedAnnotations, ...(derived ? { [DERIVED_SERVICE_ANNOTATION]: derived } : {}) };
    return { ...(Object.keys(labels).length > 0 ? { labels } : {}), ...(Object.keys(annotations).length > 0 ? { annotations } : {}) };
  }

  /** The selector-less Service whose ClusterIP is the clusterset IP, so kube-proxy routes it (mcs.md §1.5). */
  private derivedService(namespace: string, name: string, imp: AggregateImport): Readonly<Service> | undefined {
    const derivedServiceName = derivedName(namespace, name);
    const service: Service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: derivedServiceName, namespace, ownerReferences: [{ apiVersion: "multicluster.x-k8s.io/v1beta1", kind: "ServiceImport", name, uid: "" }] },
      spec: {
        type: "ClusterIP",
        ports: imp.ports.map((p) => ({ ...(p.name ? { name: p.name } : {}), port: p.port, protocol: p.protocol ?? "TCP", targetPort: p.port })),
      },
    };
    const existing = this.api.get("Service", namespace, derivedServiceName);
    if (existing) return this.api.update({ ...existing, spec: { ...existing.spec, ports: service.spec.ports! } });
    try {
      return this.api.create(service);
    } catch (e) {
      // A full service range: the import goes without a clusterset IP, and the next change of
      // the import tries again, as a controller's requeue would. Nothing else is the agent's to catch.
      if (e instanceof ApiError && e.reason === "Invalid") return undefined;
      throw e;
    }
  }

  private importedSlices(namespace: string, name: string): Readonly<EndpointSlice>[] {
    return this.api.listByLabel("EndpointSlice", namespace, SERVICE_NAME_LABEL, name);
  }

  /** The hub's slices for a name, or none while the hub's endpoints may be stale. */
  private writeSlices(state: ImportState): void {
    const { namespace, name } = state;
    const wanted = this.stale ? [] : state.slices;
    // The wanted slices this name's imported slices already include: looked up among those few,
    // not among every slice of the namespace (a clusterset's imports are most of them).
    const held = wanted.map((slice) => this.api.getByLabel("EndpointSlice", namespace, SERVICE_NAME_LABEL, name, slice.metadata.name));
    // Slices of sources no longer in the import go first. When every slice held is a wanted
    // one (as many held as wanted ones found), there is nothing to list.
    const found = held.reduce((n, h) => (h ? n + 1 : n), 0);
    if (this.api.countByLabel("EndpointSlice", namespace, SERVICE_NAME_LABEL, name) > found) {
      const keep = new Set(wanted.map((slice) => slice.metadata.name));
      for (const slice of this.importedSlices(namespace, name)) if (!keep.has(slice.metadata.name)) this.api.delete("EndpointSlice", namespace, slice.metadata.name);
    }
    wanted.forEach((slice, i) => {
      // Written already from this very slice (the hub shares unchanged slices between versions).
      const current = held[i];
      if (current) {
        if (current.endpoints !== slice.endpoints || current.ports !== slice.ports || current.metadata.labels !== slice.metadata.labels) this.api.apply(slice);
        return;
      }
      try {
        this.api.create(slice);
      } catch (e) {
        // A slice of that name that is not this name's import (its labels say otherwise): the
        // import's slice replaces it.
        if (!(e instanceof ApiError && e.reason === "AlreadyExists")) throw e;
        this.api.apply(slice);
      }
    });
  }

  /** Ready and Conflict of this cluster's export, from the hub's view of it. */
  private exportStatus(exported: Readonly<ServiceExport>, state: ImportState): void {
    const r = this.profile.reasons;
    const imp = state.import;
    const cluster = this.options.clusterId;
    const valid = this.keepConditions(exported, ["Valid"]);
    if (!imp || !state.records.some((x) => x.cluster === cluster)) return;
    if (imp.rejected.includes(cluster)) {
      this.setConditions(exported, [...valid, cond("Ready", "False", "ExportFailed", "Unable to export due to an irresolvable conflict"), this.conflictCondition(imp)]);
      return;
    }
    this.setConditions(exported, [...valid, cond("Ready", "True", r.exported, "The service has been exported"), this.conflictCondition(imp)]);
  }

  private conflictCondition(imp: AggregateImport): Condition {
    const conflict = imp.conflicts.get(this.options.clusterId);
    return conflict ? cond("Conflict", "True", conflict.reasons.join(","), conflict.message) : cond("Conflict", "False", "NoConflicts", "");
  }

  /** The hub is gone for a lease's length: remote endpoints may be stale, so they go (KEP "Endpoint TTL"). */
  private dropRemoteEndpoints(): void {
    this.stale = true;
    this.full = true;
    this.inflight = null;
    if (this.sim.trace.summary) this.sim.trace.record("mcs.lease", { cluster: "hub", holder: this.options.cluster, expired: true });
    for (const state of this.states.values()) if (state.import && this.api.get("ServiceImport", state.namespace, state.name)) this.writeSlices(state);
  }

  private keepConditions(exported: Readonly<ServiceExport>, types: readonly string[]): Condition[] {
    return (exported.status?.conditions ?? []).filter((c) => types.includes(c.type));
  }

  /** Writes conditions, keeping each one's transition time while its status stays. */
  private setConditions(exported: Readonly<ServiceExport>, conditions: Condition[]): void {
    const now = formatTimestamp(this.sim.now);
    const old = exported.status?.conditions ?? [];
    const next = conditions.map((c) => {
      const before = old.find((o) => o.type === c.type);
      return { ...c, lastTransitionTime: before && before.status === c.status ? (before.lastTransitionTime ?? now) : (c.lastTransitionTime ?? now) };
    });
    if (next.length === old.length && next.every((c, i) => sameCondition(c, old[i]!))) return;
    this.api.update({ ...exported, status: { conditions: next } });
  }
}

function sameCondition(a: Condition, b: Condition): boolean {
  return a.type === b.type && a.status === b.status && a.reason === b.reason && a.message === b.message && a.lastTransitionTime === b.lastTransitionTime;
}

function cond(type: string, status: Condition["status"], reason: string, message: string): Condition {
  return { type, status, reason, message };
}

/** mcs-api's derived Service name: `derived-` and a stable hash of `namespace/name`. */
export function derivedName(namespace: string, name: string): string {
  return `derived-${stableHash(`${namespace}/${name}`, 10)}`;
}

/**
 * The imported EndpointSlices of a name, one per source cluster the import includes (mcs.md
 * §1.5), each with the endpoints its source last sent — or, where the profile's slices hold the
 * exporter's ClusterIP (Lighthouse), that one address, ready while any backend is. Deeply frozen.
 * A source whose record, ports and derived Service are as in the `previous` import keeps its
 * slice object: the members that wrote it then and those that write it now share one copy.
 */
function importedSlices(
  namespace: string,
  name: string,
  imp: AggregateImport,
  records: readonly ExportRecord[],
  derived: string | undefined,
  managedBy: string,
  previous: ImportState | undefined,
): Readonly<EndpointSlice>[] {
  // A slice of pods carries the ports they listen on (the source's targetPorts); one holding the
  // exporter's ClusterIP (Lighthouse) the Service's ports.
  const portsOf = (record: ExportRecord) =>
    imp.ports.map((p) => ({
      ...(p.name ? { name: p.name } : {}),
      port: record.clusterIp !== undefined && imp.type === "ClusterSetIP" ? p.port : (record.targetPorts[p.name ?? ""] ?? p.port),
      protocol: p.protocol ?? "TCP",
    }));
  const reusable = previous?.import && previous.import.type === imp.type && derivedOf(previous) === derived;
  const kept = new Map<ExportRecord, Readonly<EndpointSlice>>();
  if (reusable) {
    const bySource = new Map(previous.slices.map((slice) => [slice.metadata.labels![SOURCE_CLUSTER_LABEL]!, slice]));
    for (const record of previous.records) {
      const slice = bySource.get(record.cluster);
      if (slice) kept.set(record, slice);
    }
  }
  const included = new Set(imp.clusters);
  const out: Readonly<EndpointSlice>[] = [];
  for (const record of records) {
    if (!included.has(record.cluster)) continue;
    const ports = portsOf(record);
    const slice = kept.get(record);
    if (slice && sameSlicePorts(slice.ports, ports)) {
      out.push(slice);
      continue;
    }
    const endpoints = record.clusterIp !== undefined && imp.type === "ClusterSetIP"
      ? [{ addresses: [record.clusterIp], conditions: { ready: record.endpoints.some((e) => e.ready) } }]
      : record.endpoints.map((e) => ({
          addresses: [...e.addresses],
          conditions: { ready: e.ready },
          ...(e.hostname ? { hostname: e.hostname } : {}),
          ...(e.zone ? { zone: e.zone } : {}),
          ...(e.targetName ? { targetRef: { kind: "Pod", name: e.targetName, namespace } } : {}),
        }));
    out.push({
      apiVersion: "discovery.k8s.io/v1",
      kind: "EndpointSlice",
      metadata: {
        name: `imported-${name}-${record.cluster}`,
        namespace,
        labels: {
          [SERVICE_NAME_LABEL]: name,
          [SOURCE_CLUSTER_LABEL]: record.cluster,
          "endpointslice.kubernetes.io/managed-by": managedBy,
          ...(derived ? { "kubernetes.io/service-name": derived } : {}),
        },
      },
      addressType: record.ipFamilies[0] === "IPv6" ? "IPv6" : "IPv4",
      endpoints,
      ports,
    });
  }
  return deepFreeze(out);
}

function sameSlicePorts(a: EndpointSlice["ports"], b: EndpointSlice["ports"]): boolean {
  return a?.length === b?.length && (a ?? []).every((p, i) => p.name === b![i]!.name && p.port === b![i]!.port && p.protocol === b![i]!.protocol);
}

/** The derived Service an import's slices name, if any. */
function derivedOf(state: ImportState): string | undefined {
  return state.slices[0]?.metadata.labels?.["kubernetes.io/service-name"];
}

/** An export as the hub needs it, from the ServiceExport, its Service and the Service's endpoints. */
export function recordOf(
  cluster: string,
  exported: Readonly<ServiceExport>,
  service: Readonly<Service>,
  endpoints: ExportRecord["endpoints"],
  targetPorts: ExportRecord["targetPorts"],
  withClusterIp: boolean,
): ExportRecord {
  const spec = service.spec;
  const created = parseTimestamp(exported.metadata.creationTimestamp ?? "") ?? 0;
  const headless = spec.clusterIP === "None";
  return {
    cluster,
    createdAt: Math.floor(created / 1_000_000),
    type: headless ? "Headless" : "ClusterSetIP",
    ports: (spec.ports ?? []).map((p) => ({ ...(p.name ? { name: p.name } : {}), protocol: p.protocol ?? "TCP", port: p.port, ...(p.appProtocol ? { appProtocol: p.appProtocol } : {}) })),
    sessionAffinity: spec.sessionAffinity ?? "None",
    ipFamilies: [...(spec.ipFamilies ?? ["IPv4"])],
    ...(spec.internalTrafficPolicy ? { internalTrafficPolicy: spec.internalTrafficPolicy } : {}),
    exportedLabels: { ...(exported.spec?.exportedLabels ?? {}) },
    exportedAnnotations: { ...(exported.spec?.exportedAnnotations ?? {}) },
    ...(withClusterIp && !headless && spec.clusterIP ? { clusterIp: spec.clusterIP } : {}),
    endpoints,
    targetPorts,
  };
}

function sameRecord(a: ExportRecord | null, b: ExportRecord | null): boolean {
  return JSON.stringify(a) === JSON.stringify(b);
}
