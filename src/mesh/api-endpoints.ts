/**
 * The clusters' API servers as controllers in other clusters reach them (mesh.md §1.2, §5.1):
 * each on a host of its own (`<cluster>/kube-apiserver`, a managed control plane's public
 * address, on an external node named as kind names its control-plane node), made on first use,
 * and named by the server URL a kubeconfig gives, `https://<cluster>-control-plane:6443`. Istio's
 * remote secrets and Linkerd's link credentials both name them so.
 */
import type { KubeCluster } from "../k8s/cluster.js";
import { ApiServerEndpoint, APISERVER_PORT, nodeInfo } from "../k8s/remote-watch.js";
import type { Network } from "../net/network.js";
import { address, type Address } from "../sim/actor.js";
import type { Sim } from "../sim/sim.js";

/** The server URL of a cluster's API server, as a kubeconfig for it names it. */
export function apiServerUrl(cluster: string): string {
  return `https://${cluster}-control-plane:${APISERVER_PORT}`;
}

/** The API servers' endpoints of a world's clusters. */
export class ApiServerEndpoints {
  private readonly endpoints = new Map<string, Address>();

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly clusters: ReadonlyMap<string, KubeCluster>,
  ) {}

  /**
   * The API server a kubeconfig's server URL names: `https://<cluster>-control-plane:6443` is
   * the cluster's; anything else names none.
   */
  at(url: URL): Address | undefined {
    const name = /^(.+)-control-plane$/.exec(url.hostname)?.[1];
    if (name === undefined || !this.clusters.has(name) || url.protocol !== "https:" || (url.port || "443") !== String(APISERVER_PORT)) return undefined;
    return this.of(name);
  }

  /** The address of a cluster's API server endpoint, made on first use. */
  of(name: string): Address {
    const known = this.endpoints.get(name);
    if (known) return known;
    const cluster = this.clusters.get(name)!;
    const topo = cluster.topology;
    const node = this.network.topology.addExternalNode({ name: `${name}-control-plane`, region: topo.region, zone: topo.zones[0]! });
    const host = this.network.addHost({ name: `${name}/kube-apiserver`, node, ip: this.network.allocateExternalAddress() });
    const endpoint = new ApiServerEndpoint(this.sim, { cluster: name, namespace: "kube-system", name: "kube-apiserver" }, cluster.api, () => topo.nodes.map(nodeInfo));
    this.network.bind(endpoint, host, APISERVER_PORT);
    const a = address(host.ip, APISERVER_PORT);
    this.endpoints.set(name, a);
    return a;
  }
}
