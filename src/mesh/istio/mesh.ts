/**
 * An Istio multi-cluster mesh over a world's clusters (mesh.md §1.1): istiod in each primary,
 * watching its own cluster and, through remote secrets, the others' API servers across the
 * network; a sidecar in every pod of an injected namespace (label `istio-injection=enabled`) or
 * with the annotation `sidecar.istio.io/inject: "true"`, connected to its cluster's istiod (a
 * remote cluster's to its primary's). Each watched API server gets an endpoint on a host of its
 * own (`<cluster>/kube-apiserver`, a managed control plane's public address), so that a fault can
 * partition it from istiod.
 */
import { parse as parseYaml } from "yaml";
import type { ResolvConf } from "../../dns/resolver/resolvconf.js";
import type { KubeCluster } from "../../k8s/cluster.js";
import type { Pod } from "../../k8s/objects.js";
import { ApiServerEndpoints, apiServerUrl } from "../api-endpoints.js";
import { stableHash } from "../../k8s/names.js";
import type { OutboundRedirect } from "../../net/host.js";
import type { Network } from "../../net/network.js";
import type { Sim } from "../../sim/sim.js";
import { dnsCaptureRule, DnsProxy, DNS_PROXY_PORT } from "./dns-proxy.js";
import { injected, INJECTION_LABEL } from "./inject.js";
import { Istiod, type IstiodTuning } from "./istiod.js";
import { matchesLabels } from "../../k8s/labels.js";
import { EastWestGateway, EASTWEST_SELECTOR, eastWestObjects } from "./eastwest.js";
import { podLocality, REGION_LABEL, ZONE_LABEL, type Locality } from "./locality.js";
import { DEFAULT_ROOT_CA, DEFAULT_TRUST_DOMAIN } from "./mtls.js";
import { remoteSecret, watchRemoteSecrets, type RemoteDirectory } from "./secrets.js";
import { Sidecar } from "./sidecar.js";
import { NDS, XDS_PORT, XDS_TYPES, type ProxyMetadata, type XdsType } from "./xds.js";

export { injected, INJECTION_LABEL, INJECT_ANNOTATION } from "./inject.js";
/** The namespace label naming a cluster's network (mesh.md §1.1). */
export const NETWORK_LABEL = "topology.istio.io/network";
/** The annotation a remote cluster's istio-system gets, naming its primaries (mesh.md §1.1). */
export const CONTROL_PLANE_CLUSTERS = "topology.istio.io/controlPlaneClusters";
/** The pod annotation with a pod's own proxy config (ProxyConfig as YAML: `proxyMetadata`, ...). */
export const PROXY_CONFIG_ANNOTATION = "proxy.istio.io/config";
/** The proxy metadata that turns the agent's DNS proxy on (mesh.md §4). */
export const DNS_CAPTURE = "ISTIO_META_DNS_CAPTURE";
/** The proxy metadata that has istiod allocate addresses for ServiceEntries without (mesh.md §4). */
export const DNS_AUTO_ALLOCATE = "ISTIO_META_DNS_AUTO_ALLOCATE";
/** The Istio version a mesh has when a scenario names none. */
export const DEFAULT_ISTIO_VERSION = "1.24.0";
/** Istio's own namespace. */
export const ISTIO_NAMESPACE = "istio-system";

/** One cluster of the mesh. */
export interface MeshClusterOptions {
  readonly name: string;
  /** Its Istio network (`topology.istio.io/network`). */
  readonly network: string;
  /** The primary whose istiod it uses; undefined for a primary. */
  readonly primary?: string;
  /** The trust domain of its workloads (default `cluster.local`, mesh.md §3.5). */
  readonly trustDomain?: string;
  /**
   * The root CA its istiod's certificates chain to (default {@link DEFAULT_ROOT_CA}, shared by
   * every cluster): clusters with different roots fail each other's mTLS handshakes (mesh.md §3.5).
   */
  readonly rootCA?: string;
  /**
   * Whether it gets an east-west gateway (mesh.md §1.3: the gateway Deployment and its
   * LoadBalancer Service in istio-system, and the cross-network Gateway); by default, when the
   * mesh's members span more than one network.
   */
  readonly eastWestGateway?: boolean;
}

/** Options of an {@link IstioMesh}. */
export interface IstioMeshOptions {
  /** The Istio version (`1.24.0`), shown as the proxies' VERSION and choosing `istioctl`'s layouts. */
  readonly version: string;
  readonly revision: string;
  readonly model: "multi-primary" | "primary-remote";
  readonly clusters: readonly MeshClusterOptions[];
  /** Namespaces labelled `istio-injection=enabled` in every cluster. */
  readonly injectNamespaces: readonly string[];
  /** Every istiod's push and load-balancing settings. */
  readonly istiod?: IstiodTuning;
  /** `meshConfig.defaultConfig.proxyMetadata`: every proxy's, under a pod's own annotation (mesh.md §4). */
  readonly proxyMetadata?: Readonly<Record<string, string>>;
}

/**
 * A pod's proxy metadata: the mesh's, with the `proxyMetadata` of its `proxy.istio.io/config`
 * annotation over it. An annotation that is not a YAML map adds nothing (the injector would
 * refuse the pod; mcsim runs it with the mesh's).
 */
export function proxyMetadata(pod: Readonly<Pod>, mesh: Readonly<Record<string, string>> | undefined): Readonly<Record<string, string>> {
  const text = pod.metadata.annotations?.[PROXY_CONFIG_ANNOTATION];
  if (text === undefined) return mesh ?? {};
  let own: unknown;
  try {
    own = (parseYaml(text) as { proxyMetadata?: unknown } | null)?.proxyMetadata;
  } catch {
    own = undefined;
  }
  const entries = own && typeof own === "object" ? Object.entries(own).map(([k, v]) => [k, String(v)] as const) : [];
  return { ...mesh, ...Object.fromEntries(entries) };
}

/** The DNS proxy of a running sidecar, and the capture rule that sends the pod's DNS to it. */
interface DnsCapture {
  readonly proxy: DnsProxy;
  readonly rule: OutboundRedirect;
}

/** The server URL of a cluster's API server, as a remote secret's kubeconfig names it. */
export { apiServerUrl } from "../api-endpoints.js";

/** The mesh. */
export class IstioMesh {
  /** istiod by primary cluster. */
  readonly istiods = new Map<string, Istiod>();
  /** Sidecars by cluster, then `namespace/pod`. */
  private readonly sidecars = new Map<string, Map<string, Sidecar>>();
  private readonly apiEndpoints: ApiServerEndpoints;
  private readonly captures = new Map<Sidecar, DnsCapture>();
  /** Whether sidecars keep access logs (see {@link enableAccessLogs}). */
  private accessLogging = false;
  /** Running east-west gateways by cluster, then `namespace/pod`. */
  private readonly gateways = new Map<string, Map<string, EastWestGateway>>();

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly clusters: ReadonlyMap<string, KubeCluster>,
    readonly options: IstioMeshOptions,
    /** A pod's resolv.conf, as the kubelet wrote it: the agent's upstreams and search domains. */
    private readonly resolvConf?: (cluster: string, pod: Readonly<Pod>) => ResolvConf,
  ) {
    this.apiEndpoints = new ApiServerEndpoints(sim, network, clusters);
    const members = options.clusters;
    for (const m of members) this.prepareNamespaces(m);
    for (const m of members.filter((c) => c.primary === undefined)) this.startIstiod(m);
    for (const m of members) this.watchPods(m);
    const multiNetwork = new Set(members.map((m) => m.network)).size > 1;
    for (const m of members) {
      this.runGateways(m);
      if (m.eastWestGateway ?? multiNetwork) this.cluster(m.name).apply(eastWestObjects(m.network, options.version, ISTIO_NAMESPACE));
    }
  }

  /** The east-west gateway of a cluster, by cluster; undefined while its pod is not running. */
  gatewayOf(cluster: string): EastWestGateway | undefined {
    return [...(this.gateways.get(cluster)?.values() ?? [])][0];
  }

  /**
   * Runs an east-west gateway in each pod of the cluster that is one (`istio: eastwestgateway`,
   * the proxyv2 image): a router proxy connected to the cluster's istiod, and the 15443 listener.
   */
  private runGateways(m: MeshClusterOptions): void {
    const cluster = this.cluster(m.name);
    const running = new Map<string, EastWestGateway>();
    this.gateways.set(m.name, running);
    cluster.registerImage({
      image: /(^|\/)proxyv2:/,
      matches: (pod) => matchesLabels(pod.metadata.labels, EASTWEST_SELECTOR),
      start: ({ sim, network, pod, host }) => {
        const namespace = pod.metadata.namespace ?? ISTIO_NAMESPACE;
        const id = { cluster: m.name, namespace, name: pod.metadata.name };
        const locality = podLocality(pod.metadata.labels, { [REGION_LABEL]: host.node.region, [ZONE_LABEL]: host.node.zone });
        const meta = { ...this.proxyMetadata(m, namespace, pod.metadata.name, pod.metadata.labels ?? {}, locality), router: true };
        const proxy = new Sidecar(sim, id, network, host, meta, this.istiodFor(m.name).address!);
        const gateway = new EastWestGateway(sim, { ...id, name: `${pod.metadata.name}/tls` }, network, host, proxy);
        gateway.start();
        const ref = `${namespace}/${pod.metadata.name}`;
        running.set(ref, gateway);
        return {
          stop: () => {
            gateway.stop();
            running.delete(ref);
          },
        };
      },
    });
  }

  /** The sidecar of a running pod, if it has one. */
  sidecarOf(cluster: string, namespace: string, pod: string): Sidecar | undefined {
    return this.sidecars.get(cluster)?.get(`${namespace}/${pod}`);
  }

  /**
   * Turns on the sidecars' access logs from now on, as meshConfig `accessLogFile: /dev/stdout`
   * does: the lab shell asks for it, so that `kubectl logs POD -c istio-proxy` has lines to show.
   * Off by default, so that runs nobody reads logs of record nothing.
   */
  enableAccessLogs(): void {
    this.accessLogging = true;
    for (const sidecar of this.allSidecars()) sidecar.accessLog ??= [];
  }

  /** Every sidecar, by cluster in mesh order, then in the order they started. */
  allSidecars(): Sidecar[] {
    return [...this.sidecars.values()].flatMap((m) => [...m.values()]);
  }

  /** The istiod a cluster's sidecars connect to. */
  istiodFor(cluster: string): Istiod {
    const m = this.options.clusters.find((c) => c.name === cluster)!;
    return this.istiods.get(m.primary ?? m.name)!;
  }

  /** True while any istiod has a change waiting or a push under way. */
  get pushing(): boolean {
    return [...this.istiods.values()].some((i) => i.pushing);
  }

  private prepareNamespaces(m: MeshClusterOptions): void {
    const api = this.cluster(m.name).api;
    const labelled = (name: string, labels: Record<string, string>, annotations: Record<string, string> = {}) => {
      const current = api.get("Namespace", "", name);
      const metadata = { ...current?.metadata, name, labels: { ...current?.metadata.labels, ...labels }, ...(Object.keys(annotations).length ? { annotations: { ...current?.metadata.annotations, ...annotations } } : {}) };
      api.apply({ apiVersion: "v1", kind: "Namespace", metadata });
    };
    labelled(ISTIO_NAMESPACE, { [NETWORK_LABEL]: m.network }, m.primary !== undefined ? { [CONTROL_PLANE_CLUSTERS]: m.primary } : {});
    for (const ns of this.options.injectNamespaces) labelled(ns, { [INJECTION_LABEL]: "enabled" });
  }

  private startIstiod(m: MeshClusterOptions): void {
    const cluster = this.cluster(m.name);
    const podName = `istiod-${stableHash(`${m.name}/istiod`, 10)}-${stableHash(`${m.name}/istiod/pod`, 5)}`;
    const host = this.network.addHost({ name: `${m.name}/${ISTIO_NAMESPACE}/${podName}`, node: cluster.topology.nodes[0]! });
    const istiod = new Istiod(this.sim, { cluster: m.name, namespace: ISTIO_NAMESPACE, name: podName }, this.network, {
      cluster: m.name,
      network: m.network,
      podName,
      revision: this.options.revision,
      version: this.options.version,
      domain: cluster.domain,
      ...this.options.istiod,
    });
    this.network.bind(istiod, host, XDS_PORT);
    this.istiods.set(m.name, istiod);
    istiod.addLocalCluster(cluster.api, cluster.topology.nodes);
    const directory: RemoteDirectory = {
      server: (url) => this.apiEndpoints.at(url),
      network: (name) => this.clusters.get(name)?.api.get("Namespace", "", ISTIO_NAMESPACE)?.metadata.labels?.[NETWORK_LABEL] ?? "",
    };
    watchRemoteSecrets(istiod, cluster.api, ISTIO_NAMESPACE, directory);
    // Multi-primary: every primary watches every other cluster; primary-remote: a primary
    // watches the other primaries and the remotes that use it (mesh.md §1.1). As on a real mesh,
    // through the remote secrets `istioctl create-remote-secret` writes, so that they are there
    // to see, edit and delete.
    const secrets = this.options.clusters
      .filter((other) => other.name !== m.name && !(this.options.model === "primary-remote" && other.primary !== undefined && other.primary !== m.name))
      .map((other) => remoteSecret(other.name, apiServerUrl(other.name), ISTIO_NAMESPACE));
    for (const secret of secrets) cluster.api.apply(secret);
  }

  /** Starts and stops sidecars with the cluster's pods, as the injector and the kubelet would. */
  private watchPods(m: MeshClusterOptions): void {
    const cluster = this.cluster(m.name);
    const byPod = new Map<string, Sidecar>();
    this.sidecars.set(m.name, byPod);
    const withNames: readonly XdsType[] = [...XDS_TYPES, NDS];
    cluster.api.watch("Pod", "istio-sidecar-injector", (e) => {
      const pod = e.object;
      const namespace = pod.metadata.namespace ?? "default";
      const ref = `${namespace}/${pod.metadata.name}`;
      const current = byPod.get(ref);
      const host = cluster.podHost(namespace, pod.metadata.name);
      if (current && (e.type === "DELETED" || current.host !== host)) {
        current.stop();
        this.stopCapture(current);
        byPod.delete(ref);
      }
      if (e.type === "DELETED" || !host || byPod.has(ref)) return;
      if (!injected(pod, cluster.api.get("Namespace", "", namespace)?.metadata.labels)) return;
      const node = host.node;
      const locality = podLocality(pod.metadata.labels, { [REGION_LABEL]: node.region, [ZONE_LABEL]: node.zone });
      const metadata = proxyMetadata(pod, this.options.proxyMetadata);
      const capture = metadata[DNS_CAPTURE] === "true";
      const meta: ProxyMetadata = {
        ...this.proxyMetadata(m, namespace, pod.metadata.name, pod.metadata.labels ?? {}, locality),
        types: capture ? withNames : XDS_TYPES,
        ...(metadata[DNS_AUTO_ALLOCATE] === "true" ? { dnsAutoAllocate: true } : {}),
      };
      const sidecar = new Sidecar(this.sim, { cluster: m.name, namespace, name: pod.metadata.name }, this.network, host, meta, this.istiodFor(m.name).address!);
      const resolv = this.resolvConf?.(m.name, pod);
      sidecar.dns.nameservers = resolv?.nameservers ?? [];
      if (capture && resolv) this.startCapture(sidecar, resolv);
      if (this.accessLogging) sidecar.accessLog = [];
      sidecar.start();
      byPod.set(ref, sidecar);
    });
  }

  /** The agent's DNS proxy on port 15053, and the pod's iptables rule that sends its DNS there (mesh.md §4). */
  private startCapture(sidecar: Sidecar, resolv: ResolvConf): void {
    const { host, meta } = sidecar;
    const proxy = new DnsProxy(this.sim, { cluster: meta.cluster, namespace: meta.namespace, name: `${meta.pod}/istio-dns` }, meta.namespace, resolv.searches[0], resolv.nameservers[0] ?? "");
    this.network.bind(proxy, host, DNS_PROXY_PORT);
    sidecar.proxyActors.add(proxy);
    sidecar.onNameTable = (entries) => proxy.load(entries);
    const rule = dnsCaptureRule(host.ip, resolv.nameservers, sidecar.proxyActors);
    host.redirects = [...host.redirects, rule];
    this.captures.set(sidecar, { proxy, rule });
  }

  private stopCapture(sidecar: Sidecar): void {
    const capture = this.captures.get(sidecar);
    if (!capture) return;
    this.captures.delete(sidecar);
    this.network.unbind(capture.proxy);
    sidecar.host.redirects = sidecar.host.redirects.filter((r) => r !== capture.rule);
  }

  /** What a proxy of the cluster's pod says of itself when it connects. */
  private proxyMetadata(m: MeshClusterOptions, namespace: string, pod: string, labels: Readonly<Record<string, string>>, locality: Locality): ProxyMetadata {
    return {
      id: `${pod}.${namespace}`,
      pod,
      namespace,
      cluster: m.name,
      network: m.network,
      locality,
      labels,
      istioVersion: this.options.version,
      types: XDS_TYPES,
      trustDomain: m.trustDomain ?? DEFAULT_TRUST_DOMAIN,
      rootCA: m.rootCA ?? DEFAULT_ROOT_CA,
    };
  }

  private cluster(name: string): KubeCluster {
    return this.clusters.get(name)!;
  }
}
