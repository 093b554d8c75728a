import type { Host } from "../net/host.js";
import type { Network } from "../net/network.js";
import type { Cluster } from "../net/topology.js";
import type { Distribution } from "../sim/distribution.js";
import type { Sim } from "../sim/sim.js";
import { ApiError, ApiServer, type WatchEvent } from "./apiserver.js";
import { EndpointSliceController } from "./endpointslices.js";
import { ClusterIpAllocator, clusterIpAdmission } from "./ipam.js";
import { KubeProxy } from "./kube-proxy.js";
import { LoadBalancerController } from "./loadbalancer.js";
import { Kubelet, type ContainerFactory, type KubeletOptions } from "./kubelet.js";
import type { K8sObject, Kind, ObjectOfKind } from "./objects.js";
import { WorkloadController } from "./workloads.js";

/** Options of a {@link KubeCluster}. */
export interface KubeClusterOptions extends KubeletOptions {
  /** The cluster domain; default `cluster.local`. */
  readonly domain?: string;
  /** How long API changes take to reach watchers; see {@link ApiServerOptions.watchDelay}. */
  readonly watchDelay?: Distribution;
}

/** The address of the `kubernetes` Service: the first of the service range. */
export const KUBERNETES_SERVICE_INDEX = 1;
/** The address of the `kube-dns` Service by convention: the tenth of the service range. */
export const KUBE_DNS_SERVICE_INDEX = 10;

/** The cluster domain of a cluster that names none, as kubeadm's default `DNSDomain`. */
export const DEFAULT_CLUSTER_DOMAIN = "cluster.local";

/**
 * One Kubernetes cluster on the simulated network: its API server (with ClusterIP allocation
 * from the cluster's service range), the scheduler and kubelets, the EndpointSlice and workload
 * controllers, and kube-proxy. It starts with the four usual namespaces and the `kubernetes`
 * Service at the first address of the range, as a new cluster has.
 */
export class KubeCluster {
  readonly api: ApiServer;
  readonly kubelet: Kubelet;
  readonly endpointSlices: EndpointSliceController;
  readonly workloads: WorkloadController;
  readonly proxy: KubeProxy;
  readonly loadBalancers: LoadBalancerController;
  readonly domain: string;

  constructor(
    readonly sim: Sim,
    readonly network: Network,
    readonly topology: Cluster,
    options: KubeClusterOptions = {},
  ) {
    this.domain = options.domain ?? DEFAULT_CLUSTER_DOMAIN;
    this.api = new ApiServer(sim, topology.name, options.watchDelay ? { watchDelay: options.watchDelay } : {});
    this.api.addAdmission(clusterIpAdmission(new ClusterIpAllocator(topology.serviceCidr, sim.rng.stream(`apiserver/${topology.name}/clusterip`))));
    this.api.addAdmission((object) => {
      const nodeName = object?.kind === "Pod" ? object.spec.nodeName : undefined;
      if (nodeName && !topology.nodes.some((n) => n.name === nodeName)) {
        throw new ApiError("Invalid", `Pod "${object!.metadata.name}" is invalid: spec.nodeName: no node ${JSON.stringify(nodeName)} in cluster ${topology.name}; its nodes are ${topology.nodes.map((n) => n.name).join(", ")}`);
      }
    });
    this.kubelet = new Kubelet(sim, network, this.api, topology, options);
    this.endpointSlices = new EndpointSliceController(sim, this.api, network.topology);
    this.workloads = new WorkloadController(sim, this.api);
    this.proxy = new KubeProxy(sim, network, this.api, topology.network);
    this.loadBalancers = new LoadBalancerController(this.api, network);
    this.api.create({
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: "kubernetes", namespace: "default", labels: { component: "apiserver", provider: "kubernetes" } },
      spec: { clusterIP: this.serviceIp(KUBERNETES_SERVICE_INDEX), ports: [{ name: "https", port: 443, protocol: "TCP", targetPort: 6443 }] },
    });
  }

  /** The cluster's name. */
  get name(): string {
    return this.topology.name;
  }

  /** The `index`-th address of the service range (`serviceIp(10)` is kube-dns's by convention). */
  serviceIp(index: number): string {
    return this.topology.serviceCidr.nth(index);
  }

  /** Applies objects in order: each is created, or updated when it exists (`kubectl apply`). */
  apply(objects: readonly K8sObject[]): void {
    for (const object of objects) this.api.apply(object);
  }

  /** Deletes one object. */
  delete<K extends Kind>(kind: K, namespace: string, name: string): Readonly<ObjectOfKind<K>> {
    return this.api.delete(kind, namespace, name);
  }

  /** Marks a pod Ready or not, as its readiness probe would. */
  setPodReady(namespace: string, name: string, ready: boolean): void {
    this.kubelet.setReady(namespace, name, ready);
  }

  /**
   * Changes whenever the API store is written or a pod's host comes or goes: what was read of the
   * cluster's pods (the API's objects, {@link podHost}) holds while it stays the same. Lookups
   * read both on every arrival, and a cluster under traffic mostly keeps its pods.
   */
  get podsVersion(): number {
    return this.api.revision + this.kubelet.hostsVersion;
  }

  /** The network host of a running pod. */
  podHost(namespace: string, name: string): Host | undefined {
    return this.kubelet.hostOf(namespace, name);
  }

  /** Registers what pods with a matching image do when they start (the DNS server, a client). */
  registerImage(factory: ContainerFactory): void {
    this.kubelet.registerImage(factory);
  }

  /** Watches a kind of object; see {@link ApiServer.watch}. */
  watch<K extends Kind>(kind: K, watcher: string, handler: (event: WatchEvent<K>) => void): () => void {
    return this.api.watch(kind, watcher, handler);
  }
}
