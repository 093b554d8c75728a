/**
 * A ClusterSet: its members, their cluster ids (the About API's ClusterProperty, KEP-2149; mcs.md
 * §1.11), the hub that holds the clusterset's exports, and an MCS agent in every member. Members
 * can join and leave while the clock runs.
 */
import type { KubeCluster } from "../k8s/cluster.js";
import { CLUSTER_ID_PROPERTY, CLUSTERSET_PROPERTY, type ClusterProperty } from "../k8s/objects.js";
import type { Host } from "../net/host.js";
import type { Network } from "../net/network.js";
import { address, type Address } from "../sim/actor.js";
import type { Sim } from "../sim/sim.js";
import { McsAgent, McsHub, MCS_PORT } from "./controller.js";
import { installLighthouseDns } from "./lighthouse-dns.js";
import { PROFILES, type McsProfile, type ProfileName } from "./profiles.js";

// The About API's well-known names live with the ClusterProperty kind, where the DNS plugins read them too.
export { CLUSTER_ID_PROPERTY, CLUSTERSET_PROPERTY } from "../k8s/objects.js";

/** Options of a {@link ClusterSet}. */
export interface ClusterSetOptions {
  /** The clusterset's name, the value of each member's `clusterset.k8s.io`; default `clusterset`. */
  readonly name?: string;
  /** A profile by name, or one with changed parameters; default `kep`. */
  readonly profile?: ProfileName | McsProfile;
}

/** A member, as the clusterset holds it. */
interface Member {
  readonly cluster: KubeCluster;
  readonly id: string;
  readonly agent: McsAgent;
  readonly host: Host;
}

/** The ClusterSet of a world: create it with the first members, then {@link join} and {@link leave}. */
export class ClusterSet {
  readonly name: string;
  readonly profile: McsProfile;
  readonly hub: McsHub;
  /** The host the hub runs on. */
  readonly hubHost: Host;
  private readonly hubAddress: Address;
  private readonly members = new Map<string, Member>();

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    clusters: readonly KubeCluster[],
    options: ClusterSetOptions = {},
  ) {
    if (clusters.length === 0) throw new RangeError("a ClusterSet needs at least one cluster");
    this.name = options.name ?? "clusterset";
    this.profile = typeof options.profile === "object" ? options.profile : PROFILES[options.profile ?? "kep"];
    this.hub = new McsHub(sim, this.profile);
    const first = clusters[0]!.topology;
    // Lighthouse's broker is a cluster's API server; the KEP's and GKE's hub a control plane outside
    // them. Either way it is reached on an address every member can reach.
    const nodeName = this.profile.hub === "broker" ? `${first.name}-broker` : "mcs-hub";
    const node = network.topology.addExternalNode({ name: nodeName, region: first.region, zone: first.zones[0]! });
    const host = network.addHost({ name: `${nodeName}/hub`, node, ip: network.allocateExternalAddress() });
    network.bind(this.hub, host, MCS_PORT);
    this.hubHost = host;
    this.hubAddress = address(host.ip, MCS_PORT);
    for (const c of clusters) this.join(c);
  }

  /** The members' names, in the order they joined. */
  get clusters(): string[] {
    return [...this.members.keys()];
  }

  /** A member's agent. */
  agent(cluster: string): McsAgent | undefined {
    return this.members.get(cluster)?.agent;
  }

  /** The host a member's agent runs on (it syncs with the hub from there). */
  agentHost(cluster: string): Host | undefined {
    return this.members.get(cluster)?.host;
  }

  /** A member's cluster id: its `cluster.clusterset.k8s.io` property, set to its name when it has none. */
  clusterId(cluster: string): string | undefined {
    return this.members.get(cluster)?.id;
  }

  /**
   * Makes a cluster a member: its `clusterset.k8s.io` property is written, its id is read from
   * (or written to) `cluster.clusterset.k8s.io`, and its agent starts syncing. With a profile
   * whose DNS is Lighthouse's, the cluster also gets Lighthouse's DNS server, and its cluster DNS
   * forwards `clusterset.local` there ({@link installLighthouseDns}), as Submariner's join does.
   */
  join(cluster: KubeCluster): void {
    if (this.members.has(cluster.name)) throw new RangeError(`cluster ${cluster.name} is already a member of ${this.name}`);
    const api = cluster.api;
    const existing = api.get("ClusterProperty", "", CLUSTER_ID_PROPERTY);
    const id = existing?.spec.value ?? cluster.name;
    if ([...this.members.values()].some((m) => m.id === id)) throw new RangeError(`cluster id ${id} of ${cluster.name} is already used in ${this.name}; ids are unique within a clusterset`);
    if (!existing) api.create(property(CLUSTER_ID_PROPERTY, id));
    api.apply(property(CLUSTERSET_PROPERTY, this.name));
    const agent = new McsAgent(this.sim, { cluster: cluster.name, clusterId: id, api, hub: this.hubAddress, profile: this.profile });
    const node = cluster.topology.nodes[0]!;
    const host = this.network.addHost({ name: `${cluster.name}/mcs-system/mcs-agent`, node });
    this.network.bind(agent, host, MCS_PORT);
    this.members.set(cluster.name, { cluster, id, agent, host });
    if (this.profile.dns === "lighthouse") installLighthouseDns(cluster);
  }

  /**
   * A cluster leaves: its agent stops and its `clusterset.k8s.io` property goes (it must not exist
   * outside membership). The hub stops hearing from it, so its exports leave the other clusters'
   * imports once its lease expires.
   */
  leave(cluster: string): void {
    const member = this.members.get(cluster);
    if (!member) throw new RangeError(`cluster ${cluster} is not a member of ${this.name}`);
    member.agent.stop();
    this.network.unbind(member.agent);
    this.network.removeHost(member.host);
    if (member.cluster.api.get("ClusterProperty", "", CLUSTERSET_PROPERTY)) member.cluster.api.delete("ClusterProperty", "", CLUSTERSET_PROPERTY);
    this.members.delete(cluster);
  }
}

function property(name: string, value: string): ClusterProperty {
  return { apiVersion: "about.k8s.io/v1beta1", kind: "ClusterProperty", metadata: { name }, spec: { value } };
}
