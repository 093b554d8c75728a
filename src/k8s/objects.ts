/**
 * Kubernetes objects as the API server stores them: the same field names and shapes as the real
 * API (so that their YAML and `kubectl` output look the same), limited to the fields mcsim
 * honours. Every field a manifest may give is here; a field not here is an error when loaded.
 */
import {
  ISTIO_NETWORKING_VERSION,
  ISTIO_SECURITY_VERSION,
  type DestinationRule,
  type Gateway,
  type PeerAuthentication,
  type ServiceEntry,
  type VirtualService,
} from "./istio.js";
import { LINK_VERSION, TRAFFIC_SPLIT_VERSION, type Link, type TrafficSplit } from "./linkerd.js";

/** Labels or annotations. */
export type StringMap = Record<string, string>;

/** `metadata` of every object. */
export interface ObjectMeta {
  name: string;
  /** Set for namespaced kinds; `default` when a manifest leaves it out. */
  namespace?: string;
  labels?: StringMap;
  annotations?: StringMap;
  /** Assigned by the API server. */
  uid?: string;
  /** Assigned by the API server on every write: a decimal counter per cluster. */
  resourceVersion?: string;
  /** Assigned by the API server: the simulated instant of creation, RFC 3339 from the epoch. */
  creationTimestamp?: string;
  /** Set on objects a controller made (a Deployment's pods, a Service's EndpointSlices). */
  ownerReferences?: OwnerReference[];
  /** Used instead of `name` to have the API server pick a unique name (`<generateName><suffix>`). */
  generateName?: string;
}

/** Who made an object. */
export interface OwnerReference {
  apiVersion: string;
  kind: string;
  name: string;
  uid: string;
  controller?: boolean;
}

/** A label selector: all `matchLabels` and all `matchExpressions` must hold. */
export interface LabelSelector {
  matchLabels?: StringMap;
  matchExpressions?: LabelSelectorRequirement[];
}

/** One expression of a {@link LabelSelector}. */
export interface LabelSelectorRequirement {
  key: string;
  operator: "In" | "NotIn" | "Exists" | "DoesNotExist";
  values?: string[];
}

/** A condition, as the API conventions write them. */
export interface Condition {
  type: string;
  status: "True" | "False" | "Unknown";
  reason?: string;
  message?: string;
  lastTransitionTime?: string;
}

export interface Namespace {
  apiVersion: "v1";
  kind: "Namespace";
  metadata: ObjectMeta;
}

/** A container port. */
export interface ContainerPort {
  name?: string;
  containerPort: number;
  protocol?: Protocol;
}

/** Transport protocols of ports. */
export type Protocol = "TCP" | "UDP" | "SCTP";

/** An environment variable of a container (a literal value; `valueFrom` is not modelled). */
export interface EnvVar {
  name: string;
  value?: string;
}

/**
 * Resource requests and limits, quantities as the API serialises them (`"500m"`, `"128Mi"`, `"1"`).
 * Kept so that real manifests load; the simulation does not schedule by them.
 */
export interface ResourceRequirements {
  limits?: StringMap;
  requests?: StringMap;
}

/** A port on a probe: a number or the name of a container port. */
export type IntOrString = number | string;

/**
 * A readiness or liveness probe. Exactly one handler (`httpGet`, `tcpSocket`, `exec`, `grpc`) is
 * given, as the API server requires.
 */
export interface Probe {
  httpGet?: { path?: string; port: IntOrString; host?: string; scheme?: "HTTP" | "HTTPS" };
  tcpSocket?: { port: IntOrString; host?: string };
  exec?: { command?: string[] };
  grpc?: { port: number; service?: string };
  initialDelaySeconds?: number;
  periodSeconds?: number;
  timeoutSeconds?: number;
  successThreshold?: number;
  failureThreshold?: number;
}

export interface Container {
  name: string;
  image: string;
  ports?: ContainerPort[];
  command?: string[];
  args?: string[];
  imagePullPolicy?: "Always" | "IfNotPresent" | "Never";
  env?: EnvVar[];
  resources?: ResourceRequirements;
  readinessProbe?: Probe;
  livenessProbe?: Probe;
}

/** `options` of a pod's `dnsConfig`. */
export interface PodDNSConfigOption {
  name: string;
  value?: string;
}

export interface PodDNSConfig {
  nameservers?: string[];
  searches?: string[];
  options?: PodDNSConfigOption[];
}

export type DNSPolicy = "ClusterFirst" | "ClusterFirstWithHostNet" | "Default" | "None";

export interface PodSpec {
  containers: Container[];
  hostname?: string;
  subdomain?: string;
  setHostnameAsFQDN?: boolean;
  nodeName?: string;
  hostNetwork?: boolean;
  dnsPolicy?: DNSPolicy;
  dnsConfig?: PodDNSConfig;
  serviceAccountName?: string;
  nodeSelector?: StringMap;
  /** How long a deleted pod keeps running (and its endpoint stays, terminating). */
  terminationGracePeriodSeconds?: number;
}

export interface PodStatus {
  phase?: "Pending" | "Running" | "Succeeded" | "Failed" | "Unknown";
  podIP?: string;
  podIPs?: { ip: string }[];
  hostIP?: string;
  conditions?: Condition[];
}

export interface Pod {
  apiVersion: "v1";
  kind: "Pod";
  metadata: ObjectMeta;
  spec: PodSpec;
  status?: PodStatus;
}

export type ServiceType = "ClusterIP" | "NodePort" | "LoadBalancer" | "ExternalName";
export type IPFamily = "IPv4" | "IPv6";
export type IPFamilyPolicy = "SingleStack" | "PreferDualStack" | "RequireDualStack";

export interface ServicePort {
  name?: string;
  protocol?: Protocol;
  port: number;
  /** A number or the name of a container port. */
  targetPort?: number | string;
  nodePort?: number;
  appProtocol?: string;
}

export interface ServiceSpec {
  type?: ServiceType;
  selector?: StringMap;
  ports?: ServicePort[];
  /** `None` for a headless Service; assigned from the service range when left out. */
  clusterIP?: string;
  clusterIPs?: string[];
  ipFamilies?: IPFamily[];
  ipFamilyPolicy?: IPFamilyPolicy;
  externalName?: string;
  publishNotReadyAddresses?: boolean;
  sessionAffinity?: "None" | "ClientIP";
  /** `Local` keeps in-cluster traffic on the client's node. */
  internalTrafficPolicy?: "Cluster" | "Local";
  /** `Local` keeps external traffic on the node it arrived at (NodePort and LoadBalancer only). */
  externalTrafficPolicy?: "Cluster" | "Local";
}

export interface ServiceStatus {
  loadBalancer?: { ingress?: { ip?: string; hostname?: string }[] };
}

export interface Service {
  apiVersion: "v1";
  kind: "Service";
  metadata: ObjectMeta;
  spec: ServiceSpec;
  status?: ServiceStatus;
}

export interface EndpointConditions {
  /** Nil means ready. */
  ready?: boolean;
  serving?: boolean;
  terminating?: boolean;
}

export interface ObjectReference {
  kind: string;
  name: string;
  namespace?: string;
  uid?: string;
}

export interface Endpoint {
  addresses: string[];
  conditions?: EndpointConditions;
  hostname?: string;
  nodeName?: string;
  zone?: string;
  targetRef?: ObjectReference;
}

export interface EndpointPort {
  name?: string;
  protocol?: Protocol;
  port?: number;
  appProtocol?: string;
}

export interface EndpointSlice {
  apiVersion: "discovery.k8s.io/v1";
  kind: "EndpointSlice";
  metadata: ObjectMeta;
  addressType: "IPv4" | "IPv6" | "FQDN";
  endpoints: Endpoint[];
  ports?: EndpointPort[];
}

export interface ConfigMap {
  apiVersion: "v1";
  kind: "ConfigMap";
  metadata: ObjectMeta;
  data?: StringMap;
}

/**
 * A Secret. `data` holds base64 of each value, as the API returns it; `stringData` is write-only:
 * the API server merges it into `data` (its values winning) and never stores or returns it.
 * Istio's remote secrets are Secrets (mesh.md §1.2).
 */
export interface Secret {
  apiVersion: "v1";
  kind: "Secret";
  metadata: ObjectMeta;
  /** `Opaque` when a manifest leaves it out; types such as `kubernetes.io/tls` require some keys. */
  type?: string;
  data?: StringMap;
  stringData?: StringMap;
}

export interface PodTemplateSpec {
  metadata?: Omit<ObjectMeta, "name" | "namespace"> & { name?: string };
  spec: PodSpec;
}

export interface DeploymentSpec {
  replicas?: number;
  selector: LabelSelector;
  template: PodTemplateSpec;
}

export interface Deployment {
  apiVersion: "apps/v1";
  kind: "Deployment";
  metadata: ObjectMeta;
  spec: DeploymentSpec;
  status?: { replicas?: number; readyReplicas?: number };
}

export interface StatefulSetSpec {
  replicas?: number;
  serviceName: string;
  selector: LabelSelector;
  template: PodTemplateSpec;
}

export interface StatefulSet {
  apiVersion: "apps/v1";
  kind: "StatefulSet";
  metadata: ObjectMeta;
  spec: StatefulSetSpec;
  status?: { replicas?: number; readyReplicas?: number };
}

/**
 * The Multi-Cluster Services API's `ServiceExport` (mcs.md §1.2): name-mapped to the Service of
 * the same namespace and name, which it offers to the clusterset. Served at v1alpha1 and v1beta1;
 * stored, and read back, at v1beta1 as mcs-api v0.5.0's CRD stores it.
 */
export interface ServiceExport {
  apiVersion: typeof MCS_API_VERSION;
  kind: "ServiceExport";
  metadata: ObjectMeta;
  spec?: { exportedLabels?: StringMap; exportedAnnotations?: StringMap };
  /** Written by the MCS controller: conditions Valid, Ready and Conflict. */
  status?: { conditions?: Condition[] };
}

/** A port of a {@link ServiceImport}: a Service port without its target (mcs.md §1.3). */
export interface ServiceImportPort {
  name?: string;
  protocol?: Protocol;
  appProtocol?: string;
  port: number;
}

/** `ClusterSetIP` (a virtual address per importing cluster) or `Headless` (addressed through DNS). */
export type ServiceImportType = "ClusterSetIP" | "Headless";

/**
 * The Multi-Cluster Services API's `ServiceImport` (mcs.md §1.3): what the clusterset offers under
 * one namespaced name, made and owned by the MCS controller in every member that has the namespace.
 */
export interface ServiceImport {
  apiVersion: typeof MCS_API_VERSION;
  kind: "ServiceImport";
  metadata: ObjectMeta;
  spec: {
    ports: ServiceImportPort[];
    /** The clusterset IPs; empty for Headless. */
    ips?: string[];
    type: ServiceImportType;
    sessionAffinity?: "None" | "ClientIP";
    sessionAffinityConfig?: { clientIP?: { timeoutSeconds?: number } };
    ipFamilies?: IPFamily[];
    internalTrafficPolicy?: "Cluster" | "Local";
    trafficDistribution?: string;
  };
  status?: { clusters?: { cluster: string }[]; conditions?: Condition[] };
}

/**
 * A property of the whole cluster (the About API, KEP-2149; mcs.md §1.11): cluster-scoped, one
 * value. `cluster.clusterset.k8s.io` holds the cluster's id, `clusterset.k8s.io` its clusterset.
 */
export interface ClusterProperty {
  apiVersion: typeof ABOUT_API_VERSION;
  kind: "ClusterProperty";
  metadata: ObjectMeta;
  spec: { value: string };
}

/** The ClusterProperty that holds a cluster's id (mcs.md §1.11). */
export const CLUSTER_ID_PROPERTY = "cluster.clusterset.k8s.io";
/** The ClusterProperty that holds the clusterset a cluster belongs to, while it does (mcs.md §1.11). */
export const CLUSTERSET_PROPERTY = "clusterset.k8s.io";

/** The group and version ServiceExport and ServiceImport are stored at (mcs-api v0.5.0). */
export const MCS_API_VERSION = "multicluster.x-k8s.io/v1beta1";
/** The group and version ClusterProperty is stored at (about-api). */
export const ABOUT_API_VERSION = "about.k8s.io/v1beta1";

/** Every object mcsim's API servers store. */
export type K8sObject =
  | Namespace
  | Pod
  | Service
  | EndpointSlice
  | ConfigMap
  | Secret
  | Deployment
  | StatefulSet
  | ServiceExport
  | ServiceImport
  | ClusterProperty
  | VirtualService
  | DestinationRule
  | ServiceEntry
  | Gateway
  | PeerAuthentication
  | Link
  | TrafficSplit;

/** The kinds mcsim knows, by name. */
export type Kind = K8sObject["kind"];

/** The object of one kind. */
export type ObjectOfKind<K extends Kind> = Extract<K8sObject, { kind: K }>;

/** The kinds whose objects live in a namespace. */
export const NAMESPACED: ReadonlySet<Kind> = new Set<Kind>([
  "Pod",
  "Service",
  "EndpointSlice",
  "ConfigMap",
  "Secret",
  "Deployment",
  "StatefulSet",
  "ServiceExport",
  "ServiceImport",
  "VirtualService",
  "DestinationRule",
  "ServiceEntry",
  "Gateway",
  "PeerAuthentication",
  "Link",
  "TrafficSplit",
]);

/** The apiVersion each kind is stored and read back at. */
export const API_VERSIONS: Readonly<Record<Kind, string>> = {
  Namespace: "v1",
  Pod: "v1",
  Service: "v1",
  EndpointSlice: "discovery.k8s.io/v1",
  ConfigMap: "v1",
  Secret: "v1",
  Deployment: "apps/v1",
  StatefulSet: "apps/v1",
  ServiceExport: MCS_API_VERSION,
  ServiceImport: MCS_API_VERSION,
  ClusterProperty: ABOUT_API_VERSION,
  VirtualService: ISTIO_NETWORKING_VERSION,
  DestinationRule: ISTIO_NETWORKING_VERSION,
  ServiceEntry: ISTIO_NETWORKING_VERSION,
  Gateway: ISTIO_NETWORKING_VERSION,
  PeerAuthentication: ISTIO_SECURITY_VERSION,
  Link: LINK_VERSION,
  TrafficSplit: TRAFFIC_SPLIT_VERSION,
};

/**
 * Istio's networking CRDs serve v1alpha3, v1beta1 and v1 with one schema. kubectl reads them back
 * at v1, the preferred version (the CRD's storage version, v1alpha3, never shows).
 */
const ISTIO_NETWORKING_SERVED = ["networking.istio.io/v1alpha3", "networking.istio.io/v1beta1", ISTIO_NETWORKING_VERSION];

/**
 * Every apiVersion a manifest may give for a kind, the stored one last: custom resources are
 * served at several versions (mcs-api's at v1alpha1 and v1beta1), and read back at the stored one
 * (for Istio's, the version kubectl reads them at).
 */
export const SERVED_VERSIONS: Readonly<Record<Kind, readonly string[]>> = {
  ...(Object.fromEntries(Object.entries(API_VERSIONS).map(([k, v]) => [k, [v]])) as Record<Kind, string[]>),
  ServiceExport: ["multicluster.x-k8s.io/v1alpha1", MCS_API_VERSION],
  ServiceImport: ["multicluster.x-k8s.io/v1alpha1", MCS_API_VERSION],
  ClusterProperty: ["about.k8s.io/v1alpha1", ABOUT_API_VERSION],
  VirtualService: ISTIO_NETWORKING_SERVED,
  DestinationRule: ISTIO_NETWORKING_SERVED,
  ServiceEntry: ISTIO_NETWORKING_SERVED,
  Gateway: ISTIO_NETWORKING_SERVED,
  PeerAuthentication: ["security.istio.io/v1beta1", ISTIO_SECURITY_VERSION],
  Link: ["multicluster.linkerd.io/v1alpha1", "multicluster.linkerd.io/v1alpha2", LINK_VERSION],
};
