/**
 * Submariner's service discovery DNS in a member cluster, as its operator sets it up
 * (submariner-operator's servicediscovery controller; mcs.md §5.1): Lighthouse's own CoreDNS
 * (`submariner-lighthouse-coredns` in `submariner-operator`, a ConfigMap, a Deployment of two
 * replicas and a ClusterIP Service), answering `clusterset.local` with the lighthouse plugin; and
 * the cluster DNS's Corefile given a `clusterset.local:53` block that forwards the zone to that
 * Service. A query for the zone therefore takes a real second hop over the simulated network,
 * from a cluster CoreDNS replica through kube-proxy to a Lighthouse replica.
 */
import { installCoreDns } from "../dns/cluster-dns.js";
import type { KubeCluster } from "../k8s/cluster.js";

/** Where Submariner's operator runs its components. */
export const LIGHTHOUSE_NAMESPACE = "submariner-operator";
/** The name of Lighthouse's DNS Deployment, ConfigMap and Service (the operator's `lighthouseCoreDNSName`). */
export const LIGHTHOUSE_DNS_NAME = "submariner-lighthouse-coredns";
/** Lighthouse's CoreDNS build; pods whose image matches {@link LIGHTHOUSE_COREDNS_PATTERN} run it. */
export const LIGHTHOUSE_COREDNS_IMAGE = "quay.io/submariner/lighthouse-coredns:0.19.0";
const LIGHTHOUSE_COREDNS_PATTERN = /(^|\/)lighthouse-coredns:/;

/** The Corefile the operator writes for Lighthouse's DNS, verbatim (`newLighthouseDnsConfigMap`). */
export const LIGHTHOUSE_COREFILE = "clusterset.local:53 {\nlighthouse\nerrors\nhealth\nready\n}\n";

const SECTION_START = "#lighthouse-start AUTO-GENERATED SECTION. DO NOT EDIT";
const SECTION_END = "#lighthouse-end";

/**
 * Sets up Lighthouse's DNS in a cluster and points the cluster DNS at it. A cluster without the
 * `coredns` ConfigMap (no cluster DNS) gets neither: nothing would forward the zone there. Done
 * again (a cluster that left and joins again), it keeps the Deployment and rewrites the section.
 *
 * The cluster's CoreDNS replicas read their Corefile when they start, so replicas already running
 * keep the one they read: mcsim's `reload` plugin does not re-read the ConfigMap.
 */
export function installLighthouseDns(cluster: KubeCluster): void {
  const api = cluster.api;
  const coredns = api.get("ConfigMap", "kube-system", "coredns");
  if (!coredns) return;
  if (!api.get("Namespace", "", LIGHTHOUSE_NAMESPACE)) api.create({ apiVersion: "v1", kind: "Namespace", metadata: { name: LIGHTHOUSE_NAMESPACE } });
  const labels = { app: LIGHTHOUSE_DNS_NAME, component: "submariner-lighthouse" };
  const service =
    api.get("Service", LIGHTHOUSE_NAMESPACE, LIGHTHOUSE_DNS_NAME) ??
    installCoreDns(cluster, {
      namespace: LIGHTHOUSE_NAMESPACE,
      name: LIGHTHOUSE_DNS_NAME,
      serviceName: LIGHTHOUSE_DNS_NAME,
      image: LIGHTHOUSE_COREDNS_IMAGE,
      imagePattern: LIGHTHOUSE_COREDNS_PATTERN,
      labels,
      replicas: 2,
      corefile: LIGHTHOUSE_COREFILE,
      // The operator's Service has one port, UDP: a truncated answer cannot be retried over TCP.
      servicePorts: [{ name: "udp", port: 53, protocol: "UDP", targetPort: 53 }],
    });
  api.update({ ...coredns, data: { ...coredns.data, Corefile: withLighthouseSection(coredns.data?.Corefile ?? "", service.spec.clusterIP!) } });
}

/**
 * The operator's `updateDNSConfigMap`: the Corefile with any earlier Lighthouse section taken out
 * and a fresh one put in front, forwarding `clusterset.local` to Lighthouse's DNS Service.
 */
export function withLighthouseSection(corefile: string, lighthouseIp: string): string {
  const kept: string[] = [];
  let inSection = false;
  for (const line of corefile.split("\n")) {
    if (line.includes("lighthouse-start")) inSection = true;
    else if (line.includes("lighthouse-end")) inSection = false;
    else if (!inSection) kept.push(line);
  }
  return `${SECTION_START}\nclusterset.local:53 {\n    forward . ${lighthouseIp}\n}\n${SECTION_END}\n${kept.join("\n")}`;
}
