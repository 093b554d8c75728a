import type { KubeCluster } from "../k8s/cluster.js";
import { KUBE_DNS_SERVICE_INDEX } from "../k8s/cluster.js";
import type { ConfigMap, Deployment, Service } from "../k8s/objects.js";
import type { ServiceModel } from "../sim/actor.js";
import type { DnsChaos } from "./chaos.js";
import { CoreDns, DNS_PORT } from "./coredns.js";
import { kubeadmCorefile, parseCorefile } from "./corefile.js";
import { IMPLEMENTED_PLUGINS } from "./plugins/index.js";

/** The CoreDNS image kubeadm deploys; pods whose image matches run a {@link CoreDns}. */
export const COREDNS_IMAGE = "registry.k8s.io/coredns/coredns:v1.11.3";
const COREDNS_IMAGE_PATTERN = /(^|\/)coredns(\/coredns)?:/;

/** How a cluster's DNS is set up. */
export interface ClusterDnsOptions {
  /** CoreDNS replicas; default 2, as kubeadm deploys. */
  readonly replicas?: number;
  /** The Corefile; default kubeadm's for the cluster's domain (dns.md §3.4). It lives in the `coredns` ConfigMap in kube-system. */
  readonly corefile?: string;
  /** Values for `{$VAR}` in the Corefile (never the process environment). */
  readonly variables?: Readonly<Record<string, string>>;
  /** Files the Corefile may import or read (`hosts FILE`), by path. */
  readonly files?: Readonly<Record<string, string>>;
  /** Each replica's service model; default {@link DEFAULT_COREDNS_SERVICE}. */
  readonly service?: ServiceModel;
  /** The node's upstream resolvers: where `forward . /etc/resolv.conf` sends what the cluster does not know. */
  readonly upstreams?: readonly string[];
  /**
   * The cluster's DNSChaos rules (simulation.md §4.1): one table every CoreDNS replica consults,
   * replicas started later included, so adding or removing a rule reaches the whole cluster at
   * once. None by default.
   */
  readonly chaos?: DnsChaos;
}

/**
 * Installs a cluster's DNS as kubeadm does: the `coredns` ConfigMap in kube-system holding the
 * Corefile, the `coredns` Deployment (label `k8s-app: kube-dns`), and the `kube-dns` Service at the
 * tenth address of the service range with ports dns/53 UDP, dns-tcp/53 TCP and metrics/9153. Each
 * CoreDNS pod, when it starts, reads the Corefile from the ConfigMap and runs a {@link CoreDns}
 * replica on port 53, so that kube-dns spreads queries across the replicas through kube-proxy.
 *
 * @returns the kube-dns Service's address.
 * @throws CorefileError when the Corefile cannot be used (checked now, before any pod starts).
 */
export function installClusterDns(cluster: KubeCluster, options: ClusterDnsOptions = {}): string {
  const corefileText = options.corefile ?? kubeadmCorefile(cluster.domain);
  const parseOptions = { plugins: IMPLEMENTED_PLUGINS, variables: options.variables ?? {}, files: options.files ?? {} };
  parseCorefile(corefileText, "Corefile", parseOptions);
  const dnsIp = cluster.serviceIp(KUBE_DNS_SERVICE_INDEX);
  cluster.registerImage({
    image: COREDNS_IMAGE_PATTERN,
    start({ sim, network, api, pod, host }) {
      const configMap = api.get("ConfigMap", "kube-system", "coredns");
      const corefile = parseCorefile(configMap?.data?.Corefile ?? corefileText, "Corefile", parseOptions);
      const server = new CoreDns(sim, { cluster: cluster.name, namespace: pod.metadata.namespace ?? "kube-system", name: pod.metadata.name }, {
        corefile,
        api,
        resolvConfNameservers: options.upstreams ?? [],
        files: options.files ?? {},
        ...(options.service ? { service: options.service } : {}),
        ...(options.chaos ? { chaos: options.chaos } : {}),
      });
      network.bind(server, host, DNS_PORT);
      return { stop: () => network.unbind(server) };
    },
  });
  const labels = { "k8s-app": "kube-dns" };
  const configMap: ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: "coredns", namespace: "kube-system" },
    data: { Corefile: corefileText },
  };
  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: "coredns", namespace: "kube-system", labels },
    spec: {
      replicas: options.replicas ?? 2,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          dnsPolicy: "Default",
          containers: [
            {
              name: "coredns",
              image: COREDNS_IMAGE,
              args: ["-conf", "/etc/coredns/Corefile"],
              ports: [
                { name: "dns", containerPort: 53, protocol: "UDP" },
                { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
                { name: "metrics", containerPort: 9153, protocol: "TCP" },
              ],
            },
          ],
        },
      },
    },
  };
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: "kube-dns", namespace: "kube-system", labels: { ...labels, "kubernetes.io/name": "CoreDNS" } },
    spec: {
      selector: labels,
      clusterIP: dnsIp,
      ports: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
      ],
    },
  };
  cluster.apply([configMap, deployment, service]);
  return dnsIp;
}
