/**
 * `spec.patterns.mcs`, written out: each member's CoreDNS gets the multicluster plugin for
 * `clusterset.local` in its main server block, as coredns/multicluster's README places it (mcs.md
 * §4.1). A member whose `dns.corefile` is given keeps it: it wires clusterset.local itself.
 * With the lighthouse profile no Corefile is written here: each member runs Lighthouse's own DNS
 * server, set up when it joins the ClusterSet, which also gives the cluster DNS the block that
 * forwards the zone to it (mcs.md §5.1, `installLighthouseDns`).
 */
import { kubeadmCorefile } from "../dns/corefile.js";
import { DEFAULT_CLUSTER_DOMAIN } from "../k8s/cluster.js";
import { PROFILES } from "../mcs/profiles.js";
import type { ClusterEntry, ScenarioSpec } from "./spec.js";

/** The MCS DNS zone (mcs.md §2: it must be clusterset.local). */
export const CLUSTERSET_ZONE = "clusterset.local";

/** The members of the spec's MCS pattern: the listed clusters, or all. */
export function mcsMembers(spec: ScenarioSpec): string[] {
  const mcs = spec.patterns.mcs;
  if (!mcs) return [];
  return mcs.clusters.length > 0 ? [...mcs.clusters] : spec.clusters.map((c) => c.name);
}

/**
 * The spec with clusterset.local in its members' Corefiles (kubeadm's, or what another pattern
 * wrote); the spec itself without an MCS pattern. `own` names the clusters whose Corefile the
 * user wrote: those are left alone.
 */
export function applyMcs(spec: ScenarioSpec, own: ReadonlySet<string>): ScenarioSpec {
  const members = new Set(mcsMembers(spec));
  if (members.size === 0 || PROFILES[spec.patterns.mcs!.profile].dns !== "multicluster") return spec;
  const clusters = spec.clusters.map((c): ClusterEntry => {
    if (!members.has(c.name) || own.has(c.name)) return c;
    const corefile = (c.dns.corefile ?? kubeadmCorefile(c.domain ?? DEFAULT_CLUSTER_DOMAIN)).replace(/^( +)kubernetes /m, `$1multicluster ${CLUSTERSET_ZONE}\n$1kubernetes `);
    return { ...c, dns: { ...c.dns, corefile } };
  });
  return { ...spec, clusters };
}
