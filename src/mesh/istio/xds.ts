/**
 * The xDS exchange between istiod and its proxies, as messages on the simulated network: a proxy
 * connects and subscribes to its types, istiod sends a response per type with a nonce, and the
 * proxy ACKs it by nonce (or NACKs it with an error). What each side keeps of it (nonce sent,
 * nonce acked, last error, mesh.md §2.2) is {@link XdsTypeState}.
 */
import type { Micros } from "../../sim/time.js";
import type { Locality } from "./locality.js";
import type { ClientTlsMode, HTTPMatchRequest } from "../../k8s/istio.js";
import type { InboundMtls } from "./mtls.js";
import type { LbPolicy } from "./config.js";
import type { OutlierPolicy } from "./sidecar-outlier.js";
import type { CircuitBreakers } from "./sidecar-pool.js";
import type { RetryPolicy } from "./sidecar-retry.js";

/** The xDS port of istiod (gRPC xDS with mTLS). */
export const XDS_PORT = 15012;

/** The xDS types a sidecar subscribes to, in istiod's push order (mesh.md §1.5 `PushOrder`; ECDS last). */
export const XDS_TYPES = ["CDS", "EDS", "LDS", "RDS", "ECDS"] as const;
/**
 * NDS, the name table the agent's DNS proxy answers from (mesh.md §4): subscribed only by a proxy
 * with DNS capture on, and pushed with full pushes.
 */
export const NDS = "NDS";
/** One xDS type by its short name. */
export type XdsType = (typeof XDS_TYPES)[number] | typeof NDS;

/** The order `istioctl proxy-status` 1.27+ lists a proxy's subscriptions in (mesh.md §2.2). */
export const SUBSCRIPTION_ORDER: readonly XdsType[] = ["CDS", "LDS", "EDS", "RDS", "ECDS"];

export const XDS_CONNECT = "xds.connect";
export const XDS_RESPONSE = "xds.response";
export const XDS_ACK = "xds.ack";

/** What a proxy says about itself when it connects (its node metadata). */
export interface ProxyMetadata {
  /** `<pod>.<namespace>`, the proxy ID `istioctl proxy-status` lists. */
  readonly id: string;
  readonly pod: string;
  readonly namespace: string;
  /** `ISTIO_META_CLUSTER_ID`. */
  readonly cluster: string;
  /** `ISTIO_META_NETWORK`. */
  readonly network: string;
  readonly locality: Locality;
  /** The pod's labels (`failoverPriority` compares them with endpoints', mesh.md §3.1). */
  readonly labels: Readonly<Record<string, string>>;
  readonly istioVersion: string;
  readonly types: readonly XdsType[];
  /** `ISTIO_META_DNS_AUTO_ALLOCATE`: istiod allocates addresses for ServiceEntries without (mesh.md §4). */
  readonly dnsAutoAllocate?: boolean;
  /**
   * True for a gateway (Istio's `router` proxies): it sees only its own network's endpoints that
   * take mTLS (`ISTIO_META_REQUESTED_NETWORK_VIEW` and the SNI-DNAT mTLS filter, mesh.md §1.3).
   */
  readonly router?: boolean;
  /** The trust domain of its workload identity (mesh.md §3.5). */
  readonly trustDomain: string;
  /** The root CA its certificate chains to: its cluster's (mesh.md §3.5; istiod only passes it on). */
  readonly rootCA: string;
}

/**
 * How Envoy finds a cluster's hosts: EDS (a Kubernetes service, a STATIC ServiceEntry),
 * STRICT_DNS and LOGICAL_DNS (resolution DNS and DNS_ROUND_ROBIN: the endpoint hosts resolved
 * through the pod's nameserver), ORIGINAL_DST (resolution NONE: the address the app called).
 */
export type ClusterType = "EDS" | "STRICT_DNS" | "LOGICAL_DNS" | "ORIGINAL_DST";

/**
 * An upstream cluster (CDS): one per service port, named `outbound|<port>||<host>`, and one per
 * port and DestinationRule subset, `outbound|<port>|<subset>|<host>`, with the rule's policy
 * (top level merged with the subset's) as Envoy gets it.
 */
export interface ClusterResource {
  readonly name: string;
  readonly host: string;
  readonly port: number;
  /** The DestinationRule subset; empty for the service's own cluster. */
  readonly subset: string;
  readonly type: ClusterType;
  /** The DR's `loadBalancer.simple`, LEAST_REQUEST by default. */
  readonly lbPolicy: LbPolicy;
  /** The upstream connect timeout: the DR's `connectionPool.tcp.connectTimeout`, else the mesh's (mesh.md §3.4). */
  readonly connectTimeout: Micros;
  /** Envoy's `healthy_panic_threshold` in percent as Istio sets it (mesh.md §3.2). */
  readonly panicThreshold: number;
  /** Outlier detection, when the DestinationRule sets it (mesh.md §3.3). */
  readonly outlierDetection?: OutlierPolicy;
  /** The connection pool's limits, when the DestinationRule's `connectionPool` sets any. */
  readonly circuitBreakers?: CircuitBreakers;
  /** The DestinationRule's `tls.mode`; absent, auto mTLS per endpoint (mesh.md §3.5). */
  readonly tlsMode?: ClientTlsMode;
}

/** One endpoint of a cluster's load assignment (EDS). */
export interface LbEndpoint {
  /** An IP, or for a DNS cluster the host name Envoy resolves. */
  readonly address: string;
  readonly port: number;
  readonly locality: Locality;
  readonly cluster: string;
  readonly network: string;
  /** The pod's labels (subsets select on them). */
  readonly labels: Readonly<Record<string, string>>;
  /** Envoy's priority level, already compacted (mesh.md §3.1). */
  readonly priority: number;
  /**
   * The weight of the endpoint's locality group when a DestinationRule's `distribute` set one
   * (mesh.md §3.1 `applyLocalityWeights`); absent, localities are not weighted.
   */
  readonly localityWeight?: number;
  /**
   * Whether the endpoint takes Istio mTLS: it has a sidecar and its PeerAuthentication does not
   * DISABLE the port (Istio's `tlsMode: istio` endpoint metadata, which auto mTLS reads, mesh.md §3.5).
   */
  readonly mtls: boolean;
  /**
   * Envoy's `load_balancing_weight`, set only on a multi-network mesh (mesh.md §1.4): a gateway's
   * endpoint weighs as many as the endpoints behind it. Absent, every endpoint weighs the same.
   */
  readonly weight?: number;
  /** EDS health: always true, as istiod sends only ready endpoints; outlier ejection is the sidecar's own. */
  readonly healthy: boolean;
}

/** A cluster's endpoints (an EDS ClusterLoadAssignment). */
export interface LoadAssignment {
  readonly cluster: string;
  readonly endpoints: readonly LbEndpoint[];
}

/** An outbound listener match (LDS): a service's address and port, to a cluster. */
export interface ListenerResource {
  readonly address: string;
  readonly port: number;
  readonly cluster: string;
}

/** A route configuration (RDS): one per port, named by it, with a virtual host per service. */
export interface RouteResource {
  readonly name: string;
  readonly virtualHosts: readonly VirtualHostResource[];
}

/** A service's virtual host: the Host headers it answers to, and its routes in order. */
export interface VirtualHostResource {
  /** `<hostname>:<port>`, as Istio names it. */
  readonly name: string;
  readonly domains: readonly string[];
  readonly routes: readonly RouteEntry[];
}

/** One weighted destination of a route: a cluster (a service port, or one of its subsets). */
export interface WeightedCluster {
  readonly cluster: string;
  readonly weight: number;
}

/** Faults a route injects (a VirtualService's `fault`), percentages from 0 to 100. */
export interface FaultPolicy {
  readonly delay?: { readonly fixedDelay: Micros; readonly percent: number };
  readonly abort?: { readonly status: number; readonly percent: number };
}

/** One route: the first whose match holds takes a request (no match: every request). */
export interface RouteEntry {
  /** Any one of them must hold; empty matches everything. */
  readonly match: readonly HTTPMatchRequest[];
  readonly destinations: readonly WeightedCluster[];
  /** The route timeout over all attempts; absent, none (mesh.md §3.4). */
  readonly timeout?: Micros;
  readonly retry: RetryPolicy;
  readonly fault?: FaultPolicy;
}

/** One response: the resources of one type, with istiod's nonce and version. */
export type XdsResponse = {
  readonly nonce: string;
  readonly version: string;
  /** Its place in the connection's stream, from 0: a gRPC stream arrives in order. */
  readonly seq: number;
} & (
  | { readonly type: "CDS"; readonly resources: readonly ClusterResource[] }
  /** An EDS-only push carries only the changed clusters; a full one all (State of the World per cluster). */
  | { readonly type: "EDS"; readonly resources: readonly LoadAssignment[] }
  /** With the inbound listener's mTLS: the proxy's own PeerAuthentication modes (mesh.md §3.5). */
  /** A router's also says which ports its Gateways give AUTO_PASSTHROUGH servers (mesh.md §1.3). */
  | { readonly type: "LDS"; readonly resources: readonly ListenerResource[]; readonly inbound: InboundMtls; readonly autoPassthrough?: readonly number[] }
  | { readonly type: "RDS"; readonly resources: readonly RouteResource[] }
  | { readonly type: typeof NDS; readonly resources: readonly NameTableEntry[] }
);

/**
 * One host of the name table (Istio's `NameTable_NameInfo`): its addresses and, for a Kubernetes
 * service, its namespace and short name, from which the agent answers `name`, `name.ns` and
 * `name.ns.svc` too (mesh.md §4).
 */
export interface NameTableEntry {
  readonly host: string;
  readonly ips: readonly string[];
  readonly namespace?: string;
  readonly shortname?: string;
}

/** A response before it is numbered in a stream. */
export type UnsentResponse = XdsResponse extends infer R ? (R extends XdsResponse ? Omit<R, "seq"> : never) : never;

/** A proxy's answer to a response: its nonce, and an error for a NACK. */
export interface XdsAck {
  readonly proxy: string;
  readonly type: XdsType;
  readonly nonce: string;
  readonly error?: string;
}

/** What istiod keeps per proxy and type (Istio's `WatchedResource`). */
export interface XdsTypeState {
  nonceSent: string;
  nonceAcked: string;
  lastError: string;
  /** When the last response of the type was sent; undefined before any. */
  lastSent: Micros | undefined;
}

/** A per-type status as `istioctl proxy-status` prints it (mesh.md §2.2 `debugSyncStatus`). */
export type SyncStatus = "SYNCED" | "STALE" | "NOT SENT" | "ERROR" | "IGNORED";

/** The status of one type: ERROR after a NACK, NOT SENT before any response, SYNCED once acked, else STALE. */
export function syncStatus(state: XdsTypeState | undefined): SyncStatus {
  if (!state) return "IGNORED";
  if (state.lastError !== "") return "ERROR";
  if (state.nonceSent === "") return "NOT SENT";
  return state.nonceAcked === state.nonceSent ? "SYNCED" : "STALE";
}
