/**
 * Cilium ClusterMesh over a world's clusters (mesh.md §6): in each member a clustermesh-apiserver
 * exporting the cluster's Services and EndpointSlices, and a Cilium agent connected to every other
 * member's clustermesh-apiserver across the simulated network, load-balancing its pods'
 * connections to Services in their own node. The members share one flat network (ClusterMesh
 * needs pod IPs routable between clusters, and non-overlapping pod ranges), so a backend in
 * another cluster is reached at its pod IP.
 */
import type { KubeCluster } from "../../k8s/cluster.js";
import { stableHash } from "../../k8s/names.js";
import { nodeInfo } from "../../k8s/remote-watch.js";
import type { Network } from "../../net/network.js";
import type { Node } from "../../net/topology.js";
import type { Distribution } from "../../sim/distribution.js";
import type { Sim } from "../../sim/sim.js";
import type { Micros } from "../../sim/time.js";
import { CiliumAgent, KEEPALIVE_INTERVAL, KEEPALIVE_TIMEOUT, type SocketLb } from "./agent.js";
import { CLUSTERMESH_PORT, ClusterMeshApiserver } from "./clustermesh-apiserver.js";

/** The namespace Cilium runs in. */
export const CILIUM_NAMESPACE = "kube-system";
/** The port the agents listen on (cilium-health's), their remote watches on the ports after it. */
const AGENT_PORT = 4240;
/** The largest cluster ID (with Cilium's default `max-connected-clusters` of 255). */
export const MAX_CLUSTER_ID = 255;

/** One member: its name and its cluster ID (`cluster-id`, 1–255, unique in the mesh). */
export interface ClusterMeshMember {
  readonly name: string;
  readonly id: number;
}

/** Options of a {@link ClusterMesh}. */
export interface ClusterMeshOptions {
  readonly clusters: readonly ClusterMeshMember[];
  /** `clustermesh-cache-ttl`: how long a disconnected cluster's backends are kept; 0 or absent for ever. */
  readonly cacheTtl?: Micros;
  /** How long a change takes from a cluster's API to its clustermesh-apiserver's watchers (default: the API's watch delay). */
  readonly syncDelay?: Distribution;
  /** etcd keepalive (defaults {@link KEEPALIVE_INTERVAL}, {@link KEEPALIVE_TIMEOUT}). */
  readonly keepaliveInterval?: Micros;
  readonly keepaliveTimeout?: Micros;
}

/** A mesh that cannot be built as asked. */
export class ClusterMeshError extends Error {
  override readonly name = "ClusterMeshError";
}

/** The mesh. */
export class ClusterMesh {
  /** The agent of each member, in member order. */
  readonly agents = new Map<string, CiliumAgent>();
  /** The clustermesh-apiserver of each member. */
  readonly apiservers = new Map<string, ClusterMeshApiserver>();

  constructor(
    sim: Sim,
    network: Network,
    private readonly clusters: ReadonlyMap<string, KubeCluster>,
    readonly options: ClusterMeshOptions,
  ) {
    const members = options.clusters.map((m) => ({ ...m, cluster: memberCluster(clusters, m) }));
    checkMembers(members);
    const tuning = { cacheTtl: options.cacheTtl ?? 0, keepaliveInterval: options.keepaliveInterval ?? KEEPALIVE_INTERVAL, keepaliveTimeout: options.keepaliveTimeout ?? KEEPALIVE_TIMEOUT };
    for (const { name, cluster } of members) {
      const pod = `clustermesh-apiserver-${stableHash(`${name}/clustermesh-apiserver`, 10)}-${stableHash(`${name}/clustermesh-apiserver/pod`, 5)}`;
      const host = network.addHost({ name: `${name}/${CILIUM_NAMESPACE}/${pod}`, node: cluster.topology.nodes[0]! });
      const topo = cluster.topology;
      const server = new ClusterMeshApiserver(sim, { cluster: name, namespace: CILIUM_NAMESPACE, name: pod }, cluster.api, () => topo.nodes.map(nodeInfo), options.syncDelay ? { delay: options.syncDelay } : {});
      network.bind(server, host, CLUSTERMESH_PORT);
      this.apiservers.set(name, server);
    }
    for (const { name, cluster } of members) {
      const pod = agentPod(cluster.topology.nodes[0]!);
      const host = network.addHost({ name: `${name}/${CILIUM_NAMESPACE}/${pod}`, node: cluster.topology.nodes[0]! });
      const agent = new CiliumAgent(sim, { cluster: name, namespace: CILIUM_NAMESPACE, name: pod }, network, name, cluster.api, tuning);
      network.bind(agent, host, AGENT_PORT);
      this.agents.set(name, agent);
    }
    for (const { name } of members) {
      for (const other of members) if (other.name !== name) this.agents.get(name)!.connect(other.name, other.id, this.apiservers.get(other.name)!.address!);
    }
  }

  /** The cluster ID of a member. */
  clusterId(cluster: string): number | undefined {
    return this.options.clusters.find((m) => m.name === cluster)?.id;
  }

  /** The agent pods of a member, one per node (the cluster's agent stands for them all). */
  agentPods(cluster: string): string[] {
    return this.agents.has(cluster) ? this.clusters.get(cluster)!.topology.nodes.map(agentPod) : [];
  }

  /** The socket LB of a node of a member cluster; undefined outside the mesh. */
  socketLb(cluster: string, node: Node): SocketLb | undefined {
    return this.agents.get(cluster)?.socketLb(node);
  }
}

/** The name of the agent pod on a node (the cilium DaemonSet's). */
function agentPod(node: Node): string {
  return `cilium-${stableHash(node.name, 5)}`;
}

function memberCluster(clusters: ReadonlyMap<string, KubeCluster>, m: ClusterMeshMember): KubeCluster {
  const c = clusters.get(m.name);
  if (!c) throw new ClusterMeshError(`no cluster named ${JSON.stringify(m.name)} for the cluster mesh; there are: ${[...clusters.keys()].join(", ") || "none"}`);
  return c;
}

/** Two members or more, with unique IDs from 1 to 255, on one network (mesh.md §6). */
function checkMembers(members: readonly (ClusterMeshMember & { readonly cluster: KubeCluster })[]): void {
  if (members.length < 2) throw new ClusterMeshError(`a cluster mesh needs two clusters or more; it has ${members.length}`);
  const ids = new Map<number, string>();
  for (const m of members) {
    if (!(Number.isInteger(m.id) && m.id >= 1 && m.id <= MAX_CLUSTER_ID)) throw new ClusterMeshError(`cluster ${m.name}: the cluster ID must be a whole number from 1 to ${MAX_CLUSTER_ID}, got ${m.id}`);
    const taken = ids.get(m.id);
    if (taken !== undefined) throw new ClusterMeshError(`clusters ${taken} and ${m.name} both have cluster ID ${m.id}; each member needs its own`);
    ids.set(m.id, m.name);
  }
  const network = members[0]!.cluster.topology.network;
  const other = members.find((m) => m.cluster.topology.network !== network);
  if (other) throw new ClusterMeshError(`cluster ${other.name} is on network ${JSON.stringify(other.cluster.topology.network)} and ${members[0]!.name} on ${JSON.stringify(network)}: ClusterMesh routes pod IPs between clusters, so its members must share one network`);
}
