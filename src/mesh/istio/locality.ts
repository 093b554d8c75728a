/**
 * Localities and Envoy's priority load (mesh.md §3.1, §3.2): where an endpoint is, which
 * priority level it gets from a proxy's point of view, and how much of the traffic each level
 * takes given how healthy it is. Pure functions: the sidecar's load balancer and the tests use
 * them alike.
 */
import type { Rng } from "../../sim/rng.js";

/** Where a workload runs: `region/zone/subzone`, each part possibly empty. */
export interface Locality {
  readonly region: string;
  readonly zone: string;
  readonly subzone: string;
}

/** The node labels Istio reads a pod's locality from (mesh.md §3.1 `getPodLocality`). */
export const REGION_LABEL = "topology.kubernetes.io/region";
export const ZONE_LABEL = "topology.kubernetes.io/zone";
export const SUBZONE_LABEL = "topology.istio.io/subzone";
/** The pod label that overrides the node's locality, with `.` separators (mesh.md §3.1). */
export const LOCALITY_LABEL = "topology.istio.io/locality";
/** The legacy form of {@link LOCALITY_LABEL}. */
export const LEGACY_LOCALITY_LABEL = "istio-locality";

/** Envoy's default overprovisioning factor, 1.4, as a percentage (mesh.md §3.2). */
export const OVERPROVISIONING_FACTOR = 140;

/** `region/zone/subzone`, as Istio writes a locality (trailing empty parts dropped). */
export function formatLocality(l: Locality): string {
  return [l.region, l.zone, l.subzone].join("/").replace(/\/+$/, "");
}

/**
 * A pod's locality: its `topology.istio.io/locality` label (or the legacy `istio-locality`) when
 * it has one, read with `.` separators, else its node's region, zone and subzone labels.
 */
export function podLocality(podLabels: Readonly<Record<string, string>> | undefined, nodeLabels: Readonly<Record<string, string>> | undefined): Locality {
  const override = podLabels?.[LOCALITY_LABEL] ?? podLabels?.[LEGACY_LOCALITY_LABEL];
  if (override !== undefined) {
    const [region = "", zone = "", subzone = ""] = override.split(".");
    return { region, zone, subzone };
  }
  return { region: nodeLabels?.[REGION_LABEL] ?? "", zone: nodeLabels?.[ZONE_LABEL] ?? "", subzone: nodeLabels?.[SUBZONE_LABEL] ?? "" };
}

/** A `failover` rule of a DestinationRule's `localityLbSetting`: from one region to another. */
export interface FailoverRule {
  readonly from: string;
  readonly to: string;
}

/**
 * The priority Istio's failover gives an endpoint seen from a proxy (mesh.md §3.1,
 * `applyLocalityFailover`, `util.LbPriority`): 0 for the same region, zone and subzone, 1 for the
 * same region and zone, 2 for the same region; another region is 3, unless a `failover` rule from
 * the proxy's region names a `to` region other than the endpoint's, which makes it 4. Levels are
 * compacted afterwards ({@link compactPriorities}).
 */
export function localityPriority(proxy: Locality, endpoint: Locality, failover: readonly FailoverRule[] = []): number {
  if (proxy.region !== endpoint.region) {
    const rule = failover.find((r) => r.from === proxy.region);
    return rule === undefined || rule.to === endpoint.region ? 3 : 4;
  }
  if (proxy.zone !== endpoint.zone) return 2;
  return proxy.subzone === endpoint.subzone ? 0 : 1;
}

/** What `failoverPriority` compares of a proxy or an endpoint: its labels and where it is. */
export interface PriorityPeer {
  readonly labels: Readonly<Record<string, string>>;
  readonly locality: Locality;
  readonly cluster: string;
  readonly network: string;
}

/** The label key Istio reads a workload's network from, special in `failoverPriority` (mesh.md §3.1). */
export const NETWORK_KEY = "topology.istio.io/network";
const CLUSTER_KEY = "topology.istio.io/cluster";

/** A peer's value of one `failoverPriority` key: the special labels come from where it runs. */
function peerValue(p: PriorityPeer, key: string): string | undefined {
  switch (key) {
    case NETWORK_KEY:
      return p.network;
    case CLUSTER_KEY:
      return p.cluster;
    case REGION_LABEL:
      return p.locality.region;
    case ZONE_LABEL:
      return p.locality.zone;
    case SUBZONE_LABEL:
      return p.locality.subzone;
    default:
      return p.labels[key];
  }
}

/**
 * The priority `failoverPriority` gives an endpoint (mesh.md §3.1 `applyFailoverPriorityPerLocality`):
 * the keys (or `key=value`, which compares the endpoint with the value rather than the proxy) in
 * order, a key counting only while every earlier one matched; all N matching is 0, the first
 * mismatch at index j is N−j. A first key of `topology.istio.io/network` that mismatches adds N,
 * the other keys still ordering the out-of-network endpoints.
 */
export function failoverPriority(keys: readonly string[], proxy: PriorityPeer, endpoint: PriorityPeer): number {
  const matched = (from: number): number => {
    let i = from;
    for (; i < keys.length; i++) {
      const [key, value] = splitKey(keys[i]!);
      const want = value ?? peerValue(proxy, key);
      if (want === undefined || peerValue(endpoint, key) !== want) break;
    }
    return i - from;
  };
  const n = keys.length;
  if (n > 0 && splitKey(keys[0]!)[0] === NETWORK_KEY && matched(0) === 0) return n + (n - 1 - matched(1));
  return n - matched(0);
}

function splitKey(k: string): [string, string | undefined] {
  const eq = k.indexOf("=");
  return eq < 0 ? [k, undefined] : [k.slice(0, eq), k.slice(eq + 1)];
}

/** Whether a locality matches a `distribute` pattern: `region/zone/subzone`, each part possibly `*`, trailing parts optional. */
export function localityMatches(l: Locality, pattern: string): boolean {
  const parts = pattern.split("/");
  const have = [l.region, l.zone, l.subzone];
  for (let i = 0; i < parts.length; i++) {
    if (parts[i] === "*") return true;
    if (parts[i] !== have[i]) return false;
  }
  return true;
}

/** A `distribute` rule: from a locality pattern, weights of locality patterns. */
export interface DistributeRule {
  readonly from: string;
  readonly to: Readonly<Record<string, number>>;
}

/**
 * The weight of each locality group under the first `distribute` rule whose `from` matches the
 * proxy (mesh.md §3.1 `applyLocalityWeights`): each `to` weight split over the groups it matches
 * in proportion to their size, `ceil(size × w / total)`, a group taking the first `to` that
 * matches it. A group no `to` names gets 0: its endpoints are removed, even for failover.
 * Undefined when no rule applies. `groups` are the localities of the groups, each with its size.
 */
export function distributeWeights(proxy: Locality, rules: readonly DistributeRule[], groups: readonly { readonly locality: Locality; readonly size: number }[]): number[] | undefined {
  const rule = rules.find((r) => localityMatches(proxy, r.from));
  if (!rule) return undefined;
  const weights = groups.map(() => 0);
  const applied = groups.map(() => false);
  for (const [to, w] of Object.entries(rule.to)) {
    const matching = groups.flatMap((g, i) => (!applied[i] && localityMatches(g.locality, to) ? [i] : []));
    const total = matching.reduce((a, i) => a + groups[i]!.size, 0);
    for (const i of matching) {
      weights[i] = Math.ceil((groups[i]!.size * w) / total);
      applied[i] = true;
    }
  }
  return weights;
}

/**
 * Renumbers priorities to 0..N with no gaps, keeping their order, as Istio does after assigning
 * them (mesh.md §3.1: empty levels vanish).
 */
export function compactPriorities(priorities: readonly number[]): number[] {
  const levels = [...new Set(priorities)].sort((a, b) => a - b);
  return priorities.map((p) => levels.indexOf(p));
}

/** The hosts of one priority level: how many there are, and how many of them are healthy. */
export interface LevelHealth {
  readonly healthy: number;
  readonly total: number;
}

/** A level's health: `min(100, factor × healthy/total)` in whole percents (mesh.md §3.2). */
function levelHealth(l: LevelHealth, factor: number): number {
  return l.total === 0 ? 0 : Math.min(100, Math.floor((factor * l.healthy) / l.total));
}

/**
 * Envoy's priority load (mesh.md §3.2), in whole percents as Envoy computes it:
 * `health(P) = min(100, 1.4 × 100 × healthy/total)`, the health normalised to at most 100 over
 * all levels, and each level taking its health's share of what the levels above it left. Rounding
 * leaves at most a few percent unassigned; Envoy gives them to the first level with health. All
 * zeros when no level has a healthy host (Envoy then answers 503 UH).
 */
export function priorityLoad(levels: readonly LevelHealth[], factor = OVERPROVISIONING_FACTOR): number[] {
  const health = levels.map((l) => levelHealth(l, factor));
  const normalizedTotal = Math.min(100, health.reduce((a, b) => a + b, 0));
  if (normalizedTotal === 0) return levels.map(() => 0);
  const load: number[] = [];
  let assigned = 0;
  for (const h of health) {
    const l = Math.min(100 - assigned, Math.floor((h * 100) / normalizedTotal));
    load.push(l);
    assigned += l;
  }
  const first = health.findIndex((h) => h > 0);
  load[first]! += 100 - assigned;
  return load;
}

/** Envoy's default `healthy_panic_threshold`, which applies without outlier detection (mesh.md §3.2). */
export const DEFAULT_PANIC_THRESHOLD = 50;

/** Which levels take traffic and whether each is in panic (sending to all its hosts, ignoring health). */
export interface HostSelection {
  readonly load: readonly number[];
  readonly panic: readonly boolean[];
}

/**
 * Envoy's priority load with its panic threshold (mesh.md §3.2): only when the normalised total
 * health is below 100 is a level whose healthy share is below `threshold` percent in panic, and
 * sends to all its hosts; when every level with hosts is, the load goes by host count (Envoy's
 * total panic). A threshold of 0 never panics, so no healthy host anywhere is 503 UH.
 */
export function hostSelection(levels: readonly LevelHealth[], threshold: number): HostSelection {
  const load = priorityLoad(levels);
  const health = levels.reduce((a, l) => a + levelHealth(l, OVERPROVISIONING_FACTOR), 0);
  const hosts = levels.reduce((a, l) => a + l.total, 0);
  if (threshold <= 0 || health >= 100 || hosts === 0) return { load, panic: levels.map(() => false) };
  const panic = levels.map((l) => l.total > 0 && (100 * l.healthy) / l.total < threshold);
  if (!levels.every((l, i) => l.total === 0 || panic[i])) return { load, panic };
  const byHosts = levels.map((l) => Math.floor((100 * l.total) / hosts));
  byHosts[levels.findIndex((l) => l.total > 0)]! += 100 - byHosts.reduce((a, b) => a + b, 0);
  return { load: byHosts, panic };
}

/** Picks a level by its load (percents summing to 100), or -1 when every load is 0. */
export function pickLevel(load: readonly number[], rng: Rng): number {
  const total = load.reduce((a, b) => a + b, 0);
  if (total === 0) return -1;
  let r = rng.int(total);
  for (let i = 0; i < load.length; i++) {
    r -= load[i]!;
    if (r < 0) return i;
  }
  return load.length - 1;
}
