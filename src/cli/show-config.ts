import { stringify } from "yaml";
import { CLUSTER_ID_PROPERTY, CLUSTERSET_PROPERTY, type ClusterSet } from "../mcs/clusterset.js";
import { PATTERN_SOURCE } from "../scenario/federation.js";
import { buildScenarioWorld } from "../scenario/run.js";
import type { Scenario } from "../scenario/spec.js";
import { describeDistribution } from "../sim/distribution.js";
import { formatDuration } from "../sim/time.js";

/** Where the MCS pattern's documents come from. */
const MCS_SOURCE = "spec.patterns.mcs";

/**
 * `mcsim run --show-config`: what the scenario configures in each cluster, read back from the
 * clusters' API servers at simulated time 0 as `kubectl get -o yaml` would show it — each
 * cluster's `coredns` ConfigMap with the Corefile its CoreDNS runs (the scenario's own, a
 * pattern's, or kubeadm's, with the MCS pattern's `multicluster clusterset.local`), then the
 * objects the patterns add (a federation's LoadBalancer Service with its address, an MCS member's
 * ClusterProperties) — and last, for the MCS pattern, its ClusterSet: the members with their ids,
 * the hub's host, and the profile's parameters as the run uses them (the scenario's overrides
 * applied). Multi-document YAML, one comment line naming each document's cluster and origin.
 */
export function showConfig(scenario: Scenario, options: { readonly seed?: number } = {}): string {
  const { world, clusterSet } = buildScenarioWorld(scenario, { traceLevel: "off", ...options });
  world.runUntil(0);
  const docs: string[] = [];
  for (const cluster of scenario.spec.clusters) {
    const api = world.cluster(cluster.name).api;
    const corefile = api.get("ConfigMap", "kube-system", "coredns");
    if (corefile) docs.push(document(`cluster ${cluster.name}: the Corefile its CoreDNS runs`, corefile));
    for (const entry of scenario.spec.manifests) {
      if (entry.source !== PATTERN_SOURCE || !entry.clusters.includes(cluster.name)) continue;
      for (const object of entry.objects) {
        const live = api.get(object.kind, object.metadata.namespace ?? "", object.metadata.name);
        if (live) docs.push(document(`cluster ${cluster.name}: from ${entry.source}`, live));
      }
    }
    if (clusterSet?.clusters.includes(cluster.name)) {
      for (const name of [CLUSTER_ID_PROPERTY, CLUSTERSET_PROPERTY]) {
        const property = api.get("ClusterProperty", "", name);
        if (property) docs.push(document(`cluster ${cluster.name}: from ${MCS_SOURCE}`, property));
      }
    }
  }
  if (clusterSet) docs.push(document(`${MCS_SOURCE}: the ClusterSet, and the profile's parameters in force`, clusterSetConfig(clusterSet)));
  return docs.join("---\n");
}

/** The ClusterSet as the run has it, durations written as a scenario writes them. */
function clusterSetConfig(set: ClusterSet): object {
  const { name, syncPeriod, leaseDuration, initialPropagation, ...rest } = set.profile;
  return {
    name: set.name,
    members: set.clusters.map((cluster) => ({ cluster, clusterId: set.clusterId(cluster) })),
    hubHost: { name: set.hubHost.name, address: set.hubHost.ip },
    profile: {
      name,
      syncPeriod: formatDuration(syncPeriod),
      leaseDuration: formatDuration(leaseDuration),
      initialPropagation: describeDistribution(initialPropagation),
      ...rest,
    },
  };
}

function document(comment: string, object: object): string {
  return `# ${comment}\n${stringify(object, { lineWidth: 0 })}`;
}
