/**
 * A scenario as the loader returns it: plain data, checked, defaulted, durations in microseconds,
 * manifests read and validated. The YAML shape is described in `schema.ts`; the runner
 * (`run.ts`) builds a world from this and plays it.
 */
import type { FederationAnswer } from "../dns/federation.js";
import type { AppSpec } from "../http/apps.js";
import type { ErrorKind } from "../http/message.js";
import type { HttpFault } from "../http/server.js";
import type { BehaviourName } from "../dns/resolver/types.js";
import type { K8sObject } from "../k8s/objects.js";
import type { LinkProfile, LinkScope } from "../net/link.js";
import type { Direction } from "../net/fault.js";
import type { HostSelector } from "../net/selector.js";
import type { Distribution } from "../sim/distribution.js";
import type { Micros } from "../sim/time.js";
import type { ProfileName } from "../mcs/profiles.js";

/** The `apiVersion` of scenario files. */
export const SCENARIO_API_VERSION = "mcsim/v1alpha1";

/** A loaded scenario. */
export interface Scenario {
  readonly apiVersion: typeof SCENARIO_API_VERSION;
  readonly kind: "Scenario";
  readonly metadata: { readonly name: string; readonly description?: string };
  readonly spec: ScenarioSpec;
}

/** What a scenario builds, drives, breaks and checks. */
export interface ScenarioSpec {
  readonly seed: number;
  /** Simulated length of the run. */
  readonly duration: Micros;
  /** The start of the run that measurements leave out (pods starting, caches filling). */
  readonly warmup: Micros;
  readonly network: NetworkSpec;
  readonly clusters: readonly ClusterEntry[];
  readonly patterns: PatternsSpec;
  readonly manifests: readonly ManifestEntry[];
  /** HTTP applications the clusters' pods run. */
  readonly apps: readonly AppEntry[];
  readonly traffic: readonly StreamSpec[];
  readonly faults: readonly FaultSpec[];
  readonly expect: readonly ExpectationSpec[];
}

/** The cross-cluster patterns a scenario wires its clusters with. */
export interface PatternsSpec {
  readonly cilium?: CiliumSpec;
  readonly dnsFederation?: DnsFederationSpec;
  readonly mcs?: McsSpec;
  readonly mesh?: MeshSpec;
  readonly linkerd?: LinkerdSpec;
}

/** Linkerd multicluster (mesh.md §5): members, links (`from` mirrors `to`), injected namespaces. */
export interface LinkerdSpec {
  readonly version: string;
  /** Every cluster when empty. */
  readonly clusters: readonly { readonly name: string; readonly trustAnchor?: string }[];
  readonly links: readonly { readonly from: string; readonly to: string }[];
  readonly injection: { readonly namespaces: readonly string[] };
}

/**
 * Cilium ClusterMesh (mesh.md §6): a clustermesh-apiserver and a Cilium agent in each member, the
 * agents syncing global Services' backends across the members and balancing their pods'
 * connections in the node.
 */
export interface CiliumSpec {
  /** The members in order, with their cluster IDs; every cluster (IDs 1, 2, …) when not given. */
  readonly clusters: readonly { readonly name: string; readonly id?: number }[];
  /** `clustermesh-cache-ttl`: how long an unreachable cluster's backends are kept (default: for ever). */
  readonly cacheTTL?: Micros;
  /** From a change in a member's API to its clustermesh-apiserver's watchers (default: the API's watch delay). */
  readonly syncDelay?: Distribution;
  /** etcd's keepalive time and timeout (Cilium: 15s and 25s). */
  readonly keepaliveInterval?: Micros;
  readonly keepaliveTimeout?: Micros;
}

/**
 * An Istio multi-cluster mesh (mesh.md §1.1): istiod in each primary, watching the other
 * clusters' API servers (remote secrets made from this for now, until the Secret kind carries
 * them), and sidecars in the injected namespaces' pods.
 */
export interface MeshSpec {
  /** The Istio version (`1.24.0`): the proxies' VERSION and istioctl's output layouts. */
  readonly version: string;
  readonly model: "multi-primary" | "primary-remote";
  /** The members in order; every cluster, each a primary on its own topology network, when not given. */
  readonly clusters: readonly MeshClusterEntry[];
  /** Namespaces labelled `istio-injection=enabled` in every member. */
  readonly injection: { readonly namespaces: readonly string[] };
  /** The mesh's upstream connect timeout (default 10s). */
  readonly connectTimeout?: Micros;
  /** `ISTIO_META_DNS_CAPTURE` mesh-wide (mesh.md §4). */
  readonly dnsCapture?: boolean;
  /** `ISTIO_META_DNS_AUTO_ALLOCATE` mesh-wide (mesh.md §4). */
  readonly dnsAutoAllocate?: boolean;
}

/** One member of the mesh. */
export interface MeshClusterEntry {
  readonly name: string;
  /** For a remote cluster (primary-remote), the primary whose istiod it uses. */
  readonly primary?: string;
  /** Its Istio network; the cluster's topology network by default. */
  readonly network?: string;
  /** The trust domain of its workloads (default `cluster.local`). */
  readonly trustDomain?: string;
  /** The root CA its certificates chain to (default one root shared by every member, mesh.md §3.5). */
  readonly rootCA?: string;
  /** Whether it gets an east-west gateway; by default when the members span more than one network. */
  readonly eastWestGateway?: boolean;
}

/**
 * The Multi-Cluster Services API (mcs.md §1): the members form a ClusterSet with an MCS agent in
 * each, ServiceExports in their manifests are imported across it, and each member's CoreDNS
 * answers `clusterset.local` with the multicluster plugin (unless the cluster gives its own Corefile).
 */
export interface McsSpec {
  /** The members, in order; every cluster when not given. */
  readonly clusters: readonly string[];
  readonly profile: ProfileName;
  /** The clusterset's name (each member's `clusterset.k8s.io` property). */
  readonly name: string;
  /** Overrides of the profile's timings. */
  readonly syncPeriod?: Micros;
  readonly leaseDuration?: Micros;
  readonly initialPropagation?: Distribution;
}

/**
 * DNS federation (dns.md §4.2): each member exposes its DNS on a LoadBalancer address, answers
 * for its federation zones, and forwards the other members' zones to them. The loader writes it
 * out as each member's Corefile (unless the cluster gives its own) and a Service per member.
 */
export interface DnsFederationSpec {
  /** The members, in order; every cluster when not given. */
  readonly clusters: readonly string[];
  /** Zone templates with `{cluster}` in them (`{cluster}.local`, `{cluster}.example.com`). */
  readonly zones: readonly string[];
  readonly answer: FederationAnswer;
  /** The stub blocks' cache, in seconds; 0 for none. */
  readonly cache: number;
  readonly serveStale?: Micros;
  readonly forward: { readonly maxFails?: number; readonly healthCheck?: Micros; readonly expire?: Micros; readonly forceTcp?: boolean };
}

/** Link profiles: per scope, and per cluster pair over the scope's. */
export interface NetworkSpec {
  readonly links: Partial<Record<LinkScope, LinkProfile>>;
  readonly clusterPairs: readonly ClusterPairLink[];
}

/** A link profile between two clusters (both ways unless `oneWay`). */
export interface ClusterPairLink extends LinkProfile {
  readonly clusters: readonly [string, string];
  readonly oneWay?: boolean;
}

/** One cluster of the world. */
export interface ClusterEntry {
  readonly name: string;
  readonly region: string;
  readonly zones: readonly string[];
  readonly nodesPerZone: number;
  readonly network?: string;
  readonly podCidr?: string;
  readonly serviceCidr?: string;
  /** The cluster domain; default `cluster.local`. */
  readonly domain?: string;
  /** The nodes' own search domains, appended to pods' (EKS: `<region>.compute.internal`). */
  readonly nodeSearch?: readonly string[];
  readonly podStartup?: Distribution;
  readonly watchDelay?: Distribution;
  readonly dns: DnsSettings;
}

/** A cluster's CoreDNS. */
export interface DnsSettings {
  readonly replicas: number;
  readonly workers?: number;
  readonly serviceTime?: Distribution;
  readonly queueLimit?: number;
  /** The Corefile's text, from `corefile` or `corefileFile`, checked; kubeadm's when absent. */
  readonly corefile?: string;
}

/** Objects to apply to clusters at the start. */
export interface ManifestEntry {
  readonly clusters: readonly string[];
  readonly objects: readonly K8sObject[];
  /** `file.yaml`, or `scenario.yaml:12` for inline manifests. */
  readonly source: string;
}

/** An HTTP application of one cluster (see {@link AppSpec}). */
export interface AppEntry extends AppSpec {
  readonly cluster: string;
}

/** Which pods a stream sends from. */
export interface PodSelection {
  readonly cluster: string;
  readonly namespace: string;
  readonly pod?: string;
  readonly labels?: Readonly<Record<string, string>>;
  /** Create the pods: `pod` (or `pod-0`, `pod-1`, … for several), labelled with `labels`. */
  readonly create?: { readonly image: string; readonly replicas: number };
}

/** What a stream does each time: for now, a name lookup. */
export interface ResolveAction {
  readonly kind: "resolve";
  /** The names to look up: one, or one picked at random per lookup. */
  readonly names: readonly string[];
  /** Which address records getaddrinfo asks for. */
  readonly type: "A" | "AAAA" | "A+AAAA";
  /** The client's resolver; default by image. */
  readonly resolver?: BehaviourName;
}

/** What a request stream does each time: one HTTP call, without a sidecar. */
export interface RequestAction {
  readonly kind: "request";
  /** `http://host[:port][/path]`; the host is looked up through the pod's resolver. */
  readonly url: string;
  readonly method: string;
  /** The whole call's limit. */
  readonly timeout: Micros;
  /** The limit on connecting; the client's default when absent. */
  readonly connectTimeout?: Micros;
  /** The resolver the host is looked up with; default by image. */
  readonly resolver?: BehaviourName;
}

/** When a stream's actions start. */
export type Arrival =
  | { readonly kind: "poisson"; readonly rate: number }
  | { readonly kind: "constant"; readonly rate: number }
  | { readonly kind: "closed"; readonly concurrency: number; readonly think: Distribution };

/** The cross-cluster patterns a stream can be tagged with (DESIGN.md: mesh, DNS federation, MCS). */
export const PATTERN_NAMES = ["istio", "dns-federation", "mcs"] as const;
/** One of {@link PATTERN_NAMES}. */
export type PatternName = (typeof PATTERN_NAMES)[number];

/** A named stream of traffic. */
export interface StreamSpec {
  readonly name: string;
  /** The pattern its actions go through, for the report's table of patterns side by side. */
  readonly pattern?: PatternName;
  readonly from: PodSelection;
  readonly action: ResolveAction | RequestAction;
  readonly arrival: Arrival;
  readonly start: Micros;
  /** Defaults to the end of the run. */
  readonly end: Micros;
}

/** Pods a fault acts on, as Chaos Mesh selects them (simulation.md §4.1 `mode`). */
export interface PodTarget {
  readonly cluster: string;
  readonly namespace: string;
  readonly pod?: string;
  readonly labels?: Readonly<Record<string, string>>;
  readonly mode: "one" | "all" | "fixed" | "fixed-percent";
  /** How many pods (fixed) or what percent of them (fixed-percent). */
  readonly value?: number;
}

/** Manifests applied during the run. */
export interface ApplyAction {
  readonly kind: "apply";
  readonly clusters: readonly string[];
  readonly objects: readonly K8sObject[];
  readonly source: string;
}

/** What a fault does. Names follow simulation.md §4.5. */
export type FaultAction =
  | { readonly kind: "partition"; readonly from: HostSelector; readonly to: HostSelector; readonly direction: Direction }
  | { readonly kind: "heal"; readonly fault?: string }
  | {
      readonly kind: "delay";
      readonly from: HostSelector;
      readonly to: HostSelector;
      readonly direction: Direction;
      readonly latency: Micros;
      readonly jitter: Micros;
      /** Percent, as Chaos Mesh writes it. */
      readonly correlation: number;
    }
  | { readonly kind: "loss"; readonly from: HostSelector; readonly to: HostSelector; readonly direction: Direction; readonly loss: number; readonly correlation: number }
  | {
      readonly kind: "duplicate";
      readonly from: HostSelector;
      readonly to: HostSelector;
      readonly direction: Direction;
      readonly duplicate: number;
      readonly correlation: number;
    }
  | { readonly kind: "hold"; readonly from: HostSelector; readonly to: HostSelector; readonly direction: Direction }
  | { readonly kind: "release"; readonly fault?: string }
  | { readonly kind: "kill"; readonly target: PodTarget }
  | { readonly kind: "failure"; readonly target: PodTarget }
  | {
      readonly kind: "scale";
      readonly cluster: string;
      readonly workload: "Deployment" | "StatefulSet";
      readonly namespace: string;
      readonly name: string;
      readonly replicas: number;
    }
  | {
      readonly kind: "dnsChaos";
      readonly cluster: string;
      readonly action: "error" | "random";
      readonly patterns: readonly string[];
      /** Only queries from these pods; every client when absent. */
      readonly from?: { readonly namespace?: string; readonly pod?: string; readonly labels?: Readonly<Record<string, string>> };
    }
  /** The apps of the pods picked misbehave (Istio fault injection, Chaos Mesh HTTPChaos) until the fault ends. */
  | { readonly kind: "httpFault"; readonly target: PodTarget; readonly port?: number; readonly fault: HttpFault }
  | ApplyAction
  | { readonly kind: "delete"; readonly cluster: string; readonly object: { readonly kind: string; readonly namespace: string; readonly name: string } }
  /** A member of `spec.patterns.mcs` leaves the clusterset (`ClusterSet.leave`); with `for`, it joins again after. */
  | { readonly kind: "leave"; readonly cluster: string }
  /** A member of `spec.patterns.mcs` that left joins the clusterset again (`ClusterSet.join`). */
  | { readonly kind: "join"; readonly cluster: string };

/** One entry of the fault timeline. */
export interface FaultSpec {
  /** Unique; default `<action>@<at>`. Expectations name phases by it. */
  readonly name: string;
  readonly at: Micros;
  /** When given, the fault is reverted this long after `at`. */
  readonly for?: Micros;
  readonly action: FaultAction;
}

/** The part of a run an expectation looks at. */
export type ExpectWindow =
  | { readonly kind: "run" }
  | { readonly kind: "window"; readonly from: Micros; readonly to: Micros }
  | { readonly kind: "phase"; readonly fault: string; readonly phase: Phase };

/** Before, during and after a fault. */
export type Phase = "before" | "during" | "after";

/** What an expectation checks over its window. */
export type ExpectCheck =
  /** A latency percentile (0–100) of successful lookups below a bound, above one, or between. */
  | { readonly kind: "latency"; readonly percentile: number; readonly below?: Micros; readonly above?: Micros }
  | { readonly kind: "successRatio"; readonly atLeast?: number; readonly atMost?: number }
  | { readonly kind: "count"; readonly atLeast?: number; readonly atMost?: number }
  /** How many lookups ended with this code (`NOERROR`, `NXDOMAIN`, `SERVFAIL`, `TIMEOUT`, …). */
  | { readonly kind: "rcode"; readonly code: string; readonly atLeast?: number; readonly atMost?: number }
  /** DNS queries sent per lookup, on average. */
  | { readonly kind: "queriesPerLookup"; readonly atLeast?: number; readonly atMost?: number }
  /** How many calls ended with this status (whatever proxy made it). */
  | { readonly kind: "status"; readonly code: number; readonly atLeast?: number; readonly atMost?: number }
  /** How many calls ended in this error kind. */
  | { readonly kind: "error"; readonly error: ErrorKind; readonly atLeast?: number; readonly atMost?: number };

/** An assertion about one stream. */
export interface ExpectationSpec {
  readonly stream: string;
  readonly window: ExpectWindow;
  readonly check: ExpectCheck;
  /** Only the actions bound for this cluster (a request's serving endpoint, a lookup's first address). */
  readonly to?: { readonly cluster: string };
  /** As written, or made from the rest: `p99 latency of local-fqdn during partition < 5ms`. */
  readonly description: string;
}
