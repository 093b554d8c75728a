/**
 * How the exports of one namespaced name, from every cluster that exports it, become one import
 * (KEP-1645 "Constraints and Conflict Resolution", mcs.md §1.4): the oldest export wins each
 * property that must agree, the cluster name breaking ties; ports are merged by name first, then
 * by (protocol, port); every export whose properties disagree with the winner's carries a
 * `Conflict` condition. Pure functions of plain data, so that they can be property-tested.
 */
import type { IPFamily, ServiceImportPort, ServiceImportType } from "../k8s/objects.js";

/** One ready (or not) endpoint of an exported Service, as the import's slices carry it. */
export interface ExportedEndpoint {
  readonly addresses: readonly string[];
  readonly ready: boolean;
  readonly hostname?: string;
  readonly zone?: string;
  /** The pod behind it, for hostname fallbacks. */
  readonly targetName?: string;
}

/** The properties of a service that its exports must agree on, and its import shows. */
export interface ServiceProperties {
  readonly type: ServiceImportType;
  readonly ports: readonly ServiceImportPort[];
  readonly sessionAffinity: "None" | "ClientIP";
  readonly sessionAffinityTimeout?: number;
  readonly ipFamilies: readonly IPFamily[];
  readonly internalTrafficPolicy?: "Cluster" | "Local";
}

/** What one cluster exports under a namespaced name: the properties of its Service and its endpoints. */
export interface ExportRecord extends ServiceProperties {
  readonly cluster: string;
  /** The ServiceExport's creationTimestamp, in whole seconds since the epoch (the API's granularity). */
  readonly createdAt: number;
  readonly exportedLabels: Readonly<Record<string, string>>;
  readonly exportedAnnotations: Readonly<Record<string, string>>;
  /** The exporting cluster's ClusterIP (Lighthouse's ClusterSetIP slices carry it instead of the pods). */
  readonly clusterIp?: string;
  readonly endpoints: readonly ExportedEndpoint[];
  /**
   * The port the endpoints listen on, by the Service port's name ("" for an unnamed one), from its
   * EndpointSlices: a named or numbered targetPort, which the imported slices carry as the source's do.
   */
  readonly targetPorts: Readonly<Record<string, number>>;
}

/** The mcs-api reasons of `Conflict=True`, in the order they are joined. */
export const CONFLICT_REASONS = [
  "TypeConflict",
  "PortConflict",
  "SessionAffinityConflict",
  "SessionAffinityConfigConflict",
  "InternalTrafficPolicyConflict",
  "IPFamilyConflict",
  "LabelsConflict",
  "AnnotationsConflict",
] as const;

/** One reason of a conflict. */
export type ConflictReason = (typeof CONFLICT_REASONS)[number];

/** How ports of disagreeing exports merge. */
export type PortMerge =
  /** KEP and Cilium: every port of every export, by name first then (protocol, port). */
  | "union"
  /** Lighthouse without a clusterset IP: only the ports every export has. */
  | "intersection";

/** A conflict on one export. */
export interface ExportConflict {
  readonly reasons: readonly ConflictReason[];
  /** mcs-api's wording: `Conflicting type. Using "ClusterSetIP" from oldest service export in "cluster-1". 2/5 clusters disagree.` */
  readonly message: string;
}

/** What the clusterset offers under one name, as every member's ServiceImport shows it. */
export interface AggregateImport extends ServiceProperties {
  /** The exporting clusters, by name. */
  readonly clusters: readonly string[];
  /** The winning export's cluster. */
  readonly oldest: string;
  /** Conflicts by exporting cluster; clusters without one are absent. */
  readonly conflicts: ReadonlyMap<string, ExportConflict>;
  /**
   * Clusters whose exports are left out of the import (Lighthouse does not export a cluster
   * whose type disagrees, mcs.md §5.2); empty under the KEP.
   */
  readonly rejected: readonly string[];
}

/** Options of {@link aggregate}. */
export interface AggregateOptions {
  readonly portMerge: PortMerge;
  /** Lighthouse: an export whose type disagrees with the oldest is not exported at all. */
  readonly rejectTypeConflicts: boolean;
}

/** Oldest first, cluster name breaking ties (mcs.md §1.4: Lighthouse and Cilium both do). */
export function byPrecedence(a: ExportRecord, b: ExportRecord): number {
  return a.createdAt - b.createdAt || (a.cluster < b.cluster ? -1 : a.cluster > b.cluster ? 1 : 0);
}

const portKey = (p: ServiceImportPort) => `${p.protocol ?? "TCP"}/${p.port}`;

/** Same name, protocol and port: what the merge matches ports by. */
const samePort = (p: ServiceImportPort, q: ServiceImportPort) => p.port === q.port && (p.protocol ?? "TCP") === (q.protocol ?? "TCP") && (p.name ?? "") === (q.name ?? "");

/**
 * The KEP's port merge, oldest export first: a port whose name is taken by a different
 * (protocol, port), or whose (protocol, port) is taken under another name, is dropped; the result
 * keeps a Service's rules (unique names, unique (protocol, port)).
 */
function unionPorts(exports: readonly ExportRecord[]): ServiceImportPort[] {
  const byName = new Map<string, ServiceImportPort>();
  const byKey = new Map<string, ServiceImportPort>();
  const out: ServiceImportPort[] = [];
  for (const e of exports) {
    for (const p of e.ports) {
      const name = p.name ?? "";
      const key = portKey(p);
      if (byName.has(name) || byKey.has(key)) continue;
      byName.set(name, p);
      byKey.set(key, p);
      out.push(p);
    }
  }
  return out;
}

function intersectPorts(exports: readonly ExportRecord[]): ServiceImportPort[] {
  const [first, ...rest] = exports;
  return (first?.ports ?? []).filter((p) => rest.every((e) => e.ports.some((q) => samePort(p, q))));
}

/*
 * The comparisons below run for every export of a name each time one of its exporters syncs (a
 * clusterset of 50 exporting one name compares 1,275 records on the way in): plain loops, so that
 * they allocate no closure and no key array.
 */

function samePorts(a: readonly ServiceImportPort[], b: readonly ServiceImportPort[]): boolean {
  if (a.length !== b.length) return false;
  for (const p of a) {
    let found = false;
    for (const q of b) {
      if (samePort(p, q) && q.appProtocol === p.appProtocol) {
        found = true;
        break;
      }
    }
    if (!found) return false;
  }
  return true;
}

const hasOwn = Object.prototype.hasOwnProperty;

/** Equal own keys with equal values, as `Object.keys` would compare them. */
function sameMap(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  let keys = 0;
  for (const k in a) {
    if (!hasOwn.call(a, k)) continue;
    if (a[k] !== b[k]) return false;
    keys++;
  }
  for (const k in b) if (hasOwn.call(b, k)) keys--;
  return keys === 0;
}

/** True when the two share an IP family. */
function shareFamily(a: readonly IPFamily[], b: readonly IPFamily[]): boolean {
  for (const f of a) if (b.includes(f)) return true;
  return false;
}

/** How each property is compared with the winner's, and how its conflict message names the winning value. */
const PROPERTIES: readonly { reason: ConflictReason; field: string; differs: (e: ExportRecord, w: ExportRecord) => boolean; value: (w: ExportRecord) => string }[] = [
  { reason: "TypeConflict", field: "type", differs: (e, w) => e.type !== w.type, value: (w) => w.type },
  { reason: "PortConflict", field: "ports", differs: (e, w) => !samePorts(e.ports, w.ports), value: (w) => w.ports.map((p) => `${p.name ? `${p.name}:` : ""}${p.port}/${p.protocol ?? "TCP"}`).join(",") },
  { reason: "SessionAffinityConflict", field: "sessionAffinity", differs: (e, w) => e.sessionAffinity !== w.sessionAffinity, value: (w) => w.sessionAffinity },
  {
    reason: "SessionAffinityConfigConflict",
    field: "sessionAffinityConfig",
    differs: (e, w) => e.sessionAffinityTimeout !== w.sessionAffinityTimeout,
    value: (w) => String(w.sessionAffinityTimeout ?? ""),
  },
  {
    reason: "InternalTrafficPolicyConflict",
    field: "internalTrafficPolicy",
    differs: (e, w) => (e.internalTrafficPolicy ?? "Cluster") !== (w.internalTrafficPolicy ?? "Cluster"),
    value: (w) => w.internalTrafficPolicy ?? "Cluster",
  },
  {
    reason: "IPFamilyConflict",
    field: "ipFamilies",
    differs: (e, w) => !shareFamily(e.ipFamilies, w.ipFamilies),
    value: (w) => w.ipFamilies.join(","),
  },
  { reason: "LabelsConflict", field: "exportedLabels", differs: (e, w) => !sameMap(e.exportedLabels, w.exportedLabels), value: (w) => JSON.stringify(w.exportedLabels) },
  {
    reason: "AnnotationsConflict",
    field: "exportedAnnotations",
    differs: (e, w) => !sameMap(e.exportedAnnotations, w.exportedAnnotations),
    value: (w) => JSON.stringify(w.exportedAnnotations),
  },
];

/**
 * The import of a name from its exports (at least one). Precedence is {@link byPrecedence}; the
 * winner's type, session affinity and traffic policy are the import's. A property on which any
 * export disagrees with the winner is a conflict on every export that disagrees and on the winner
 * too, since the KEP asks for it on all constituent exports.
 */
export function aggregate(records: readonly ExportRecord[], options: AggregateOptions): AggregateImport {
  if (records.length === 0) throw new RangeError("aggregate needs at least one export");
  const ordered = [...records].sort(byPrecedence);
  const winner = ordered[0]!;
  const rejected = options.rejectTypeConflicts ? ordered.filter((e) => e.type !== winner.type).map((e) => e.cluster) : [];
  const kept = rejected.length === 0 ? ordered : ordered.filter((e) => !rejected.includes(e.cluster));
  const total = ordered.length;
  const reasons = new Map<string, ConflictReason[]>();
  const messages: string[] = [];
  for (const property of PROPERTIES) {
    let disagreeing: ExportRecord[] | undefined;
    for (const e of ordered) if (property.differs(e, winner)) (disagreeing ??= []).push(e);
    if (disagreeing === undefined) continue;
    messages.push(
      `Conflicting ${property.field}. Using ${JSON.stringify(property.value(winner))} from oldest service export in ${JSON.stringify(winner.cluster)}. ${disagreeing.length}/${total} clusters disagree.`,
    );
    for (const e of [winner, ...disagreeing]) {
      const list = reasons.get(e.cluster) ?? [];
      list.push(property.reason);
      reasons.set(e.cluster, list);
    }
  }
  const conflicts = new Map<string, ExportConflict>();
  for (const e of ordered) {
    const r = reasons.get(e.cluster);
    if (r) conflicts.set(e.cluster, { reasons: r, message: messages.join(" ") });
  }
  const families = winner.ipFamilies.filter((f) => kept.every((e) => e.ipFamilies.includes(f)));
  return {
    type: winner.type,
    ports: options.portMerge === "union" ? unionPorts(kept) : intersectPorts(kept),
    sessionAffinity: winner.type === "Headless" ? "None" : winner.sessionAffinity,
    ...(winner.sessionAffinityTimeout !== undefined && winner.type !== "Headless" ? { sessionAffinityTimeout: winner.sessionAffinityTimeout } : {}),
    ipFamilies: families.length > 0 ? families : [...winner.ipFamilies],
    ...(winner.internalTrafficPolicy ? { internalTrafficPolicy: winner.internalTrafficPolicy } : {}),
    clusters: kept.map((e) => e.cluster).sort(),
    oldest: winner.cluster,
    conflicts,
    rejected,
  };
}
