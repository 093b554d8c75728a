/**
 * An Istio multi-cluster mesh over a world's clusters (mesh.md §1.1): istiod in each primary,
 * watching its own cluster and, through remote secrets, the others' API servers across the
 * network; a sidecar in every pod of an injected namespace (label `istio-injection=enabled`) or
 * with the annotation `sidecar.istio.io/inject: "true"`, connected to its cluster's istiod (a
 * remote cluster's to its primary's). Each watched API server gets an endpoint on a host of its
 * own (`<cluster>/kube-apiserver`, a managed control plane's public address), so that a fault can
 * partition it from istiod.
 */
import type { KubeCluster } from "../../k8s/cluster.js";
import type { Pod } from "../../k8s/objects.js";
import { ApiServerEndpoint, APISERVER_PORT, nodeInfo } from "../../k8s/remote-watch.js";
import { stableHash } from "../../k8s/names.js";
import type { Network } from "../../net/network.js";
import { address, type Address } from "../../sim/actor.js";
import type { Sim } from "../../sim/sim.js";
import { Istiod, type IstiodTuning } from "./istiod.js";
import { podLocality, REGION_LABEL, ZONE_LABEL } from "./locality.js";
import { remoteSecret, watchRemoteSecrets, type RemoteDirectory } from "./secrets.js";
import { Sidecar } from "./sidecar.js";
import { XDS_PORT, XDS_TYPES, type XdsType } from "./xds.js";

/** The namespace label that turns injection on (mesh.md §1.1; Istio's sidecar injector). */
export const INJECTION_LABEL = "istio-injection";
/** The pod annotation (or label) that turns injection on or off for one pod. */
export const INJECT_ANNOTATION = "sidecar.istio.io/inject";
/** The namespace label naming a cluster's network (mesh.md §1.1). */
export const NETWORK_LABEL = "topology.istio.io/network";
/** The annotation a remote cluster's istio-system gets, naming its primaries (mesh.md §1.1). */
export const CONTROL_PLANE_CLUSTERS = "topology.istio.io/controlPlaneClusters";
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
}

/** The server URL of a cluster's API server, as a remote secret's kubeconfig names it. */
export function apiServerUrl(cluster: string): string {
  return `https://${cluster}-control-plane:${APISERVER_PORT}`;
}

/** Whether a pod gets a sidecar: its annotation or label if it has one, else its namespace's label. */
export function injected(pod: Readonly<Pod>, namespaceLabels: Readonly<Record<string, string>> | undefined): boolean {
  const own = pod.metadata.annotations?.[INJECT_ANNOTATION] ?? pod.metadata.labels?.[INJECT_ANNOTATION];
  if (own !== undefined) return own === "true";
  return namespaceLabels?.[INJECTION_LABEL] === "enabled";
}

/** The mesh. */
export class IstioMesh {
  /** istiod by primary cluster. */
  readonly istiods = new Map<string, Istiod>();
  /** Sidecars by cluster, then `namespace/pod`. */
  private readonly sidecars = new Map<string, Map<string, Sidecar>>();
  private readonly apiEndpoints = new Map<string, Address>();
  /** Whether sidecars keep access logs (see {@link enableAccessLogs}). */
  private accessLogging = false;

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly clusters: ReadonlyMap<string, KubeCluster>,
    readonly options: IstioMeshOptions,
  ) {
    const members = options.clusters;
    for (const m of members) this.prepareNamespaces(m);
    for (const m of members.filter((c) => c.primary === undefined)) this.startIstiod(m);
    for (const m of members) this.watchPods(m);
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
      server: (url) => this.apiServerAt(url),
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

  /**
   * The API server a kubeconfig's server URL names: `https://<cluster>-control-plane:6443` is
   * the cluster's (named as kind names its control plane's node); anything else names none.
   */
  private apiServerAt(url: URL): Address | undefined {
    const name = /^(.+)-control-plane$/.exec(url.hostname)?.[1];
    if (name === undefined || !this.clusters.has(name) || url.protocol !== "https:" || (url.port || "443") !== String(APISERVER_PORT)) return undefined;
    return this.apiEndpoint(name);
  }

  /** The address of a cluster's API server endpoint, made on first use. */
  private apiEndpoint(name: string): Address {
    const known = this.apiEndpoints.get(name);
    if (known) return known;
    const cluster = this.cluster(name);
    const topo = cluster.topology;
    const node = this.network.topology.addExternalNode({ name: `${name}-control-plane`, region: topo.region, zone: topo.zones[0]! });
    const host = this.network.addHost({ name: `${name}/kube-apiserver`, node, ip: this.network.allocateExternalAddress() });
    const endpoint = new ApiServerEndpoint(this.sim, { cluster: name, namespace: "kube-system", name: "kube-apiserver" }, cluster.api, () => topo.nodes.map(nodeInfo));
    this.network.bind(endpoint, host, APISERVER_PORT);
    const a = address(host.ip, APISERVER_PORT);
    this.apiEndpoints.set(name, a);
    return a;
  }

  /** Starts and stops sidecars with the cluster's pods, as the injector and the kubelet would. */
  private watchPods(m: MeshClusterOptions): void {
    const cluster = this.cluster(m.name);
    const byPod = new Map<string, Sidecar>();
    this.sidecars.set(m.name, byPod);
    const types: readonly XdsType[] = XDS_TYPES;
    cluster.api.watch("Pod", "istio-sidecar-injector", (e) => {
      const pod = e.object;
      const namespace = pod.metadata.namespace ?? "default";
      const ref = `${namespace}/${pod.metadata.name}`;
      const current = byPod.get(ref);
      const host = cluster.podHost(namespace, pod.metadata.name);
      if (current && (e.type === "DELETED" || current.host !== host)) {
        current.stop();
        byPod.delete(ref);
      }
      if (e.type === "DELETED" || !host || byPod.has(ref)) return;
      if (!injected(pod, cluster.api.get("Namespace", "", namespace)?.metadata.labels)) return;
      const node = host.node;
      const locality = podLocality(pod.metadata.labels, { [REGION_LABEL]: node.region, [ZONE_LABEL]: node.zone });
      const meta = { id: `${pod.metadata.name}.${namespace}`, pod: pod.metadata.name, namespace, cluster: m.name, network: m.network, locality, labels: pod.metadata.labels ?? {}, istioVersion: this.options.version, types };
      const sidecar = new Sidecar(this.sim, { cluster: m.name, namespace, name: pod.metadata.name }, this.network, host, meta, this.istiodFor(m.name).address!);
      if (this.accessLogging) sidecar.accessLog = [];
      sidecar.start();
      byPod.set(ref, sidecar);
    });
  }

  private cluster(name: string): KubeCluster {
    return this.clusters.get(name)!;
  }
}
