/**
 * Istio's configuration kinds as the API server stores them (istio/api's `networking/v1` and
 * `security/v1` protos, in their JSON field names), limited to the fields mcsim's mesh honours:
 * routing (VirtualService), per-destination policy (DestinationRule), services outside the
 * registry (ServiceEntry), gateways (Gateway) and server-side mTLS (PeerAuthentication). Behaviour
 * lives in `src/mesh/`; these are data. A field not here is an error when loaded.
 *
 * Istio leaves unset what its protos leave at their zero value, and its CRDs default nothing, so
 * neither does mcsim: an absent field means the proto's default, which each field's doc names.
 */
import type { ObjectMeta, StringMap } from "./objects.js";

/** The group and version the networking kinds are read back at (the preferred version of Istio 1.22+). */
export const ISTIO_NETWORKING_VERSION = "networking.istio.io/v1";
/** The group and version PeerAuthentication is read back at. */
export const ISTIO_SECURITY_VERSION = "security.istio.io/v1";

/**
 * A duration as Istio's YAML writes it (`"5s"`, `"100ms"`, `"1m30s"`), kept as written so that
 * `kubectl get -o yaml` shows it so; Istio requires at least 1ms, in whole milliseconds.
 * `parseDuration` reads it.
 */
export type IstioDuration = string;

/** A string match: exactly one of the three is given. `regex` is RE2 syntax. */
export interface StringMatch {
  exact?: string;
  prefix?: string;
  regex?: string;
}

/** A percentage from 0 to 100, fractions allowed (`{value: 0.1}` is one request in a thousand); absent is 0. */
export interface Percent {
  value?: number;
}

/** A port of a destination. */
export interface PortSelector {
  number: number;
}

/** Where a route sends requests: a host of the registry, optionally one of its subsets and ports. */
export interface Destination {
  /** A Service's short name (resolved in the rule's namespace), its FQDN, or a ServiceEntry host. */
  host: string;
  /** A subset named in the host's DestinationRule. */
  subset?: string;
  /** Needed only when the host has more than one port. */
  port?: PortSelector;
}

/** One destination of a route, with its share of the traffic. */
export interface HTTPRouteDestination {
  destination: Destination;
  /** A relative weight; a lone destination takes all the traffic whatever its weight. */
  weight?: number;
}

/** The conditions of one match: all must hold. */
export interface HTTPMatchRequest {
  name?: string;
  uri?: StringMatch;
  method?: StringMatch;
  authority?: StringMatch;
  /** Header names, lowercase, to matches. */
  headers?: Record<string, StringMatch>;
  /** The port the request was addressed to. */
  port?: number;
  /** The labels of the calling workload. */
  sourceLabels?: StringMap;
}

/** The retry policy of a route. Absent, the mesh default applies (mesh.md §3.4). */
export interface HTTPRetry {
  /** 0 disables retries. */
  attempts?: number;
  perTryTimeout?: IstioDuration;
  /** Envoy's retry conditions and status codes, comma-separated (`5xx,connect-failure,503`). */
  retryOn?: string;
  /** Retry in other localities (Envoy's previous_priorities retry priority). */
  retryRemoteLocalities?: boolean;
}

/** Faults a route injects before it forwards. */
export interface HTTPFaultInjection {
  delay?: { fixedDelay: IstioDuration; percentage?: Percent };
  abort?: { httpStatus: number; percentage?: Percent };
}

/** One HTTP route: the first whose match holds takes the request. */
export interface HTTPRoute {
  name?: string;
  /** Absent, the route matches every request. */
  match?: HTTPMatchRequest[];
  route: HTTPRouteDestination[];
  /** Absent, requests have no route timeout (mesh.md §3.4). */
  timeout?: IstioDuration;
  retries?: HTTPRetry;
  fault?: HTTPFaultInjection;
}

/** Namespaces a rule is visible in: `.` its own, `*` all (the default), `~` none, or names. */
export type ExportTo = string[];

/**
 * Istio's `VirtualService`: how requests to its hosts are routed. Served at v1alpha3, v1beta1
 * and v1; read back at v1.
 */
export interface VirtualService {
  apiVersion: typeof ISTIO_NETWORKING_VERSION;
  kind: "VirtualService";
  metadata: ObjectMeta;
  spec: {
    hosts: string[];
    /** `mesh` (the sidecars: the default when absent), or gateways as `[namespace/]name`. */
    gateways?: string[];
    http?: HTTPRoute[];
    exportTo?: ExportTo;
  };
}

/** Envoy's simple load balancers; absent, Istio uses LEAST_REQUEST. */
export type SimpleLoadBalancer = "UNSPECIFIED" | "RANDOM" | "PASSTHROUGH" | "ROUND_ROBIN" | "LEAST_REQUEST" | "LEAST_CONN";

/** Locality load balancing (mesh.md §3.1): only one of `distribute` and `failover`. */
export interface LocalityLoadBalancerSetting {
  /** Absent, the mesh setting applies (enabled by default). */
  enabled?: boolean;
  /** Region to region: where traffic goes when the proxy's own region has no healthy endpoint. */
  failover?: { from: string; to: string }[];
  /** Label keys, or `key=value`, in the order endpoints are preferred by. */
  failoverPriority?: string[];
  /** From a locality (wildcards allowed), weights of localities summing to 100. */
  distribute?: { from: string; to: Record<string, number> }[];
}

/** The load balancer of a destination. */
export interface LoadBalancerSettings {
  simple?: SimpleLoadBalancer;
  localityLbSetting?: LocalityLoadBalancerSetting;
}

/** Outlier detection; defaults as mesh.md §3.3. Setting it turns locality failover on (§3.1). */
export interface OutlierDetection {
  /** Default 5; 0 disables. */
  consecutive5xxErrors?: number;
  /** Default 0 (disabled). */
  consecutiveGatewayErrors?: number;
  /** Default 10s. */
  interval?: IstioDuration;
  /** Default 30s; an ejection lasts this times the number of times the host was ejected. */
  baseEjectionTime?: IstioDuration;
  /** Default 10. */
  maxEjectionPercent?: number;
  /** Default 0, which disables panic mode (mesh.md §3.2). */
  minHealthPercent?: number;
  splitExternalLocalOriginErrors?: boolean;
  /** Default 5; counted only when splitExternalLocalOriginErrors is true. */
  consecutiveLocalOriginFailures?: number;
}

/** Connection limits of a destination. */
export interface ConnectionPoolSettings {
  /** `connectTimeout` absent: the mesh's, 10s (mesh.md §3.4). */
  tcp?: { maxConnections?: number; connectTimeout?: IstioDuration };
  http?: { http1MaxPendingRequests?: number; http2MaxRequests?: number; maxRequestsPerConnection?: number; maxRetries?: number };
}

/** TLS towards a destination; ISTIO_MUTUAL is the mesh's mTLS. Absent: auto-mTLS (mesh.md §3.5). */
export type ClientTlsMode = "DISABLE" | "SIMPLE" | "MUTUAL" | "ISTIO_MUTUAL";

/** The policy applied to traffic to a destination (or one of its subsets). */
export interface TrafficPolicy {
  loadBalancer?: LoadBalancerSettings;
  connectionPool?: ConnectionPoolSettings;
  outlierDetection?: OutlierDetection;
  tls?: { mode?: ClientTlsMode; sni?: string };
}

/** A named group of a host's endpoints, by label, with its own policy merged over the host's. */
export interface Subset {
  name: string;
  labels?: StringMap;
  trafficPolicy?: TrafficPolicy;
}

/**
 * Istio's `DestinationRule`: the policy of traffic to one host, after routing. Served at v1alpha3,
 * v1beta1 and v1; read back at v1.
 */
export interface DestinationRule {
  apiVersion: typeof ISTIO_NETWORKING_VERSION;
  kind: "DestinationRule";
  metadata: ObjectMeta;
  spec: {
    host: string;
    trafficPolicy?: TrafficPolicy;
    subsets?: Subset[];
    exportTo?: ExportTo;
  };
}

/** A port of a ServiceEntry: protocol absent means TCP, unless the name says otherwise (`http-web`). */
export interface ServiceEntryPort {
  number: number;
  protocol?: string;
  name: string;
  /** Absent: the same as `number`. */
  targetPort?: number;
}

/** One endpoint of a ServiceEntry (a WorkloadEntry inline). */
export interface ServiceEntryEndpoint {
  /** An IP, a DNS name (resolution DNS), or `unix:///path`; may be absent when `network` is given. */
  address?: string;
  /** The ServiceEntry's port names to this endpoint's port numbers. */
  ports?: Record<string, number>;
  labels?: StringMap;
  network?: string;
  /** `region/zone/subzone`. */
  locality?: string;
  weight?: number;
  serviceAccount?: string;
}

/** Whether a ServiceEntry's service is outside the mesh (the default) or part of it. */
export type ServiceEntryLocation = "MESH_EXTERNAL" | "MESH_INTERNAL";
/** How a ServiceEntry's endpoints are found; absent means NONE. */
export type ServiceEntryResolution = "NONE" | "STATIC" | "DNS" | "DNS_ROUND_ROBIN";

/**
 * Istio's `ServiceEntry`: a service added to the mesh's registry. Served at v1alpha3, v1beta1 and
 * v1; read back at v1. `kubectl get se` shows HOSTS LOCATION RESOLUTION (mesh.md §2.3).
 */
export interface ServiceEntry {
  apiVersion: typeof ISTIO_NETWORKING_VERSION;
  kind: "ServiceEntry";
  metadata: ObjectMeta;
  spec: {
    hosts: string[];
    /** Virtual IPs or CIDR blocks of the service. */
    addresses?: string[];
    ports?: ServiceEntryPort[];
    location?: ServiceEntryLocation;
    resolution?: ServiceEntryResolution;
    endpoints?: ServiceEntryEndpoint[];
    exportTo?: ExportTo;
    subjectAltNames?: string[];
  };
}

/** How a gateway server handles TLS; AUTO_PASSTHROUGH is the east-west gateway's (mesh.md §1.3). */
export type ServerTlsMode = "PASSTHROUGH" | "SIMPLE" | "MUTUAL" | "AUTO_PASSTHROUGH" | "ISTIO_MUTUAL" | "OPTIONAL_MUTUAL";

/** A port a gateway listens on. */
export interface GatewayPort {
  number: number;
  /** HTTP, HTTPS, GRPC, HTTP2, MONGO, TCP or TLS (any case, as Istio reads it). */
  protocol: string;
  name?: string;
  targetPort?: number;
}

/** One server of a gateway: a port and the hosts it serves there. */
export interface GatewayServer {
  port: GatewayPort;
  /** Hosts, each optionally prefixed `namespace/` (`*` or `.` allowed) to say whose routes bind. */
  hosts: string[];
  tls?: { mode?: ServerTlsMode; credentialName?: string; httpsRedirect?: boolean };
  name?: string;
}

/** Istio's `Gateway`: what the gateway pods its selector picks listen for. Served at v1alpha3, v1beta1 and v1. */
export interface Gateway {
  apiVersion: typeof ISTIO_NETWORKING_VERSION;
  kind: "Gateway";
  metadata: ObjectMeta;
  spec: {
    /** The labels of the gateway pods, in any namespace (`istio: eastwestgateway`). */
    selector?: StringMap;
    servers: GatewayServer[];
  };
}

/** The mTLS a workload accepts: UNSET inherits from the parent policy (the mesh's is PERMISSIVE). */
export type MtlsMode = "UNSET" | "DISABLE" | "PERMISSIVE" | "STRICT";

/**
 * Istio's `PeerAuthentication`: whether workloads accept plaintext (mesh.md §3.5). In the root
 * namespace it is mesh-wide, elsewhere namespace-wide, and with a selector per workload. Served at
 * v1beta1 and v1; read back at v1.
 */
export interface PeerAuthentication {
  apiVersion: typeof ISTIO_SECURITY_VERSION;
  kind: "PeerAuthentication";
  metadata: ObjectMeta;
  /** Optional, unlike the other kinds': without one, the namespace's workloads inherit the mesh's mode. */
  spec?: {
    selector?: { matchLabels?: StringMap };
    mtls?: { mode?: MtlsMode };
    /** Port numbers (as keys) to their modes; needs a selector. */
    portLevelMtls?: Record<string, { mode?: MtlsMode }>;
  };
}
