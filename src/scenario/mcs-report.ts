/**
 * What the Multi-Cluster Services pattern did in a run, as the report gives it (issue 6): per
 * member, how long each exported name took to be imported there and to be answered to a lookup
 * from there; per failure of a member, how long its endpoints took to leave the other members.
 * Everything is measured as it happens (the API servers' stores, the streams' lookups, the fault
 * timeline), never read back at the end, so that what a run undid (an unexport, a cluster that
 * left) still counts.
 */
import type { LookupResult } from "../dns/resolver/types.js";
import type { K8sObject } from "../k8s/objects.js";
import { parseTimestamp } from "../k8s/timestamp.js";
import type { ClusterSet } from "../mcs/clusterset.js";
import { SERVICE_NAME_LABEL, SOURCE_CLUSTER_LABEL } from "../mcs/controller.js";
import type { NetFault } from "../net/fault.js";
import { SECOND, type Micros } from "../sim/time.js";
import { CLUSTERSET_ZONE } from "./mcs.js";
import type { StreamSpec } from "./spec.js";
import { outcomeCode, type LookupObserver } from "./traffic.js";
import type { World } from "./world.js";

/** How fast each member imported and answered what the clusterset exported, and how fast a failed member's endpoints left. */
export interface McsReport {
  readonly profile: string;
  /** Every member of `spec.patterns.mcs`, in order, including one that left during the run. */
  readonly clusters: readonly {
    readonly cluster: string;
    readonly clusterId: string;
    /** Each name imported, with the time from its first export (any cluster's) to its first ServiceImport here. */
    readonly imports: readonly { readonly service: string; readonly importedAtS: number; readonly afterExportS: number }[];
    /**
     * Each exported name (`namespace/name`), with the first successful lookup of
     * `<name>.<namespace>.svc.clusterset.local` by a traffic stream from a client in this cluster:
     * one that ended NOERROR with addresses, answered for that very name (not a search-list
     * expansion). Lookups during warmup count. `answeredAtS` is when its answer reached the
     * client; `afterExportS` is from the name's first ServiceExport in any member, `afterImportS`
     * from its first ServiceImport here. All null when no such lookup succeeded (no stream from
     * this cluster asks for the name: `firstLookupAtS` is null too).
     */
    readonly firstAnswers: readonly {
      readonly service: string;
      /** When the first lookup of the name from this cluster started, successful or not. */
      readonly firstLookupAtS: number | null;
      readonly answeredAtS: number | null;
      readonly afterExportS: number | null;
      readonly afterImportS: number | null;
    }[];
  }[];
  /** Each time a silent cluster's endpoints were withdrawn: when it was last heard, and how long after that. */
  readonly withdrawals: readonly { readonly cluster: string; readonly lastHeardS: number; readonly atS: number; readonly afterSilenceS: number }[];
  /** Each failure of a member, in order: see {@link McsFailure}. */
  readonly failures: readonly McsFailure[];
}

/**
 * A fault that cut a member off from the clusterset: a `leave`, or a network fault (partition,
 * hold, or a loss of every message) that stops its agent's syncs reaching the hub, so that the hub
 * hears nothing from it and its lease runs out. A fault that cuts off a member already cut off is
 * no new failure; one that cuts only the hub's replies is none (the syncs still renew the lease),
 * nor is a kill (the agents are not pods). Where the failed cluster's endpoints went, measured per
 * other member from the failure until the failed cluster's next failure (or the end of the run):
 *
 * - `slicesGone`: for each other member whose API server held imported EndpointSlices from the
 *   failed cluster (`multicluster.kubernetes.io/source-cluster` = its id) when it failed, the first
 *   instant after the failure at which it held none; null when it held some throughout. This is
 *   what identifies the cluster's endpoints for every name, ClusterSetIP ones included.
 * - `answersGone`: for each other member and clusterset name whose lookups (by the scenario's
 *   streams) were last answered, before the failure, with an address of the failed cluster (a
 *   headless name's pods, or any answer made of the exporters' own addresses; a ClusterSetIP
 *   name's answer is the importing cluster's own clusterset IP, so it is never listed), when the
 *   first answer after the failure without any reached its client: a NOERROR holding none of its
 *   addresses, or NXDOMAIN/NODATA. Timeouts and SERVFAILs say nothing about the endpoints and are
 *   passed over. Null when every answer held one.
 */
export interface McsFailure {
  /** The fault's name. */
  readonly fault: string;
  /** The member it cut off. */
  readonly cluster: string;
  readonly atS: number;
  /** When the member was no longer cut off (healed, released, joined again); null when it stayed so to the end. */
  readonly untilS: number | null;
  readonly slicesGone: readonly { readonly cluster: string; readonly atS: number | null; readonly afterFailureS: number | null }[];
  readonly answersGone: readonly {
    readonly cluster: string;
    readonly service: string;
    readonly atS: number | null;
    readonly afterFailureS: number | null;
    /**
     * When the last answer after the failure that still held an address of the failed cluster
     * reached its client, while the cluster was cut off; null when none did. It can be after
     * `atS`: each CoreDNS replica caches the name for its TTL on its own, so one may answer
     * without the addresses while another still answers with them.
     */
    readonly lastHeldAtS: number | null;
  }[];
}

/** A value that changes at instants: each change, in time order. */
type Changes<T> = { readonly at: Micros; readonly value: T }[];

/** What one member saw. */
interface MemberLog {
  readonly id: string;
  /** The first ServiceImport of each name here. */
  readonly imported: Map<string, Micros>;
  /** The lookups of each clusterset name from here. */
  readonly lookups: Map<string, NameLog>;
  /** By source cluster id: the imported EndpointSlices from it held now, and whether any was held, as it changed. */
  readonly slices: Map<string, { readonly held: Set<string>; readonly changes: Changes<boolean> }>;
}

/** The lookups of one clusterset name from one member. */
interface NameLog {
  /** The earliest start of a lookup (they are heard of as they finish, not in the order they started). */
  firstLookupAt: Micros;
  answeredAt?: Micros;
  /** The clusters owning the addresses of each conclusive answer (none for NXDOMAIN), as they changed. */
  readonly answers: Changes<readonly string[]>;
  lastAnswer?: string;
}

/** An ongoing or past failure. */
interface Failure {
  readonly fault: string;
  readonly cluster: string;
  readonly at: Micros;
  until?: Micros;
  /** By `cluster/service` of the lookups: the last answer that held an address of the failed cluster while it was cut off. */
  readonly lastHeld: Map<string, Micros>;
}

/** `<name>.<namespace>.svc.clusterset.local`, with or without the final dot. */
const CLUSTERSET_NAME = new RegExp(`^([a-z0-9]([-a-z0-9]*[a-z0-9])?)\\.([a-z0-9]([-a-z0-9]*[a-z0-9])?)\\.svc\\.${CLUSTERSET_ZONE.replaceAll(".", "\\.")}\\.?$`);

/** The `namespace/name` a clusterset service name stands for, or undefined for any other name. */
function clustersetService(name: string): string | undefined {
  const m = CLUSTERSET_NAME.exec(name.toLowerCase());
  return m ? `${m[3]}/${m[1]}` : undefined;
}

/** Network faults that stop every message they cover. */
function cutsOff(fault: NetFault): boolean {
  return fault.action === "partition" || fault.action === "hold" || (fault.action === "loss" && (fault.params.loss ?? 0) >= 1);
}

/** The source cluster id of an imported EndpointSlice (mcs.md §1.5); undefined for any other slice. */
function sourceOf(slice: Readonly<K8sObject>): string | undefined {
  const labels = slice.metadata.labels;
  return labels?.[SERVICE_NAME_LABEL] === undefined ? undefined : labels[SOURCE_CLUSTER_LABEL];
}

const key = (o: Readonly<K8sObject>) => `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
const seconds = (t: Micros) => t / SECOND;

/**
 * Watches a scenario's ClusterSet for the report: create it once the ClusterSet exists, before
 * the clock runs; give each stream {@link lookupObserver}, and the fault timeline
 * {@link faultChanged}. It reads the members' stores as they are written (`observeStore`), so it
 * adds no event and no random draw: a run with it is the run without it.
 */
export class McsObserver {
  /** The first ServiceExport of each name in any member (names in the order first seen). */
  private readonly exportedAt = new Map<string, Micros>();
  private readonly members = new Map<string, MemberLog>();
  private readonly failures: Failure[] = [];
  /** The members cut off now, with their failure. */
  private readonly cutOff = new Map<string, Failure>();

  constructor(
    private readonly world: World,
    private readonly set: ClusterSet,
  ) {
    for (const cluster of set.clusters) {
      const log: MemberLog = { id: set.clusterId(cluster)!, imported: new Map(), lookups: new Map(), slices: new Map() };
      this.members.set(cluster, log);
      const api = world.cluster(cluster).api;
      // Exports written before the ClusterSet started (the scenario's manifests, at 0s).
      for (const e of api.list("ServiceExport")) this.exported(key(e), parseTimestamp(e.metadata.creationTimestamp ?? "") ?? world.sim.now);
      api.observeStore("ServiceExport", (type, e) => {
        if (type === "ADDED") this.exported(key(e), world.sim.now);
      });
      api.observeStore("ServiceImport", (type, i) => {
        if (type === "ADDED" && !log.imported.has(key(i))) log.imported.set(key(i), world.sim.now);
      });
      api.observeStore("EndpointSlice", (type, slice, previous) => {
        const was = previous && sourceOf(previous);
        const is = type === "DELETED" ? undefined : sourceOf(slice);
        if (was === is) return;
        if (was !== undefined) this.slice(log, was, key(slice), false);
        if (is !== undefined) this.slice(log, is, key(slice), true);
      });
    }
  }

  private exported(service: string, at: Micros): void {
    if (!this.exportedAt.has(service) || at < this.exportedAt.get(service)!) this.exportedAt.set(service, at);
  }

  /** Counts an imported slice (`namespace/name`) in or out of what its source cluster has in this member. */
  private slice(log: MemberLog, source: string, slice: string, held: boolean): void {
    let s = log.slices.get(source);
    if (!s) log.slices.set(source, (s = { held: new Set(), changes: [] }));
    const before = s.held.size > 0;
    if (held) s.held.add(slice);
    else s.held.delete(slice);
    if (s.held.size > 0 !== before) s.changes.push({ at: this.world.sim.now, value: !before });
  }

  /**
   * What a stream needs to report its lookups of clusterset names: undefined when it asks for
   * none, or sends from a cluster that is not a member.
   * @param destinationOf the cluster an answer's address belongs to, as the stream's report has it.
   */
  lookupObserver(stream: StreamSpec, destinationOf: (address: string) => string): LookupObserver | undefined {
    const cluster = stream.from.cluster;
    const log = this.members.get(cluster);
    if (!log || stream.action.kind !== "resolve" || !stream.action.names.some((n) => clustersetService(n) !== undefined)) return undefined;
    return (name, result) => {
      const service = clustersetService(name);
      if (service !== undefined) this.lookup(cluster, log, service, result, destinationOf);
    };
  }

  private lookup(cluster: string, log: MemberLog, service: string, result: LookupResult, destinationOf: (address: string) => string): void {
    let l = log.lookups.get(service);
    if (!l) log.lookups.set(service, (l = { firstLookupAt: result.startedAt, answers: [] }));
    l.firstLookupAt = Math.min(l.firstLookupAt, result.startedAt);
    let clusters: string[];
    if (result.ok) {
      // A search-list expansion that happened to answer is not the clusterset's answer.
      if (clustersetService(result.answeredName ?? "") !== service) return;
      l.answeredAt ??= result.finishedAt;
      clusters = [...new Set(result.addresses.map((a) => destinationOf(a.address)))].sort();
    } else {
      const code = outcomeCode(result);
      if (code !== "NXDOMAIN" && code !== "NODATA") return;
      clusters = [];
    }
    for (const f of this.cutOff.values()) if (f.cluster !== cluster && clusters.includes(f.cluster)) f.lastHeld.set(`${cluster}/${service}`, result.finishedAt);
    const text = clusters.join(",");
    if (text === l.lastAnswer) return;
    l.lastAnswer = text;
    l.answers.push({ at: result.finishedAt, value: clusters });
  }

  /**
   * Hears that a fault started or ended: each member cut off now and not before has failed, by
   * this fault if it started; each member cut off before and not now has recovered.
   */
  faultChanged(fault: string, phase: "start" | "end"): void {
    const hub = this.set.hubHost;
    const active = this.world.network.activeFaults().filter(cutsOff);
    for (const cluster of this.members.keys()) {
      const host = this.set.agentHost(cluster);
      const cut = !host || active.some((f) => f.appliesTo(host, hub));
      const failure = this.cutOff.get(cluster);
      if (cut && !failure && phase === "start") {
        const f: Failure = { fault, cluster, at: this.world.sim.now, lastHeld: new Map() };
        this.failures.push(f);
        this.cutOff.set(cluster, f);
      } else if (!cut && failure) {
        failure.until = this.world.sim.now;
        this.cutOff.delete(cluster);
      }
    }
  }

  /** The figures, at the end of the run. */
  report(): McsReport {
    return {
      profile: this.set.profile.name,
      clusters: [...this.members].map(([cluster, m]) => ({
        cluster,
        clusterId: m.id,
        imports: [...m.imported].map(([service, at]) => ({
          service,
          importedAtS: seconds(at),
          afterExportS: this.exportedAt.has(service) ? seconds(at - this.exportedAt.get(service)!) : Number.NaN,
        })),
        firstAnswers: [...this.exportedAt].map(([service, exportedAt]) => {
          const l = m.lookups.get(service);
          const answered = l?.answeredAt;
          const imported = m.imported.get(service);
          return {
            service,
            firstLookupAtS: l ? seconds(l.firstLookupAt) : null,
            answeredAtS: answered !== undefined ? seconds(answered) : null,
            afterExportS: answered !== undefined ? seconds(answered - exportedAt) : null,
            afterImportS: answered !== undefined && imported !== undefined ? seconds(answered - imported) : null,
          };
        }),
      })),
      withdrawals: this.set.hub.expirations.map((e) => ({ cluster: e.cluster, lastHeardS: seconds(e.lastHeard), atS: seconds(e.at), afterSilenceS: seconds(e.at - e.lastHeard) })),
      failures: this.failures.map((f, i) => this.failureReport(f, this.failures.slice(i + 1).find((g) => g.cluster === f.cluster)?.at ?? Number.POSITIVE_INFINITY)),
    };
  }

  /** Where a failed member's endpoints went between its failure and `end` (its next failure). */
  private failureReport(f: Failure, end: Micros): McsFailure {
    const id = this.members.get(f.cluster)!.id;
    const gone = (at: Micros | undefined) => ({ atS: at === undefined ? null : seconds(at), afterFailureS: at === undefined ? null : seconds(at - f.at) });
    const others = [...this.members].filter(([cluster]) => cluster !== f.cluster);
    return {
      fault: f.fault,
      cluster: f.cluster,
      atS: seconds(f.at),
      untilS: f.until === undefined ? null : seconds(f.until),
      slicesGone: others.flatMap(([cluster, m]) => {
        const changes = m.slices.get(id)?.changes ?? [];
        if (!valueAt(changes, f.at, false)) return [];
        return [{ cluster, ...gone(firstAfter(changes, f.at, end, (held) => !held)) }];
      }),
      answersGone: others.flatMap(([cluster, m]) =>
        [...m.lookups].flatMap(([service, l]) => {
          if (!valueAt(l.answers, f.at, []).includes(f.cluster)) return [];
          const lastHeld = f.lastHeld.get(`${cluster}/${service}`);
          return [{ cluster, service, ...gone(firstAfter(l.answers, f.at, end, (clusters) => !clusters.includes(f.cluster))), lastHeldAtS: lastHeld === undefined ? null : seconds(lastHeld) }];
        }),
      ),
    };
  }
}

/** The value after every change at or before `t`; `initial` before the first. */
function valueAt<T>(changes: Changes<T>, t: Micros, initial: T): T {
  let value = initial;
  for (const c of changes) {
    if (c.at > t) break;
    value = c.value;
  }
  return value;
}

/** When the value first changed to one that `wanted` holds after `from` and before `end`. */
function firstAfter<T>(changes: Changes<T>, from: Micros, end: Micros, wanted: (value: T) => boolean): Micros | undefined {
  return changes.find((c) => c.at > from && c.at < end && wanted(c.value))?.at;
}
