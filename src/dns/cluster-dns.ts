import type { KubeCluster } from "../k8s/cluster.js";
import { KUBE_DNS_SERVICE_INDEX } from "../k8s/cluster.js";
import type { ConfigMap, ContainerPort, Deployment, DNSPolicy, Service, ServicePort } from "../k8s/objects.js";
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

/** A CoreDNS Deployment in a cluster: its objects' names and labels, its image, and its Corefile. */
export interface CoreDnsDeployment {
  readonly namespace: string;
  /** The name of the Deployment, of its container, and of the ConfigMap holding its Corefile. */
  readonly name: string;
  /** The name of the Service in front of its pods. */
  readonly serviceName: string;
  readonly image: string;
  /** Pods whose image matches run a {@link CoreDns} replica with this Deployment's Corefile. */
  readonly imagePattern: RegExp;
  /** The pods' labels: what the Deployment and the Service select. */
  readonly labels: Readonly<Record<string, string>>;
  /** Labels of the Service besides the pods'. */
  readonly serviceLabels?: Readonly<Record<string, string>>;
  readonly replicas: number;
  readonly corefile: string;
  readonly containerPorts?: readonly ContainerPort[];
  readonly servicePorts: readonly ServicePort[];
  /** The Service's address, pinned; allocated from the service range when absent. */
  readonly clusterIP?: string;
  readonly dnsPolicy?: DNSPolicy;
}

/** What every replica of a CoreDNS Deployment is run with: {@link ClusterDnsOptions} but for what the Deployment itself says. */
export type CoreDnsRuntime = Omit<ClusterDnsOptions, "replicas" | "corefile">;

/**
 * Installs a CoreDNS Deployment: its ConfigMap holding the Corefile, the Deployment and the Service
 * in front of it. Each pod of the image, when it starts, reads the Corefile from the ConfigMap (so
 * a change made before it starts is what it runs) and runs a {@link CoreDns} replica on port 53.
 *
 * @returns the Service, as stored (with its ClusterIP).
 * @throws CorefileError when the Corefile cannot be used (checked now, before any pod starts).
 */
export function installCoreDns(cluster: KubeCluster, d: CoreDnsDeployment, runtime: CoreDnsRuntime = {}): Readonly<Service> {
  const parseOptions = { plugins: IMPLEMENTED_PLUGINS, variables: runtime.variables ?? {}, files: runtime.files ?? {} };
  parseCorefile(d.corefile, "Corefile", parseOptions);
  cluster.registerImage({
    image: d.imagePattern,
    start({ sim, network, api, pod, host }) {
      const configMap = api.get("ConfigMap", d.namespace, d.name);
      const corefile = parseCorefile(configMap?.data?.Corefile ?? d.corefile, "Corefile", parseOptions);
      const server = new CoreDns(sim, { cluster: cluster.name, namespace: pod.metadata.namespace ?? d.namespace, name: pod.metadata.name }, {
        corefile,
        api,
        resolvConfNameservers: runtime.upstreams ?? [],
        files: runtime.files ?? {},
        ...(runtime.service ? { service: runtime.service } : {}),
        ...(runtime.chaos ? { chaos: runtime.chaos } : {}),
      });
      network.bind(server, host, DNS_PORT);
      return { stop: () => network.unbind(server) };
    },
  });
  const labels = { ...d.labels };
  const configMap: ConfigMap = {
    apiVersion: "v1",
    kind: "ConfigMap",
    metadata: { name: d.name, namespace: d.namespace },
    data: { Corefile: d.corefile },
  };
  const deployment: Deployment = {
    apiVersion: "apps/v1",
    kind: "Deployment",
    metadata: { name: d.name, namespace: d.namespace, labels },
    spec: {
      replicas: d.replicas,
      selector: { matchLabels: labels },
      template: {
        metadata: { labels },
        spec: {
          ...(d.dnsPolicy ? { dnsPolicy: d.dnsPolicy } : {}),
          containers: [{ name: d.name, image: d.image, args: ["-conf", "/etc/coredns/Corefile"], ...(d.containerPorts ? { ports: d.containerPorts.map((p) => ({ ...p })) } : {}) }],
        },
      },
    },
  };
  const service: Service = {
    apiVersion: "v1",
    kind: "Service",
    metadata: { name: d.serviceName, namespace: d.namespace, labels: { ...labels, ...d.serviceLabels } },
    spec: { selector: labels, ...(d.clusterIP ? { clusterIP: d.clusterIP } : {}), ports: d.servicePorts.map((p) => ({ ...p })) },
  };
  cluster.apply([configMap, deployment, service]);
  return cluster.api.get("Service", d.namespace, d.serviceName)!;
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
  const { replicas, corefile, ...runtime } = options;
  const service = installCoreDns(
    cluster,
    {
      namespace: "kube-system",
      name: "coredns",
      serviceName: "kube-dns",
      image: COREDNS_IMAGE,
      imagePattern: COREDNS_IMAGE_PATTERN,
      labels: { "k8s-app": "kube-dns" },
      serviceLabels: { "kubernetes.io/name": "CoreDNS" },
      replicas: replicas ?? 2,
      corefile: corefile ?? kubeadmCorefile(cluster.domain),
      containerPorts: [
        { name: "dns", containerPort: 53, protocol: "UDP" },
        { name: "dns-tcp", containerPort: 53, protocol: "TCP" },
        { name: "metrics", containerPort: 9153, protocol: "TCP" },
      ],
      servicePorts: [
        { name: "dns", port: 53, protocol: "UDP", targetPort: 53 },
        { name: "dns-tcp", port: 53, protocol: "TCP", targetPort: 53 },
        { name: "metrics", port: 9153, protocol: "TCP", targetPort: 9153 },
      ],
      clusterIP: cluster.serviceIp(KUBE_DNS_SERVICE_INDEX),
      dnsPolicy: "Default",
    },
    runtime,
  );
  return service.spec.clusterIP!;
}
