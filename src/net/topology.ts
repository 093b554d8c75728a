import { AddressError, Cidr } from "./ip.js";

/** The network of hosts that belong to no cluster (clients on the internet, brokers, load balancers). */
export const EXTERNAL_NETWORK = "external";

/** How to make a cluster. */
export interface ClusterSpec {
  readonly name: string;
  readonly region: string;
  /** Zones of the region the cluster has nodes in; at least one. */
  readonly zones: readonly string[];
  /** Nodes in each zone; default 1. */
  readonly nodesPerZone?: number;
  /**
   * The flat network the cluster's pods are on; default `default`. Clusters on one network must
   * not overlap in their ranges, and reach each other's pods directly; clusters on different
   * networks may overlap, and reach each other only through external addresses (Istio's
   * multi-network model).
   */
  readonly network?: string;
  /** The pod range; default: the next free /16 from 10.10.0.0 on the cluster's network. */
  readonly podCidr?: string;
  /** The service range; default: the next free /16 from 10.100.0.0 on the cluster's network. */
  readonly serviceCidr?: string;
}

/** A cluster: where its nodes are and which ranges it allocates from. */
export interface Cluster {
  readonly name: string;
  readonly region: string;
  readonly zones: readonly string[];
  readonly network: string;
  readonly podCidr: Cidr;
  readonly serviceCidr: Cidr;
  readonly nodes: Node[];
}

/** A machine: in a cluster, or outside any (then its `cluster` is null). */
export interface Node {
  readonly name: string;
  readonly cluster: Cluster | null;
  readonly region: string;
  readonly zone: string;
  /** The network its hosts are on. */
  readonly network: string;
  /** The range its pods get addresses from (a /24 of the cluster's pod range), null outside a cluster. */
  readonly podCidr: Cidr | null;
}

/** A topology that cannot be built as asked. */
export class TopologyError extends Error {
  override readonly name = "TopologyError";
}

/** Each node gets a /24 of its cluster's pod range, as kubenet and flannel hand them out. */
const NODE_POD_PREFIX = 24;

/**
 * Regions, zones, clusters and nodes. Builds the default address ranges so that clusters on one
 * network never overlap, and refuses ranges given by hand that would.
 */
export class Topology {
  readonly clusters = new Map<string, Cluster>();
  readonly nodes = new Map<string, Node>();

  /** Adds a cluster with its nodes, named `<cluster>-<zone>-<n>`. */
  addCluster(spec: ClusterSpec): Cluster {
    if (this.clusters.has(spec.name)) throw new TopologyError(`there is already a cluster named ${spec.name}`);
    if (spec.zones.length === 0) throw new TopologyError(`cluster ${spec.name} needs at least one zone`);
    const perZone = spec.nodesPerZone ?? 1;
    if (!(Number.isInteger(perZone) && perZone >= 1)) {
      throw new TopologyError(`cluster ${spec.name}: nodesPerZone must be a whole number of 1 or more, got ${perZone}`);
    }
    const network = spec.network ?? "default";
    if (network === EXTERNAL_NETWORK) throw new TopologyError(`cluster ${spec.name}: the network name "${EXTERNAL_NETWORK}" is reserved for hosts outside clusters`);
    const podCidr = this.range(spec, "podCidr", network, 10);
    const serviceCidr = this.range(spec, "serviceCidr", network, 100, podCidr);
    const nodeCount = spec.zones.length * perZone;
    if (podCidr.size / 2 ** (32 - NODE_POD_PREFIX) < nodeCount) {
      throw new TopologyError(`cluster ${spec.name}: podCidr ${podCidr} has room for fewer than ${nodeCount} node ranges of /${NODE_POD_PREFIX}; give it a larger range`);
    }
    const names = new Set<string>();
    for (const zone of spec.zones) {
      for (let i = 0; i < perZone; i++) {
        const name = `${spec.name}-${zone}-${i}`;
        // Checked before anything is added, so that a refused cluster leaves no trace.
        if (this.nodes.has(name) || names.has(name)) throw new TopologyError(`there is already a node named ${name}`);
        names.add(name);
      }
    }
    const cluster: Cluster = { name: spec.name, region: spec.region, zones: [...spec.zones], network, podCidr, serviceCidr, nodes: [] };
    this.clusters.set(cluster.name, cluster);
    for (const zone of spec.zones) {
      for (let i = 0; i < perZone; i++) {
        const name = `${spec.name}-${zone}-${i}`;
        const node: Node = {
          name,
          cluster,
          region: spec.region,
          zone,
          network,
          podCidr: podCidr.subnet(NODE_POD_PREFIX, cluster.nodes.length),
        };
        cluster.nodes.push(node);
        this.nodes.set(name, node);
      }
    }
    return cluster;
  }

  /** Adds a machine outside any cluster, on the external network. */
  addExternalNode(spec: { readonly name: string; readonly region: string; readonly zone: string }): Node {
    if (this.nodes.has(spec.name)) throw new TopologyError(`there is already a node named ${spec.name}`);
    const node: Node = { name: spec.name, cluster: null, region: spec.region, zone: spec.zone, network: EXTERNAL_NETWORK, podCidr: null };
    this.nodes.set(node.name, node);
    return node;
  }

  /** The cluster of this name; throws naming the clusters there are. */
  cluster(name: string): Cluster {
    const c = this.clusters.get(name);
    if (!c) throw new TopologyError(`no cluster named ${name}; there are: ${[...this.clusters.keys()].join(", ") || "none"}`);
    return c;
  }

  /** The node of this name; throws when there is none. */
  node(name: string): Node {
    const n = this.nodes.get(name);
    if (!n) throw new TopologyError(`no node named ${name}`);
    return n;
  }

  /** The ranges in use on a network, each with what it belongs to. */
  private rangesOn(network: string): { cidr: Cidr; owner: string }[] {
    const out: { cidr: Cidr; owner: string }[] = [];
    for (const c of this.clusters.values()) {
      if (c.network !== network) continue;
      out.push({ cidr: c.podCidr, owner: `cluster ${c.name}'s podCidr` }, { cidr: c.serviceCidr, owner: `cluster ${c.name}'s serviceCidr` });
    }
    return out;
  }

  private range(spec: ClusterSpec, field: "podCidr" | "serviceCidr", network: string, firstOctet2: number, sibling?: Cidr): Cidr {
    const taken = this.rangesOn(network);
    if (sibling) taken.push({ cidr: sibling, owner: `its own podCidr` });
    const given = spec[field];
    if (given !== undefined) {
      let cidr: Cidr;
      try {
        cidr = Cidr.parse(given);
      } catch (e) {
        throw new TopologyError(`cluster ${spec.name}: ${field}: ${(e as AddressError).message}`);
      }
      const clash = taken.find((r) => r.cidr.overlaps(cidr));
      if (clash) {
        throw new TopologyError(
          `cluster ${spec.name}: ${field} ${cidr} overlaps ${clash.owner} ${clash.cidr} on network "${network}"; ` +
            `give one of them another range, or put the clusters on different networks`,
        );
      }
      return cidr;
    }
    // A default must also keep clear of the cluster's other range when that one is given by hand
    // (a malformed one is reported when its own field is read).
    const other = spec[field === "podCidr" ? "serviceCidr" : "podCidr"];
    if (!sibling && other !== undefined) {
      try {
        taken.push({ cidr: Cidr.parse(other), owner: "its own range" });
      } catch {
        // reported later
      }
    }
    for (let octet = firstOctet2; octet < 256; octet++) {
      const cidr = Cidr.parse(`10.${octet}.0.0/16`);
      if (!taken.some((r) => r.cidr.overlaps(cidr))) return cidr;
    }
    throw new TopologyError(`cluster ${spec.name}: no free /16 left in 10.${firstOctet2}.0.0 and up for its ${field}; give it one by hand`);
  }
}
