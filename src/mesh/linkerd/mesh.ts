/**
 * Linkerd multicluster over a world's clusters (mesh.md §5): in each member the control plane's
 * namespaces (`linkerd`, `linkerd-multicluster`), its destination controller, and the gateway
 * `linkerd multicluster install` deploys (a `linkerd-gateway` pod behind a LoadBalancer Service,
 * 4143 and 4191); for each link, what `linkerd multicluster link` writes into the source cluster
 * (the `cluster-credentials-<target>` Secret and the `Link`), and a service mirror for every Link
 * there is, started and stopped as Links come and go; linkerd-failover; and a proxy in every pod annotated
 * `linkerd.io/inject: enabled`, or in a namespace so annotated.
 */
import type { KubeCluster } from "../../k8s/cluster.js";
import { LINK_VERSION, type Link } from "../../k8s/linkerd.js";
import { stableHash } from "../../k8s/names.js";
import type { Pod, Secret, Service } from "../../k8s/objects.js";
import type { Host } from "../../net/host.js";
import type { Network } from "../../net/network.js";
import type { Sim } from "../../sim/sim.js";
import { ApiServerEndpoints, apiServerUrl } from "../api-endpoints.js";
import { kubeconfigFor, kubeconfigServer } from "../kubeconfig.js";
import { Destinations, type Destination } from "./destinations.js";
import { FailoverController } from "./failover.js";
import { GATEWAY_PORT, LinkerdGateway, PROBE_PATH, PROBE_PORT } from "./gateway.js";
import { DEFAULT_REMOTE_DISCOVERY_SELECTOR, DEFAULT_SELECTOR, REMOTE_DISCOVERY_LABEL, REMOTE_SERVICE_LABEL, ServiceMirror } from "./mirror.js";
import { LinkerdProxy } from "./proxy.js";

/** Linkerd's control-plane namespace. */
export const LINKERD_NAMESPACE = "linkerd";
/** The multicluster extension's namespace. */
export const MULTICLUSTER_NAMESPACE = "linkerd-multicluster";
/** The annotation that turns injection on (`enabled`) or off (`disabled`). */
export const LINKERD_INJECT = "linkerd.io/inject";
/** The gateway's name (Service and pod prefix). */
export const GATEWAY_NAME = "linkerd-gateway";
/** The Linkerd version a mesh has when a scenario names none. */
export const DEFAULT_LINKERD_VERSION = "edge-24.11.8";
/** The trust anchor every cluster shares unless told otherwise. */
export const DEFAULT_TRUST_ANCHOR = "root.linkerd.cluster.local";
/** The proxy image; the gateway runs it too. */
const PROXY_IMAGE = "cr.l5d.io/linkerd/proxy";

/** One cluster of the mesh. */
export interface LinkerdClusterOptions {
  readonly name: string;
  /** The root its identities chain to; clusters must share it to talk (mesh.md §5.2). */
  readonly trustAnchor?: string;
}

/** A `linkerd multicluster link` from `from` to `to`: `from` mirrors `to`'s exported Services. */
export interface LinkerdLinkOptions {
  readonly from: string;
  readonly to: string;
}

/** Options of a {@link LinkerdMesh}. */
export interface LinkerdMeshOptions {
  readonly version: string;
  readonly clusters: readonly LinkerdClusterOptions[];
  readonly links: readonly LinkerdLinkOptions[];
  /** Namespaces annotated `linkerd.io/inject: enabled` in every member. */
  readonly injectNamespaces: readonly string[];
}

/** Whether a pod gets a proxy: its own annotation if it has one, else its namespace's. */
export function linkerdInjected(pod: Readonly<Pod>, namespaceAnnotations: Readonly<Record<string, string>> | undefined): boolean {
  return (pod.metadata.annotations?.[LINKERD_INJECT] ?? namespaceAnnotations?.[LINKERD_INJECT]) === "enabled";
}

/** One member's parts. */
interface Member {
  readonly cluster: KubeCluster;
  readonly trustAnchor: string;
  readonly destinations: Destinations;
  /** The gateway's load-balancer address. */
  readonly gatewayAddress: string;
  /** Service mirrors by Link name. */
  readonly mirrors: Map<string, { readonly mirror: ServiceMirror; readonly host: Host }>;
  /** Proxies by `namespace/pod`. */
  readonly proxies: Map<string, LinkerdProxy>;
  readonly failover: FailoverController;
}

/** The mesh. */
export class LinkerdMesh {
  private readonly members = new Map<string, Member>();
  private readonly apiEndpoints: ApiServerEndpoints;
  /** Trust anchors of meshed addresses (proxies' pods, gateways' load balancers), for mTLS. */
  private readonly trust = new Map<string, string>();

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly clusters: ReadonlyMap<string, KubeCluster>,
    readonly options: LinkerdMeshOptions,
  ) {
    this.apiEndpoints = new ApiServerEndpoints(sim, network, clusters);
    for (const c of options.clusters) this.install(c);
    for (const l of options.links) this.link(l);
    for (const m of this.members.values()) {
      this.watchLinks(m);
      this.watchPods(m);
    }
  }

  /** The proxy of a running pod, if it has one. */
  proxyOf(cluster: string, namespace: string, pod: string): LinkerdProxy | undefined {
    return this.members.get(cluster)?.proxies.get(`${namespace}/${pod}`);
  }

  /** A cluster's service mirrors, by Link name, in the order they started. */
  mirrorsOf(cluster: string): ServiceMirror[] {
    return [...(this.members.get(cluster)?.mirrors.values() ?? [])].map((m) => m.mirror);
  }

  /** The address of a member's gateway (its load balancer's), as Links to it name it. */
  gatewayAddressOf(cluster: string): string | undefined {
    return this.members.get(cluster)?.gatewayAddress;
  }

  /** A member's linkerd-failover controller. */
  failoverOf(cluster: string): FailoverController | undefined {
    return this.members.get(cluster)?.failover;
  }

  /** A member's trust anchor; undefined for a cluster outside the mesh. */
  trustAnchorOf(cluster: string): string | undefined {
    return this.members.get(cluster)?.trustAnchor;
  }

  /** `linkerd install` and `linkerd multicluster install` in one cluster. */
  private install(c: LinkerdClusterOptions): void {
    const cluster = this.clusters.get(c.name)!;
    const api = cluster.api;
    const annotate = (name: string, annotations: Record<string, string>) => {
      const current = api.get("Namespace", "", name);
      const merged = { ...current?.metadata.annotations, ...annotations };
      api.apply({ apiVersion: "v1", kind: "Namespace", metadata: { ...current?.metadata, name, ...(Object.keys(merged).length ? { annotations: merged } : {}) } });
    };
    annotate(LINKERD_NAMESPACE, {});
    annotate(MULTICLUSTER_NAMESPACE, {});
    for (const ns of this.options.injectNamespaces) annotate(ns, { [LINKERD_INJECT]: "enabled" });
    const gatewayAddress = this.network.allocateExternalAddress();
    const topo = cluster.topology;
    const lbNode = this.network.topology.addExternalNode({ name: `${c.name}-${GATEWAY_NAME}-lb`, region: topo.region, zone: topo.zones[0]! });
    const lbHost = this.network.addHost({ name: `${c.name}/${MULTICLUSTER_NAMESPACE}/${GATEWAY_NAME}`, node: lbNode, ip: gatewayAddress });
    const trustAnchor = c.trustAnchor ?? DEFAULT_TRUST_ANCHOR;
    this.trust.set(gatewayAddress, trustAnchor);
    const member: Member = { cluster, trustAnchor, destinations: Destinations.watching(api, "linkerd-destination"), gatewayAddress, mirrors: new Map(), proxies: new Map(), failover: new FailoverController(this.sim, api) };
    this.members.set(c.name, member);
    const labels = { app: GATEWAY_NAME, "linkerd.io/control-plane-ns": LINKERD_NAMESPACE };
    cluster.registerImage({
      image: new RegExp(`^${PROXY_IMAGE.replace(/\./g, "\\.")}:`),
      start: ({ sim, network, pod, host }) => {
        const id = { cluster: c.name, namespace: MULTICLUSTER_NAMESPACE, name: pod.metadata.name };
        const listeners = (["proxy", "probe"] as const).map((mode) => new LinkerdGateway(sim, { ...id, name: `${id.name}:${mode}` }, network, lbHost, host, mode, member.destinations));
        for (const l of listeners) l.start();
        return { stop: () => listeners.forEach((l) => l.stop()) };
      },
    });
    const service: Service = {
      apiVersion: "v1",
      kind: "Service",
      metadata: { name: GATEWAY_NAME, namespace: MULTICLUSTER_NAMESPACE, labels: { "mirror.linkerd.io/gateway": "true" }, annotations: { "mirror.linkerd.io/probe-path": PROBE_PATH, "mirror.linkerd.io/probe-period": "3" } },
      spec: {
        // ClusterIP, not LoadBalancer: the load balancer is the host above (see gateway.ts).
        type: "ClusterIP",
        selector: { app: GATEWAY_NAME },
        ports: [
          { name: "mc-gateway", protocol: "TCP", port: GATEWAY_PORT, targetPort: GATEWAY_PORT },
          { name: "mc-probe", protocol: "TCP", port: PROBE_PORT, targetPort: PROBE_PORT },
        ],
      },
    };
    api.apply(service);
    const podName = `${GATEWAY_NAME}-${stableHash(`${c.name}/${GATEWAY_NAME}`, 10)}-${stableHash(`${c.name}/${GATEWAY_NAME}/pod`, 5)}`;
    api.apply({
      apiVersion: "v1",
      kind: "Pod",
      metadata: { name: podName, namespace: MULTICLUSTER_NAMESPACE, labels },
      spec: { containers: [{ name: "linkerd-proxy", image: `${PROXY_IMAGE}:${this.options.version}`, ports: [{ name: "mc-gateway", containerPort: GATEWAY_PORT }, { name: "mc-probe", containerPort: PROBE_PORT }] }] },
    } satisfies Pod);
  }

  /** What `linkerd --context=<to> multicluster link --cluster-name <to> | kubectl --context=<from> apply -f -` writes. */
  private link(l: LinkerdLinkOptions): void {
    const target = this.members.get(l.to)!;
    const api = this.members.get(l.from)!.cluster.api;
    const secret: Secret = {
      apiVersion: "v1",
      kind: "Secret",
      metadata: { name: `cluster-credentials-${l.to}`, namespace: MULTICLUSTER_NAMESPACE },
      type: "mirror.linkerd.io/remote-kubeconfig",
      stringData: { kubeconfig: kubeconfigFor(l.to, apiServerUrl(l.to), `linkerd-service-mirror-remote-access-${l.from}`) },
    };
    api.apply(secret);
    const link: Link = {
      apiVersion: LINK_VERSION,
      kind: "Link",
      metadata: { name: l.to, namespace: MULTICLUSTER_NAMESPACE },
      spec: {
        clusterCredentialsSecret: secret.metadata.name,
        gatewayAddress: target.gatewayAddress,
        gatewayIdentity: `${GATEWAY_NAME}.${MULTICLUSTER_NAMESPACE}.serviceaccount.identity.linkerd.cluster.local`,
        gatewayPort: String(GATEWAY_PORT),
        probeSpec: { failureThreshold: "3", path: PROBE_PATH, period: "3s", port: String(PROBE_PORT), timeout: "30s" },
        remoteDiscoverySelector: DEFAULT_REMOTE_DISCOVERY_SELECTOR,
        selector: DEFAULT_SELECTOR,
        targetClusterDomain: target.cluster.domain,
        targetClusterLinkerdNamespace: LINKERD_NAMESPACE,
        targetClusterName: l.to,
      },
    };
    api.apply(link);
  }

  /** A service mirror per Link in `linkerd-multicluster`, replaced when its Link changes. */
  private watchLinks(m: Member): void {
    const api = m.cluster.api;
    api.watch("Link", "linkerd-multicluster-controller", (e) => {
      const name = e.object.metadata.name;
      if (e.object.metadata.namespace !== MULTICLUSTER_NAMESPACE) return;
      const running = m.mirrors.get(name);
      if (running) {
        running.mirror.stop();
        this.network.removeHost(running.host);
        m.mirrors.delete(name);
      }
      if (e.type === "DELETED") return;
      const link = e.object;
      const target = link.spec.targetClusterName ?? name;
      const host = this.network.addHost({ name: `${m.cluster.name}/${MULTICLUSTER_NAMESPACE}/linkerd-service-mirror-${target}`, node: m.cluster.topology.nodes[0]! });
      const mirror = new ServiceMirror(this.sim, this.network, m.cluster, host, link, this.credentialsServer(m, link));
      mirror.start();
      m.mirrors.set(name, { mirror, host });
    });
  }

  /** The API server the Link's credentials Secret names; undefined when it names none (the mirror never syncs). */
  private credentialsServer(m: Member, link: Readonly<Link>) {
    const name = link.spec.clusterCredentialsSecret;
    const data = name === undefined ? undefined : m.cluster.api.get("Secret", MULTICLUSTER_NAMESPACE, name)?.data?.["kubeconfig"];
    if (data === undefined) return undefined;
    try {
      return this.apiEndpoints.at(kubeconfigServer(Buffer.from(data, "base64").toString("utf8")));
    } catch {
      return undefined;
    }
  }

  /** Starts and stops proxies with the cluster's pods, as the proxy injector and the kubelet would. */
  private watchPods(m: Member): void {
    const cluster = m.cluster;
    const context = {
      destinations: m.destinations,
      trustAnchor: m.trustAnchor,
      remoteTargets: (mirror: Readonly<Service>, port: number): Destination | undefined => {
        const target = mirror.metadata.labels?.[REMOTE_DISCOVERY_LABEL];
        const remote = mirror.metadata.labels?.[REMOTE_SERVICE_LABEL];
        const found = [...m.mirrors.values()].find((x) => x.mirror.target === target)?.mirror;
        return found && remote !== undefined ? found.remoteTargets(mirror.metadata.namespace ?? "default", remote, port) : undefined;
      },
      peerTrust: (address: string) => this.trust.get(address),
    };
    cluster.api.watch("Pod", "linkerd-proxy-injector", (e) => {
      const pod = e.object;
      const namespace = pod.metadata.namespace ?? "default";
      const ref = `${namespace}/${pod.metadata.name}`;
      const current = m.proxies.get(ref);
      const host = cluster.podHost(namespace, pod.metadata.name);
      if (current && (e.type === "DELETED" || current.host !== host)) {
        current.stop();
        this.trust.delete(current.host.ip);
        m.proxies.delete(ref);
      }
      if (e.type === "DELETED" || !host || m.proxies.has(ref)) return;
      if (!linkerdInjected(pod, cluster.api.get("Namespace", "", namespace)?.metadata.annotations)) return;
      const identity = `default.${namespace}.serviceaccount.identity.linkerd.${cluster.domain}`;
      const proxy = new LinkerdProxy(this.sim, { cluster: cluster.name, namespace, name: pod.metadata.name }, this.network, host, identity, context);
      proxy.start();
      this.trust.set(host.ip, m.trustAnchor);
      m.proxies.set(ref, proxy);
    });
  }
}
