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

/**
 * The priority Istio's default failover gives an endpoint seen from a proxy (mesh.md §3.1,
 * `applyLocalityFailover` without `failover` rules): 0 for the same region, zone and subzone, 1
 * for the same region and zone, 2 for the same region, 3 for any other region. Levels are
 * compacted afterwards ({@link compactPriorities}).
 */
export function localityPriority(proxy: Locality, endpoint: Locality): number {
  if (proxy.region !== endpoint.region) return 3;
  if (proxy.zone !== endpoint.zone) return 2;
  return proxy.subzone === endpoint.subzone ? 0 : 1;
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

/**
 * Envoy's priority load (mesh.md §3.2), in whole percents as Envoy computes it:
 * `health(P) = min(100, 1.4 × 100 × healthy/total)`, the health normalised to at most 100 over
 * all levels, and each level taking its health's share of what the levels above it left. Rounding
 * leaves at most a few percent unassigned; Envoy gives them to the first level with health. All
 * zeros when no level has a healthy host (Envoy then answers 503 UH).
 */
export function priorityLoad(levels: readonly LevelHealth[], factor = OVERPROVISIONING_FACTOR): number[] {
  const health = levels.map((l) => (l.total === 0 ? 0 : Math.min(100, Math.floor((factor * l.healthy) / l.total))));
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
