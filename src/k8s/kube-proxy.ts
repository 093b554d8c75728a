import type { Host } from "../net/host.js";
import type { Network } from "../net/network.js";
import { EXTERNAL_NETWORK, type Node } from "../net/topology.js";
import { address, type Address } from "../sim/actor.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import type { ApiServer } from "./apiserver.js";
import { SERVICE_NAME_LABEL } from "./endpointslices.js";
import type { EndpointSlice, Service } from "./objects.js";

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

/** The cached slices of one Service (by the Service their label names), by slice name. */
interface ServiceSlices {
  readonly byName: Map<string, Readonly<EndpointSlice>>;
  /** Counts the changes of `byName`: rules worked out at another count are out of date. */
  version: number;
}

interface ServiceRules {
  /** The Service, as the watch last delivered it. */
  svc: Readonly<Service>;
  /** Its slices. */
  slices: ServiceSlices;
  /**
   * Backends by service port: each ready endpoint address at the target port. Worked out when a
   * message first needs them after a change, not at every change: a Service whose slices arrive
   * one by one (a clusterset import from fifty clusters) is worked out once, not fifty times.
   */
  byPort: Map<number, Address[]> | undefined;
  /** The slices' version `byPort` was worked out at. */
  byPortVersion: number;
}

/**
 * kube-proxy for one cluster, in iptables mode: each Service's cluster IP becomes a virtual
 * address on the cluster's network (and a LoadBalancer's ingress address one on the external
 * network, reachable from anywhere, as the cloud's load balancer forwards to the nodes), and a message to `clusterIP:port` goes to one of the ready
 * endpoints of that port, picked uniformly at random per message (the iptables rules' random
 * probabilities; connection tracking is not modelled). It learns Services and EndpointSlices
 * through watches, so a new endpoint takes the watch delay to receive traffic, as in a cluster.
 */
export class KubeProxy {
  private readonly rules = new Map<string, ServiceRules>();
  private readonly rngs = new Map<Node, Rng>();
  /**
   * What the watches have delivered so far (an informer's cache): kube-proxy acts on these, never
   * on the API server's current state, which it cannot know before the watch delay.
   */
  private readonly services = new Map<string, Readonly<Service>>();
  /** The cached slices by namespace, then the Service their label names: no key to build per slice. */
  private readonly slicesByService = new Map<string, Map<string, ServiceSlices>>();

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly api: ApiServer,
    private readonly networkName: string,
  ) {
    api.watch("Service", "kube-proxy", (e) => {
      const namespace = e.object.metadata.namespace ?? "default";
      const id = `${namespace}/${e.object.metadata.name}`;
      if (e.type === "DELETED") this.services.delete(id);
      else this.services.set(id, e.object);
      this.sync(namespace, e.object.metadata.name);
    });
    api.watch("EndpointSlice", "kube-proxy", (e) => {
      const namespace = e.object.metadata.namespace ?? "default";
      const name = e.object.metadata.name;
      const before = e.previous?.metadata.labels?.[SERVICE_NAME_LABEL];
      const svc = e.type === "DELETED" ? undefined : e.object.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc !== undefined) {
        const slices = this.slicesOf(namespace, svc);
        slices.byName.set(name, e.object);
        // Slices change backends only: the rules of the Service's addresses are worked out
        // again when next used, as their version of the slices is no longer theirs.
        slices.version++;
      }
      if (before !== undefined && before !== svc) {
        // A slice relabelled away from a Service (or deleted) no longer serves it.
        const old = this.slicesByService.get(namespace)?.get(before);
        if (old) {
          old.byName.delete(name);
          old.version++;
        }
      }
    });
  }

  /** The backends a message to this cluster IP and port may go to, as kube-proxy has them now. */
  backends(clusterIp: string, port: number): readonly Address[] {
    const rules = this.rules.get(clusterIp);
    return (rules && this.byPortOf(rules).get(port)) ?? [];
  }

  private readonly byIp = new Map<string, string>();
  /** The addresses in byIp of each Service, by `namespace/name`. */
  private readonly ipsOf = new Map<string, Set<string>>();
  /** The LoadBalancer addresses among byIp's, which live on the external network. */
  private readonly external = new Set<string>();

  private slicesOf(namespace: string, service: string): ServiceSlices {
    let inNamespace = this.slicesByService.get(namespace);
    if (!inNamespace) {
      inNamespace = new Map();
      this.slicesByService.set(namespace, inNamespace);
    }
    let slices = inNamespace.get(service);
    if (!slices) {
      slices = { byName: new Map(), version: 0 };
      inNamespace.set(service, slices);
    }
    return slices;
  }

  private sync(namespace: string, name: string): void {
    const id = `${namespace}/${name}`;
    const svc = this.services.get(id);
    const clusterIps = svc ? (svc.spec.clusterIPs ?? []).filter((ip) => IPV4.test(ip)) : [];
    // A LoadBalancer's address is the cloud's, outside the cluster network: anyone may reach it.
    const lbIps = svc && svc.spec.type === "LoadBalancer" ? (svc.status?.loadBalancer?.ingress ?? []).map((i) => i.ip ?? "").filter((ip) => IPV4.test(ip)) : [];
    const owned = this.ipsOf.get(id);
    for (const ip of owned ? [...owned] : []) {
      if (this.byIp.get(ip) !== id) {
        owned!.delete(ip);
        continue;
      }
      if (clusterIps.includes(ip) || lbIps.includes(ip)) continue;
      owned!.delete(ip);
      this.byIp.delete(ip);
      this.rules.delete(ip);
      this.network.removeVirtualAddress(this.external.has(ip) ? EXTERNAL_NETWORK : this.networkName, ip);
      this.external.delete(ip);
    }
    if (!svc) return;
    const ips = [...clusterIps, ...lbIps];
    if (ips.length === 0) return;
    for (const ip of ips) {
      // An address keeps its rules object, changed in place, so that its route reads them
      // without a lookup by address for every message.
      const known = this.rules.get(ip);
      const rules: ServiceRules = known ?? { svc, slices: this.slicesOf(namespace, name), byPort: undefined, byPortVersion: 0 };
      if (known) {
        known.svc = svc;
        known.slices = this.slicesOf(namespace, name);
        known.byPort = undefined;
      } else this.rules.set(ip, rules);
      this.byIp.set(ip, id);
      let mine = this.ipsOf.get(id);
      if (!mine) {
        mine = new Set();
        this.ipsOf.set(id, mine);
      }
      mine.add(ip);
      if (known) continue;
      if (lbIps.includes(ip)) {
        this.external.add(ip);
        this.network.addVirtualAddress(EXTERNAL_NETWORK, ip, (src, port) => this.balance(src, rules, port), this.networkName);
      } else {
        this.network.addVirtualAddress(this.networkName, ip, (src, port) => this.route(src, rules, port));
      }
    }
  }

  /** The rules' backends by port, worked out from the cached Service and slices if they changed. */
  private byPortOf(rules: ServiceRules): Map<number, Address[]> {
    if (!rules.byPort || rules.byPortVersion !== rules.slices.version) {
      const slices = [...rules.slices.byName.values()]
        .sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
      rules.byPort = backendsByPort(rules.svc, slices);
      rules.byPortVersion = rules.slices.version;
    }
    return rules.byPort;
  }

  private route(src: Host, rules: ServiceRules, port: number): Address | null | undefined {
    // kube-proxy writes its rules on its own cluster's nodes only.
    if (src.node.cluster?.name !== this.api.cluster) return undefined;
    return this.balance(src, rules, port);
  }

  /** One of the ready backends of an address's port, uniformly at random. */
  private balance(src: Host, rules: ServiceRules, port: number): Address | null {
    const backends = this.byPortOf(rules).get(port);
    if (!backends || backends.length === 0) return null;
    if (backends.length === 1) return backends[0]!;
    return backends[this.rngOf(src).int(backends.length)]!;
  }

  /** Each node's kube-proxy draws from its own stream. */
  private rngOf(src: Host): Rng {
    let rng = this.rngs.get(src.node);
    if (!rng) {
      rng = this.sim.rng.stream(`kube-proxy/${src.node.name}`);
      this.rngs.set(src.node, rng);
    }
    return rng;
  }
}

/**
 * For each service port, the ready IPv4 endpoint addresses at the matching slice port (by port
 * name). The slices may be another cluster's, matched by port name as Cilium matches a global
 * Service's remote backends (mesh.md §6).
 */
export function backendsByPort(svc: Readonly<Service>, slices: readonly Readonly<EndpointSlice>[]): Map<number, Address[]> {
  const out = new Map<number, Address[]>();
  for (const port of svc.spec.ports ?? []) {
    const name = port.name ?? "";
    const protocol = port.protocol ?? "TCP";
    const list: Address[] = [];
    for (const slice of slices) {
      if (slice.addressType !== "IPv4") continue;
      const target = slice.ports?.find((p) => (p.name ?? "") === name && (p.protocol ?? "TCP") === protocol);
      if (target?.port === undefined) continue;
      for (const ep of slice.endpoints) {
        if (ep.conditions?.ready === false) continue;
        for (const ip of ep.addresses) list.push(address(ip, target.port));
      }
    }
    // A port number serves both protocols here (UDP and TCP DNS share 53): keep the first list found.
    if (!out.has(port.port) || out.get(port.port)!.length === 0) out.set(port.port, list);
  }
  return out;
}
