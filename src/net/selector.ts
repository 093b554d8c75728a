import type { Host } from "./host.js";
import { TopologyError, type Topology } from "./topology.js";

/**
 * Picks hosts by where they are. Every field given must match (and); within a field, any listed
 * value matches (or). `{}` matches every host; `except` removes hosts from what the rest matched,
 * so `{ except: { clusters: ["c"] } }` is "everything outside cluster c".
 */
export interface HostSelector {
  readonly clusters?: readonly string[];
  readonly regions?: readonly string[];
  readonly zones?: readonly string[];
  readonly nodes?: readonly string[];
  readonly networks?: readonly string[];
  /** Host names or IP addresses. */
  readonly hosts?: readonly string[];
  readonly except?: HostSelector;
}

/** True when the host is one the selector picks. */
export function selects(selector: HostSelector, host: Host): boolean {
  const s = selector;
  if (s.clusters && !s.clusters.includes(host.node.cluster?.name ?? "")) return false;
  if (s.regions && !s.regions.includes(host.node.region)) return false;
  if (s.zones && !s.zones.includes(host.node.zone)) return false;
  if (s.nodes && !s.nodes.includes(host.node.name)) return false;
  if (s.networks && !s.networks.includes(host.network)) return false;
  if (s.hosts && !s.hosts.includes(host.name) && !s.hosts.includes(host.ip)) return false;
  if (s.except && selects(s.except, host)) return false;
  return true;
}

/** The selector in a short form for traces and messages: `clusters=a,b zones=z1 except(clusters=a)`. */
export function describeSelector(selector: HostSelector): string {
  const parts: string[] = [];
  for (const key of ["clusters", "regions", "zones", "nodes", "networks", "hosts"] as const) {
    const values = selector[key];
    if (values) parts.push(`${key}=${values.join(",")}`);
  }
  if (selector.except) parts.push(`except(${describeSelector(selector.except)})`);
  return parts.length ? parts.join(" ") : "all";
}

/**
 * Checks that every cluster, region, zone and node a selector names exists, so that a typo is an
 * error rather than a fault that silently matches nothing. Host names are not checked: the hosts
 * a fault targets may be created after it.
 */
export function checkSelector(selector: HostSelector, topology: Topology, where: string): HostSelector {
  const known = {
    clusters: new Set(topology.clusters.keys()),
    nodes: new Set(topology.nodes.keys()),
    regions: new Set([...topology.nodes.values()].map((n) => n.region)),
    zones: new Set([...topology.nodes.values()].map((n) => n.zone)),
    networks: new Set([...topology.nodes.values()].map((n) => n.network)),
  };
  for (const key of ["clusters", "regions", "zones", "nodes", "networks"] as const) {
    for (const value of selector[key] ?? []) {
      if (!known[key].has(value)) {
        const names = [...known[key]];
        throw new TopologyError(`${where}: no ${key.slice(0, -1)} named ${JSON.stringify(value)}; there are: ${names.join(", ") || "none"}`);
      }
    }
  }
  if (selector.except) checkSelector(selector.except, topology, `${where} (except)`);
  return selector;
}
