import { installClusterDns, type ClusterDnsOptions } from "../dns/cluster-dns.js";
import { DNS_PORT } from "../dns/coredns.js";
import { PodResolver, type PodLookup } from "../dns/pod-resolver.js";
import { resolverSettings } from "../dns/resolver/behaviour.js";
import { podResolvConf, type ResolvConf } from "../dns/resolver/resolvconf.js";
import { BEHAVIOURS, type BehaviourName, type LookupFamily, type LookupResult } from "../dns/resolver/types.js";
import { UpstreamDns, type UpstreamRecord } from "../dns/upstream.js";
import { HttpApps, type AppSpec } from "../http/apps.js";
import { HttpClient, type HostResolver, type PendingRequest, type RequestOptions } from "../http/client.js";
import type { RequestResult } from "../http/message.js";
import { KubeCluster } from "../k8s/cluster.js";
import { ClusterMesh, type ClusterMeshOptions } from "../mesh/cilium/clustermesh.js";
import { IstioMesh, type IstioMeshOptions } from "../mesh/istio/mesh.js";
import { LinkerdMesh, type LinkerdMeshOptions } from "../mesh/linkerd/mesh.js";
import { loadManifests } from "../k8s/manifest.js";
import type { Distribution } from "../sim/distribution.js";
import type { K8sObject, Kind, Pod } from "../k8s/objects.js";
import type { LinkProfile, LinkScope } from "../net/link.js";
import type { Host } from "../net/host.js";
import { Network } from "../net/network.js";
import { Topology, type ClusterSpec } from "../net/topology.js";
import type { RunResult } from "../sim/scheduler.js";
import { Sim } from "../sim/sim.js";
import type { Micros } from "../sim/time.js";
import type { TraceLevel, TraceSink, TraceSource } from "../sim/trace.js";

/** Options of a {@link World}. */
export interface WorldOptions {
  readonly seed: number;
  /** The name in the trace header. */
  readonly name?: string;
  readonly traceLevel?: TraceLevel;
  readonly traceSinks?: readonly TraceSink[];
  readonly maxEvents?: number;
  /** Link profiles per scope. */
  readonly links?: Partial<Record<LinkScope, LinkProfile>>;
  /** What the internet's resolver knows (names outside every cluster). */
  readonly upstreamRecords?: readonly UpstreamRecord[];
  /** What the world was made from, written in the trace header for replay. */
  readonly source?: TraceSource;
}

/** How to add a cluster to a {@link World}. */
export interface WorldClusterSpec extends ClusterSpec {
  /** The cluster domain; default `cluster.local`. */
  readonly domain?: string;
  /** The cluster's DNS (CoreDNS replicas, Corefile, service model); false for none. */
  readonly dns?: ClusterDnsOptions | false;
  /** How long API changes take to reach watchers. */
  readonly watchDelay?: Distribution;
  /** From a pod's creation to it running and ready. */
  readonly podStartup?: Distribution;
  /** Search domains of the nodes' own resolv.conf, appended to pods' (EKS: `<region>.compute.internal`). */
  readonly nodeSearch?: readonly string[];
}

/** Options of {@link World.resolve}. */
export interface ResolveOptions {
  /** The pod's resolver; default by image: musl for alpine and busybox images, else glibc. */
  readonly resolver?: BehaviourName;
  /** getaddrinfo's family; default unspec (A and AAAA). */
  readonly family?: LookupFamily;
  /** Called when the lookup is done. */
  readonly onDone?: (result: LookupResult) => void;
}

/** Options of {@link World.request}. */
export interface WorldRequestOptions extends RequestOptions {
  /** The resolver the URL's host is looked up with; default by image, as {@link ResolveOptions}. */
  readonly resolver?: BehaviourName;
  /** Called when the call has ended. */
  readonly onDone?: (result: RequestResult) => void;
}

/** A lookup or pod reference that does not exist in the world. */
export class WorldError extends Error {
  override readonly name = "WorldError";
}

/** The address of the internet's resolver in every world: TEST-NET-2, reserved for documentation. */
export const UPSTREAM_DNS_IP = "198.51.100.53";
/** The first port pod resolvers send from (one per resolver behaviour). */
const RESOLVER_PORT = 33_053;
/** The port a pod's HTTP client sends from (its connections are told apart by number, not port). */
const HTTP_CLIENT_PORT = 40_000;

/**
 * A world of clusters: the kernel, the network, Kubernetes clusters with their DNS, and the
 * internet's resolver beyond them. The public way to build a world in code:
 *
 * ```ts
 * const world = new World({ seed: 1 });
 * world.addCluster({ name: "east", region: "us-east-1", zones: ["us-east-1a"] });
 * world.apply("east", manifests);
 * world.runFor(seconds(30));
 * const lookup = world.resolve("east", "default/client", "web");
 * world.runFor(seconds(1));
 * lookup.result; // addresses, every query sent, latency
 * ```
 */
export class World {
  readonly sim: Sim;
  readonly topology = new Topology();
  readonly network: Network;
  readonly clusters = new Map<string, KubeCluster>();
  /** The HTTP applications the clusters' pods run (see {@link serveHttp}). */
  readonly http = new HttpApps();
  /** Pod HTTP clients by cluster, then `namespace/name`. */
  private readonly httpClients = new Map<string, Map<string, HttpClient>>();
  /** Pod resolvers by cluster, namespace and pod name, then by behaviour (its index in BEHAVIOURS): no key to build per lookup. */
  private readonly resolvers = new Map<string, Map<string, Map<string, (PodResolver | undefined)[]>>>();
  /** What {@link clientPod} found, by cluster and the pod's reference as asked. */
  private readonly clientPods = new Map<KubeCluster, Map<string, ClientPod>>();
  private readonly nodeResolvConf = new Map<string, ResolvConf>();
  private readonly dnsIps = new Map<string, string>();
  private upstream: UpstreamDns | null = null;
  /** The Istio mesh over the clusters, once {@link installIstio} made it. */
  mesh: IstioMesh | null = null;
  /** The Cilium ClusterMesh over the clusters, once {@link installCilium} made it. */
  cilium: ClusterMesh | null = null;
  /** Linkerd multicluster over the clusters, once {@link installLinkerd} made it. */
  linkerd: LinkerdMesh | null = null;

  constructor(private readonly options: WorldOptions) {
    this.sim = new Sim({
      seed: options.seed,
      ...(options.name ? { name: options.name } : {}),
      ...(options.traceLevel ? { traceLevel: options.traceLevel } : {}),
      ...(options.traceSinks ? { traceSinks: options.traceSinks } : {}),
      ...(options.maxEvents !== undefined ? { maxEvents: options.maxEvents } : {}),
      ...(options.source ? { source: options.source } : {}),
    });
    this.network = new Network(this.sim, this.topology, options.links ? { links: options.links } : {});
  }

  /** Adds a cluster, with kubeadm's DNS unless `dns: false`. */
  addCluster(spec: WorldClusterSpec): KubeCluster {
    const topo = this.topology.addCluster(spec);
    this.ensureUpstream(spec.region, spec.zones[0]!);
    const cluster = new KubeCluster(this.sim, this.network, topo, {
      ...(spec.domain ? { domain: spec.domain } : {}),
      ...(spec.watchDelay ? { watchDelay: spec.watchDelay } : {}),
      ...(spec.podStartup ? { podStartup: spec.podStartup } : {}),
    });
    this.clusters.set(spec.name, cluster);
    this.nodeResolvConf.set(spec.name, { nameservers: [UPSTREAM_DNS_IP], searches: [...(spec.nodeSearch ?? [])], options: [] });
    if (spec.dns !== false) {
      const dns = spec.dns ?? {};
      this.dnsIps.set(spec.name, installClusterDns(cluster, { ...dns, upstreams: dns.upstreams ?? [UPSTREAM_DNS_IP] }));
    }
    return cluster;
  }

  /** The cluster of this name. */
  cluster(name: string): KubeCluster {
    const c = this.clusters.get(name);
    if (!c) throw new WorldError(`no cluster named ${JSON.stringify(name)}; there are: ${[...this.clusters.keys()].join(", ") || "none"}`);
    return c;
  }

  /**
   * Applies objects to a cluster (create or update, in order): Kubernetes YAML (one or more
   * documents, validated as {@link loadManifests} does; `file` names it in errors) or objects.
   */
  apply(cluster: string, manifests: string | readonly K8sObject[], file = "manifest.yaml"): void {
    const target = this.cluster(cluster);
    target.apply(typeof manifests === "string" ? loadManifests(manifests, file) : manifests);
  }

  /** Deletes an object from a cluster. */
  delete(cluster: string, kind: Kind, namespace: string, name: string): void {
    this.cluster(cluster).delete(kind, namespace, name);
  }

  /** Marks a pod (`namespace/name`) Ready or not. */
  setPodReady(cluster: string, pod: string, ready: boolean): void {
    const [ns, name] = splitRef(pod);
    this.cluster(cluster).setPodReady(ns, name, ready);
  }

  /**
   * Starts a lookup of `name` from a running pod (`namespace/name`), through the pod's resolv.conf
   * as the kubelet wrote it and the pod's libc. Run the clock to let it finish; its result is on
   * the returned lookup.
   */
  resolve(cluster: string, pod: string, name: string, options: ResolveOptions = {}): PodLookup {
    return this.resolverOf(cluster, pod, options.resolver).lookup(name, options, options.onDone);
  }

  /**
   * The resolver {@link resolve} looks up through, from a running pod (`namespace/name`), by the
   * pod's image unless `behaviour` is given. It stays the pod's while the cluster's `podsVersion`
   * stays the same, so a caller that looks up again and again may keep it until then.
   */
  resolverOf(cluster: string, pod: string, behaviour?: BehaviourName): PodResolver {
    const c = this.cluster(cluster);
    const found = this.clientPod(c, pod);
    const chosen = behaviour ?? found.behaviour;
    const slot = BEHAVIOURS.indexOf(chosen);
    let resolver = found.resolvers[slot];
    if (!resolver || resolver.address?.ip !== found.host.ip) {
      resolver = new PodResolver(this.sim, { cluster, namespace: found.namespace, name: found.name }, resolverSettings(chosen, this.resolvConfOf(cluster, found.object)));
      this.network.bind(resolver, found.host, RESOLVER_PORT + slot);
      found.resolvers[slot] = resolver;
    }
    return resolver;
  }

  /**
   * Runs HTTP applications in the cluster's pods they select, from the next pod started on (call
   * it before applying the manifests whose pods it serves in).
   */
  serveHttp(cluster: string, apps: readonly AppSpec[]): void {
    this.http.install(this.cluster(cluster), apps);
  }

  /**
   * Makes an Istio mesh over the clusters (call it once the manifests are applied, so that the
   * namespaces it labels for injection exist as the manifests wrote them).
   */
  installIstio(options: IstioMeshOptions): IstioMesh {
    if (this.mesh) throw new WorldError("this world has a mesh already");
    this.mesh = new IstioMesh(this.sim, this.network, this.clusters, options, (cluster, pod) => this.resolvConfOf(cluster, pod));
    return this.mesh;
  }

  /**
   * Makes a Cilium ClusterMesh over member clusters (mesh.md §6): their pods' connections to
   * Services are balanced in their node, over a global Service's backends in every member.
   */
  installCilium(options: ClusterMeshOptions): ClusterMesh {
    if (this.cilium) throw new WorldError("this world has a cluster mesh already");
    this.cilium = new ClusterMesh(this.sim, this.network, this.clusters, options);
    return this.cilium;
  }

  /**
   * Installs Linkerd and its multicluster extension over the clusters, with the links given
   * (call it once the manifests are applied, as {@link installIstio}).
   */
  installLinkerd(options: LinkerdMeshOptions): LinkerdMesh {
    if (this.linkerd) throw new WorldError("this world has Linkerd already");
    this.linkerd = new LinkerdMesh(this.sim, this.network, this.clusters, options);
    return this.linkerd;
  }

  /**
   * Starts an HTTP call of `url` from a running pod (`namespace/name`). The URL's host is looked
   * up through the pod's resolver as {@link resolve} does (its first IPv4 address is used). A pod
   * with a sidecar (Istio's, or Linkerd's proxy) hands the call to it, which picks an endpoint
   * itself; one without connects to the address, a cluster IP reaching a backend through
   * kube-proxy, or in a ClusterMesh member through Cilium's socket LB in the pod's node. Run the clock to let it end;
   * its result is on the returned call.
   *
   * @throws UrlError for a URL other than `http://host[:port][/path]`.
   */
  request(cluster: string, pod: string, url: string, options: WorldRequestOptions): PendingRequest {
    const c = this.cluster(cluster);
    const found = this.clientPod(c, pod);
    const ref = `${found.namespace}/${found.name}`;
    const resolver = options.resolver;
    const resolveHost: HostResolver = (host, done) => {
      this.resolve(cluster, ref, host, {
        ...(resolver ? { resolver } : {}),
        onDone: (r) => done(r.addresses.find((a) => a.family === 4)?.address),
      });
    };
    const sidecar = this.mesh?.sidecarOf(cluster, found.namespace, found.name) ?? this.linkerd?.proxyOf(cluster, found.namespace, found.name);
    if (sidecar && sidecar.host === found.host) return sidecar.request(url, options, resolveHost, options.onDone);
    let byPod = this.httpClients.get(cluster);
    if (!byPod) this.httpClients.set(cluster, (byPod = new Map()));
    let client = byPod.get(ref);
    // A pod replaced under the same name (a StatefulSet's) has a new host: a new client with it.
    if (!client || client.address?.ip !== found.host.ip || !found.host.attached) {
      client = new HttpClient(this.sim, { cluster, namespace: found.namespace, name: found.name }, resolveHost, this.cilium?.socketLb(cluster, found.host.node));
      this.network.bind(client, found.host, HTTP_CLIENT_PORT);
      byPod.set(ref, client);
    }
    return client.request(url, options, options.onDone);
  }

  /**
   * A pod's resolv.conf as the kubelet writes it (dns.md §5.1), from its DNS policy and config,
   * the cluster's domain and DNS address and the node's own file.
   */
  resolvConfOf(cluster: string, pod: Readonly<Pod>): ResolvConf {
    const c = this.cluster(cluster);
    return podResolvConf({
      dnsPolicy: pod.spec.dnsPolicy,
      dnsConfig: pod.spec.dnsConfig,
      hostNetwork: pod.spec.hostNetwork,
      namespace: pod.metadata.namespace ?? "default",
      podName: pod.metadata.name,
      clusterDomain: c.domain,
      clusterDNS: this.dnsIps.has(cluster) ? [this.dnsIps.get(cluster)!] : [],
      node: this.nodeResolvConf.get(cluster)!,
    }).config;
  }

  /**
   * The running pod a lookup is made from (`namespace/name`), found afresh only when the cluster's
   * pods may have changed since it was last asked ({@link KubeCluster.podsVersion}): traffic asks
   * for the same few client pods thousands of times a second.
   */
  private clientPod(c: KubeCluster, pod: string): ClientPod {
    let byRef = this.clientPods.get(c);
    if (!byRef) this.clientPods.set(c, (byRef = new Map()));
    const version = c.podsVersion;
    const known = byRef.get(pod);
    if (known && known.version === version) return known;
    const [namespace, name] = splitRef(pod);
    const object = c.api.get("Pod", namespace, name);
    if (!object) throw new WorldError(`cluster ${c.name} has no pod ${namespace}/${name}`);
    const host = c.podHost(namespace, name);
    if (!host) throw new WorldError(`pod ${namespace}/${name} in cluster ${c.name} is not running yet: run the clock until it is scheduled`);
    const found: ClientPod = { version, namespace, name, object, host, behaviour: behaviourOf(object), resolvers: this.podResolvers(c.name, namespace, name) };
    byRef.set(pod, found);
    return found;
  }

  /** Runs the clock for a while. */
  runFor(duration: Micros): RunResult {
    return this.sim.runFor(duration);
  }

  /** Runs the clock to an instant. */
  runUntil(time: Micros): RunResult {
    return this.sim.runUntil(time);
  }

  /** The resolvers of one pod, by behaviour; empty at first. */
  private podResolvers(cluster: string, namespace: string, pod: string): (PodResolver | undefined)[] {
    let byNamespace = this.resolvers.get(cluster);
    if (!byNamespace) this.resolvers.set(cluster, (byNamespace = new Map()));
    let byPod = byNamespace.get(namespace);
    if (!byPod) byNamespace.set(namespace, (byPod = new Map()));
    let byBehaviour = byPod.get(pod);
    if (!byBehaviour) byPod.set(pod, (byBehaviour = []));
    return byBehaviour;
  }

  private ensureUpstream(region: string, zone: string): void {
    if (this.upstream) return;
    const node = this.topology.addExternalNode({ name: "internet", region, zone });
    const host = this.network.addHost({ name: "internet/resolver", node, ip: UPSTREAM_DNS_IP });
    this.upstream = new UpstreamDns(this.sim, { cluster: "", namespace: "internet", name: "resolver" }, this.options.upstreamRecords ?? []);
    this.network.bind(this.upstream, host, DNS_PORT);
  }
}

/** A running pod as {@link World.resolve} found it, valid while its cluster's `podsVersion` is `version`. */
interface ClientPod {
  readonly version: number;
  readonly namespace: string;
  readonly name: string;
  readonly object: Readonly<Pod>;
  readonly host: Host;
  /** The resolver its image implies. */
  readonly behaviour: BehaviourName;
  /** Its resolvers by behaviour (see `World.resolvers`). */
  readonly resolvers: (PodResolver | undefined)[];
}

function splitRef(ref: string): [string, string] {
  const slash = ref.indexOf("/");
  return slash < 0 ? ["default", ref] : [ref.slice(0, slash), ref.slice(slash + 1)];
}

/** musl for Alpine and busybox images, glibc for the rest (Debian, Ubuntu, distroless/base). */
function behaviourOf(pod: Readonly<Pod>): BehaviourName {
  const image = pod.spec.containers[0]?.image ?? "";
  return /(^|\/)(alpine|busybox)(:|$)/.test(image) ? "musl" : "glibc";
}
