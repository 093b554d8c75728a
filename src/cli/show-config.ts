import { stringify } from "yaml";
import type { K8sObject } from "../k8s/objects.js";
import { PATTERN_SOURCE } from "../scenario/federation.js";
import { buildScenarioWorld } from "../scenario/run.js";
import type { Scenario } from "../scenario/spec.js";

/**
 * `mcsim run --show-config`: what the scenario configures in each cluster, read back from the
 * clusters' API servers at simulated time 0 as `kubectl get -o yaml` would show it — each
 * cluster's `coredns` ConfigMap with the Corefile its CoreDNS runs (the scenario's own, a
 * pattern's, or kubeadm's), then the objects the patterns add (a federation's LoadBalancer
 * Service with its address) — as multi-document YAML, one comment line naming each document's
 * cluster and origin.
 */
export function showConfig(scenario: Scenario, options: { readonly seed?: number } = {}): string {
  const { world } = buildScenarioWorld(scenario, { traceLevel: "off", ...options });
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
  }
  return docs.join("---\n");
}

function document(comment: string, object: Readonly<K8sObject>): string {
  return `# ${comment}\n${stringify(object, { lineWidth: 0 })}`;
}
