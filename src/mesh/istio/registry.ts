/**
 * istiod's service registry: what it knows of each cluster it watches (Services, EndpointSlices,
 * Pods, Nodes), and the endpoints of each service hostname in shards by cluster (Istio's
 * `EndpointIndex`, shard key `(cluster, Kubernetes)`), each endpoint with its locality and
 * network. A change is classified as Istio's `UpdateServiceEndpoints` does (mesh.md §1.5): a
 * hostname seen for the first time or a changed set of service accounts needs a full push, other
 * endpoint changes an EDS-only one, and a change that leaves the sent endpoints as they were none.
 */
import type { WatchEvent } from "../../k8s/apiserver.js";
import type { NodeInfo } from "../../k8s/remote-watch.js";
import type { EndpointSlice, Kind, Namespace, Pod, Service } from "../../k8s/objects.js";
import { injected, INJECTION_LABEL } from "./inject.js";
import { NETWORK_KEY, podLocality, type Locality } from "./locality.js";
import { GATEWAY_PORT_LABEL, NETWORK_GATEWAY_PORT, type NetworkGateway } from "./split-horizon.js";
import { TLS_MODE_LABEL } from "./mtls.js";
import { mergePush, type PushRequest } from "./debounce.js";

/** One endpoint of a service in one cluster, as istiod keeps it. */
export interface MeshEndpoint {
  readonly address: string;
  /** Target port by the EndpointSlice's port name (`""` for an unnamed port). */
  readonly ports: ReadonlyMap<string, number>;
  readonly locality: Locality;
  readonly cluster: string;
  readonly network: string;
  readonly serviceAccount: string;
  /** The pod's labels: subsets select on them, failoverPriority compares them (mesh.md §3.1). */
  readonly labels: Readonly<Record<string, string>>;
  /**
   * Whether the pod has a sidecar (`security.istio.io/tlsMode=istio`, which the injector adds):
   * auto mTLS and the cross-network filter look at it (mesh.md §1.4, §3.5).
   */
  readonly sidecar: boolean;
}

/** What istiod caches of one cluster, from its informers. */
class ClusterCache {
  readonly services = new Map<string, Readonly<Service>>();
  readonly slices = new Map<string, Readonly<EndpointSlice>>();
  /** Slice keys by `namespace/service`. */
  readonly slicesOf = new Map<string, Set<string>>();
  readonly pods = new Map<string, Readonly<Pod>>();
  /** `namespace/service` keys whose endpoints name each pod, so that a pod's change reaches them. */
  readonly servicesOfPod = new Map<string, Set<string>>();
  readonly nodes = new Map<string, Readonly<Record<string, string>>>();
  /** Namespace labels by name (injection is by namespace label). */
  readonly namespaces = new Map<string, Readonly<Record<string, string>>>();
  /** True between a (re)list's start and its end: changes are only cached, and looked at once synced. */
  listing = true;

  constructor(
    readonly id: string,
    readonly network: string,
  ) {}
}

/** The kinds istiod's informers watch in every cluster (mesh.md §1.2; Nodes come with the stream). */
export const WATCHED_KINDS: readonly Kind[] = ["Namespace", "Pod", "Service", "EndpointSlice"];

const key = (namespace: string | undefined, name: string) => `${namespace ?? "default"}/${name}`;
const SERVICE_NAME = "kubernetes.io/service-name";
const NO_PUSH: PushRequest | undefined = undefined;
const NETWORKS_PUSH: PushRequest = { full: true, services: new Set(), reasons: ["networks"] };

/** The registry of one istiod. */
export class ServiceRegistry {
  private readonly caches = new Map<string, ClusterCache>();
  /** Endpoints by hostname, then by cluster (the shards). A hostname once seen keeps its key (mesh.md §1.5). */
  private readonly shards = new Map<string, Map<string, readonly MeshEndpoint[]>>();
  /**
   * Raised by every call that may change what the registry holds, so that what is built from it
   * (istiod's per-push resources, {@link services}) can be kept while it stays the same.
   */
  version = 0;
  private servicesMemo: { readonly version: number; readonly value: Map<string, Map<string, Readonly<Service>>> } | undefined;
  /** The network gateways of the clusters kept (mesh.md §1.3), worked out when a labelled Service changes. */
  private gatewayList: readonly NetworkGateway[] = [];

  constructor(
    /** The domain hostnames are made in (`<name>.<namespace>.svc.<domain>`). */
    readonly domain: string,
  ) {}

  /** A service's hostname. */
  hostname(namespace: string, name: string): string {
    return `${name}.${namespace}.svc.${this.domain}`;
  }

  /** Starts keeping a cluster, listing it. */
  addCluster(id: string, network: string): void {
    this.version++;
    this.caches.set(id, new ClusterCache(id, network));
  }

  /** The clusters kept, in the order added. */
  clusterIds(): string[] {
    return [...this.caches.keys()];
  }

  /**
   * Forgets a cluster: its caches and its shards (mesh.md §1.2 `kubeController.Close`). Returns
   * the forced full push Istio triggers for it (reason `cluster`).
   */
  removeCluster(id: string): PushRequest {
    this.version++;
    this.caches.delete(id);
    for (const byCluster of this.shards.values()) byCluster.delete(id);
    this.refreshGateways();
    return { full: true, services: new Set(), reasons: ["cluster"] };
  }

  /** A new list of the cluster begins: its caches are emptied and filled again before anything is pushed. */
  relist(id: string): void {
    this.version++;
    const old = this.caches.get(id);
    if (!old) return;
    const fresh = new ClusterCache(id, old.network);
    this.caches.set(id, fresh);
  }

  /** The cluster's nodes (its Node informer's list). */
  setNodes(id: string, nodes: readonly NodeInfo[]): void {
    this.version++;
    const c = this.caches.get(id);
    if (!c) return;
    c.nodes.clear();
    for (const n of nodes) c.nodes.set(n.name, n.labels);
  }

  /**
   * The cluster's list is complete: every service it has or had is looked at afresh, and what
   * changed is returned as one request (undefined when nothing did).
   */
  synced(id: string): PushRequest | undefined {
    this.version++;
    const c = this.caches.get(id);
    if (!c) return NO_PUSH;
    c.listing = false;
    const serviceKeys = new Set<string>([...c.services.keys(), ...c.slicesOf.keys()]);
    // Shards of the cluster whose service is gone from the new list.
    for (const [host, byCluster] of this.shards) if (byCluster.has(id)) serviceKeys.add(this.keyOfHost(host));
    let request: PushRequest | undefined;
    for (const k of serviceKeys) request = merge(request, this.recompute(c, k));
    if (c.services.size > 0) request = merge(request, { full: true, services: new Set(), reasons: ["service"] });
    if (this.refreshGateways()) request = merge(request, NETWORKS_PUSH);
    return request;
  }

  /** The network gateways known, by cluster in the order added (mesh.md §1.3). */
  gateways(): readonly NetworkGateway[] {
    return this.gatewayList;
  }

  /**
   * Works out the gateways afresh (mesh.md §1.3, label-based discovery): every Service labelled
   * `topology.istio.io/network` with a port of 15443 (or its `networking.istio.io/gatewayPort`)
   * and a LoadBalancer ingress address. True when the set changed.
   */
  private refreshGateways(): boolean {
    const list: NetworkGateway[] = [];
    for (const c of this.caches.values()) {
      if (c.listing) continue;
      for (const svc of c.services.values()) {
        const network = svc.metadata.labels?.[NETWORK_KEY];
        if (network === undefined) continue;
        const port = Number(svc.metadata.labels?.[GATEWAY_PORT_LABEL] ?? NETWORK_GATEWAY_PORT);
        if (!(svc.spec.ports ?? []).some((p) => p.port === port)) continue;
        for (const ingress of svc.status?.loadBalancer?.ingress ?? []) if (ingress.ip) list.push({ network, cluster: c.id, address: ingress.ip, port });
      }
    }
    const key = (l: readonly NetworkGateway[]) => l.map((g) => `${g.network}|${g.cluster}|${g.address}:${g.port}`).join(",");
    if (key(list) === key(this.gatewayList)) return false;
    this.gatewayList = list;
    return true;
  }

  /** A watch event from a cluster; returns the push it needs, if any. */
  event(id: string, kind: Kind, e: WatchEvent): PushRequest | undefined {
    this.version++;
    const c = this.caches.get(id);
    if (!c) return NO_PUSH;
    const o = e.object;
    const k = key(o.metadata.namespace, o.metadata.name);
    switch (kind) {
      case "Service": {
        const gateway = c.services.get(k)?.metadata.labels?.[NETWORK_KEY] !== undefined || o.metadata.labels?.[NETWORK_KEY] !== undefined;
        if (e.type === "DELETED") c.services.delete(k);
        else c.services.set(k, o as Service);
        if (c.listing) return NO_PUSH;
        // A Service is config: its ports and addresses are in CDS and LDS.
        const request: PushRequest = { full: true, services: new Set([this.hostname(o.metadata.namespace ?? "default", o.metadata.name)]), reasons: ["service"] };
        // A changed gateway set is a forced full push of its own (mesh.md §1.3 `NetworksTrigger`).
        return gateway && this.refreshGateways() ? mergePush(request, NETWORKS_PUSH) : request;
      }
      case "EndpointSlice": {
        const slice = o as EndpointSlice;
        const service = slice.metadata.labels?.[SERVICE_NAME];
        if (service === undefined) return NO_PUSH;
        const sk = key(slice.metadata.namespace, service);
        let set = c.slicesOf.get(sk);
        if (!set) c.slicesOf.set(sk, (set = new Set()));
        if (e.type === "DELETED") {
          c.slices.delete(k);
          set.delete(k);
        } else {
          c.slices.set(k, slice);
          set.add(k);
        }
        return c.listing ? NO_PUSH : this.recompute(c, sk);
      }
      case "Pod": {
        if (e.type === "DELETED") c.pods.delete(k);
        else c.pods.set(k, o as Pod);
        if (c.listing) return NO_PUSH;
        let request: PushRequest | undefined;
        for (const sk of c.servicesOfPod.get(k) ?? []) request = merge(request, this.recompute(c, sk));
        return request;
      }
      case "Namespace": {
        const before = c.namespaces.get(o.metadata.name);
        if (e.type === "DELETED") c.namespaces.delete(o.metadata.name);
        else c.namespaces.set(o.metadata.name, (o as Namespace).metadata.labels ?? {});
        if (c.listing || before?.[INJECTION_LABEL] === c.namespaces.get(o.metadata.name)?.[INJECTION_LABEL]) return NO_PUSH;
        // Injection turned on or off: which of the namespace's endpoints have sidecars may change.
        let request: PushRequest | undefined;
        const prefix = `${o.metadata.name}/`;
        for (const sk of new Set([...c.services.keys(), ...c.slicesOf.keys()])) if (sk.startsWith(prefix)) request = merge(request, this.recompute(c, sk));
        return request;
      }
      default:
        return NO_PUSH;
    }
  }

  /**
   * Every hostname with a Service in some cluster, in the order first seen, with the clusters'
   * Services; the same map until the registry changes (callers only read it).
   */
  services(): ReadonlyMap<string, ReadonlyMap<string, Readonly<Service>>> {
    if (this.servicesMemo?.version === this.version) return this.servicesMemo.value;
    const out = new Map<string, Map<string, Readonly<Service>>>();
    for (const c of this.caches.values()) {
      for (const svc of c.services.values()) {
        const host = this.hostname(svc.metadata.namespace ?? "default", svc.metadata.name);
        let byCluster = out.get(host);
        if (!byCluster) out.set(host, (byCluster = new Map()));
        byCluster.set(c.id, svc);
      }
    }
    this.servicesMemo = { version: this.version, value: out };
    return out;
  }

  /** The endpoints of a hostname, by cluster. */
  endpoints(hostname: string): ReadonlyMap<string, readonly MeshEndpoint[]> {
    return this.shards.get(hostname) ?? new Map();
  }

  private keyOfHost(host: string): string {
    const [name, namespace] = host.split(".");
    return `${namespace}/${name}`;
  }

  /** Rebuilds one service's shard of a cluster, and classifies the change (mesh.md §1.5). */
  private recompute(c: ClusterCache, serviceKey: string): PushRequest | undefined {
    const [namespace, name] = serviceKey.split("/") as [string, string];
    const host = this.hostname(namespace, name);
    const endpoints: MeshEndpoint[] = [];
    for (const sliceKey of c.slicesOf.get(serviceKey) ?? []) {
      const slice = c.slices.get(sliceKey);
      if (!slice || slice.addressType !== "IPv4") continue;
      const ports = new Map((slice.ports ?? []).filter((p) => p.port !== undefined).map((p) => [p.name ?? "", p.port!] as const));
      for (const ep of slice.endpoints) {
        // Not ready or terminating endpoints are not sent (mesh.md §1.4 step 1).
        if (ep.conditions?.ready === false || ep.conditions?.terminating === true) continue;
        const podKey = ep.targetRef?.kind === "Pod" ? key(ep.targetRef.namespace ?? namespace, ep.targetRef.name) : undefined;
        const pod = podKey ? c.pods.get(podKey) : undefined;
        if (podKey) {
          let services = c.servicesOfPod.get(podKey);
          if (!services) c.servicesOfPod.set(podKey, (services = new Set()));
          services.add(serviceKey);
        }
        const nodeLabels = ep.nodeName ? c.nodes.get(ep.nodeName) : undefined;
        const locality = podLocality(pod?.metadata.labels, nodeLabels);
        const sidecar = pod !== undefined && (pod.metadata.labels?.[TLS_MODE_LABEL] === "istio" || injected(pod, c.namespaces.get(pod.metadata.namespace ?? "default")));
        for (const address of ep.addresses) {
          endpoints.push({ address, ports, locality, cluster: c.id, network: c.network, serviceAccount: pod?.spec.serviceAccountName ?? "default", labels: pod?.metadata.labels ?? {}, sidecar });
        }
      }
    }
    let byCluster = this.shards.get(host);
    const created = !byCluster;
    if (!byCluster) this.shards.set(host, (byCluster = new Map()));
    const before = byCluster.get(c.id) ?? [];
    const accountsBefore = accounts(byCluster);
    if (endpoints.length === 0) byCluster.delete(c.id);
    else byCluster.set(c.id, endpoints);
    if (created && endpoints.length === 0) {
      this.shards.delete(host);
      return NO_PUSH;
    }
    const services = new Set([host]);
    if (created) return { full: true, services, reasons: ["endpoint"] };
    if (sameEndpoints(before, endpoints)) return NO_PUSH;
    if (accounts(byCluster) !== accountsBefore) return { full: true, services, reasons: ["serviceaccount"] };
    return { full: false, services, reasons: ["endpoint"] };
  }
}

function merge(a: PushRequest | undefined, b: PushRequest | undefined): PushRequest | undefined {
  return b ? mergePush(a, b) : a;
}

/** The service accounts behind a hostname, over every cluster's shard (Istio's `UpdateServiceAccount`). */
function accounts(byCluster: ReadonlyMap<string, readonly MeshEndpoint[]>): string {
  const set = new Set<string>();
  for (const list of byCluster.values()) for (const e of list) set.add(e.serviceAccount);
  return [...set].sort().join(",");
}

function sameEndpoints(a: readonly MeshEndpoint[], b: readonly MeshEndpoint[]): boolean {
  if (a.length !== b.length) return false;
  return a.every((x, i) => {
    const y = b[i]!;
    return x.address === y.address && x.sidecar === y.sidecar && x.serviceAccount === y.serviceAccount && x.locality.region === y.locality.region && x.locality.zone === y.locality.zone && x.locality.subzone === y.locality.subzone && samePorts(x.ports, y.ports) && sameLabels(x.labels, y.labels);
  });
}

function samePorts(a: ReadonlyMap<string, number>, b: ReadonlyMap<string, number>): boolean {
  return a.size === b.size && [...a].every(([k, v]) => b.get(k) === v);
}

function sameLabels(a: Readonly<Record<string, string>>, b: Readonly<Record<string, string>>): boolean {
  const keys = Object.keys(a);
  return keys.length === Object.keys(b).length && keys.every((k) => a[k] === b[k]);
}
