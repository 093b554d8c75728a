import { ClusterSet, type ClusterSetOptions } from "../../src/mcs/clusterset.js";
import { World } from "../../src/scenario/world.js";
import { seconds } from "../../src/sim/time.js";
import { kubeadmCorefile } from "../../src/dns/corefile.js";

/** kubeadm's Corefile with the multicluster plugin for clusterset.local, as the MCS pattern writes it. */
export const MCS_COREFILE = kubeadmCorefile("cluster.local").replace("    kubernetes ", "    multicluster clusterset.local\n    kubernetes ");

/**
 * Three flat-network clusters a, b, c with namespace `production`, and a ClusterSet over them.
 * With `dns`, each runs CoreDNS: with {@link MCS_COREFILE}, or for the lighthouse profile kubeadm's
 * Corefile, which the ClusterSet gives the block forwarding clusterset.local to Lighthouse's DNS.
 */
export function mcsWorld(options: ClusterSetOptions & { readonly seed?: number; readonly namespaceIn?: readonly string[]; readonly dns?: boolean } = {}) {
  const world = new World({ seed: options.seed ?? 1 });
  const names = ["a", "b", "c"];
  names.forEach((name, i) =>
    world.addCluster({ name, region: `region-${name}`, zones: [`zone-${name}`], nodesPerZone: 1, network: "flat", podCidr: `10.${10 + i}.0.0/16`, serviceCidr: `10.${100 + i}.0.0/16`, dns: options.dns ? { corefile: options.profile === "lighthouse" ? kubeadmCorefile("cluster.local") : MCS_COREFILE } : false }),
  );
  for (const name of options.namespaceIn ?? names) world.apply(name, "apiVersion: v1\nkind: Namespace\nmetadata: {name: production}\n");
  const set = new ClusterSet(world.sim, world.network, names.map((n) => world.cluster(n)), options);
  return { world, set, run: (s: number) => world.runFor(seconds(s)) };
}

/** A Deployment of `replicas` pods and its Service, `my-api` in production, and (unless `exported: false`) its ServiceExport. */
export function exportedApi(options: { readonly replicas?: number; readonly headless?: boolean; readonly ports?: string; readonly type?: string; readonly exported?: boolean } = {}): string {
  const docs = [
    `apiVersion: apps/v1
kind: Deployment
metadata: {name: my-api, namespace: production}
spec:
  replicas: ${options.replicas ?? 2}
  selector: {matchLabels: {app: my-api}}
  template:
    metadata: {labels: {app: my-api}}
    spec: {containers: [{name: api, image: "nginx:1.27", ports: [{name: http, containerPort: 8080}]}]}`,
    `apiVersion: v1
kind: Service
metadata: {name: my-api, namespace: production}
spec:
  ${options.type ? `type: ${options.type}` : "type: ClusterIP"}
  ${options.headless ? "clusterIP: None" : ""}
  selector: {app: my-api}
  ports: ${options.ports ?? "[{name: http, port: 80, targetPort: http}]"}`,
  ];
  if (options.exported !== false) docs.push("apiVersion: multicluster.x-k8s.io/v1alpha1\nkind: ServiceExport\nmetadata: {name: my-api, namespace: production}");
  return docs.join("\n---\n");
}
