/**
 * istiod's Istio config: the DestinationRules and VirtualServices of its config cluster (Istio
 * reads config from the cluster istiod runs in, not from remote ones, mesh.md §1.2), looked up by
 * service hostname as Istio does, and a DestinationRule's traffic policy turned into what a
 * cluster (CDS) carries: connect timeout, panic threshold and outlier detection with their
 * defaults (mesh.md §3.2–§3.4).
 */
import type { WatchEvent } from "../../k8s/apiserver.js";
import type { ClientTlsMode, DestinationRule, Gateway, IstioDuration, LocalityLoadBalancerSetting, PeerAuthentication, ServiceEntry, Subset, TrafficPolicy, VirtualService } from "../../k8s/istio.js";
import { matchesLabels } from "../../k8s/labels.js";
import { parseDuration, SECOND, type Micros } from "../../sim/time.js";
import { DEFAULT_PANIC_THRESHOLD } from "./locality.js";
import { inboundMtls, type InboundMtls, type MtlsWorkload } from "./mtls.js";
import { autoAllocate, entryServices, exportedTo, type EntryContext, type EntryService } from "./service-entries.js";
import { MAX_EJECTION_TIME, type OutlierPolicy } from "./sidecar-outlier.js";
import { UNLIMITED, type CircuitBreakers } from "./sidecar-pool.js";

/** The config kinds istiod watches in its own cluster. */
export const CONFIG_KINDS = ["DestinationRule", "VirtualService", "PeerAuthentication", "Gateway"] as const;
/** One of {@link CONFIG_KINDS}. */
export type ConfigKind = (typeof CONFIG_KINDS)[number];
/**
 * ServiceEntries are config too, but watched apart from {@link CONFIG_KINDS}: istiod's sync does
 * not wait for their list, so that a mesh without any pushes as it did before they were read.
 */
export const ENTRY_KIND = "ServiceEntry";

/**
 * A host as a rule names it, as a hostname: a short name (no dot) is in the rule's namespace
 * (`web` → `web.default.svc.cluster.local`); a name with a dot is taken as it is, as Istio's
 * `ResolveShortnameToFQDN` does (so `web.default` is not expanded).
 */
export function resolveHost(name: string, namespace: string, domain: string): string {
  return name.includes(".") || name.startsWith("*") ? name : `${name}.${namespace}.svc.${domain}`;
}

/** How well a rule's host matches a hostname: 2 exactly, 1 by wildcard (`*`, `*.suffix`), 0 not. */
function hostMatch(pattern: string, host: string): number {
  if (pattern === host) return 2;
  if (pattern === "*") return 1;
  return pattern.startsWith("*.") && host.endsWith(pattern.slice(1)) ? 1 : 0;
}

/** The DestinationRules, VirtualServices, PeerAuthentications, Gateways and ServiceEntries of one istiod's config cluster. */
export class ConfigStore {
  private readonly rules = new Map<string, Readonly<DestinationRule>>();
  private readonly virtualServices = new Map<string, Readonly<VirtualService>>();
  private readonly peerAuthentications = new Map<string, Readonly<PeerAuthentication>>();
  private readonly gateways = new Map<string, Readonly<Gateway>>();
  private readonly entries = new Map<string, Readonly<ServiceEntry>>();
  /** The entries' services and auto-allocated addresses, made again after an entry changes. */
  private entryCache: { readonly services: readonly EntryService[]; readonly allocated: ReadonlyMap<string, string> } | undefined;
  /** Raised by every event, so that what is built from the config can be kept while it stays the same. */
  version = 0;

  constructor(
    /** The cluster domain short names are resolved in. */
    readonly domain: string,
    /** Istio's root namespace, whose selector-less PeerAuthentication is mesh-wide. */
    readonly rootNamespace = "istio-system",
  ) {}

  /** A watch event of one of {@link CONFIG_KINDS} or of {@link ENTRY_KIND}. */
  event(kind: ConfigKind | typeof ENTRY_KIND, e: WatchEvent): void {
    this.version++;
    const o = e.object;
    const key = `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
    const maps: Record<ConfigKind, Map<string, unknown>> = { DestinationRule: this.rules, VirtualService: this.virtualServices, PeerAuthentication: this.peerAuthentications, Gateway: this.gateways };
    const map = kind === ENTRY_KIND ? this.entries : maps[kind];
    if (kind === ENTRY_KIND) this.entryCache = undefined;
    if (e.type === "DELETED") map.delete(key);
    else map.set(key, o);
  }

  /**
   * The ServiceEntries' services a proxy in `proxyNamespace` sees (by `exportTo`), in the order
   * the entries were first seen, and the addresses allocated to those without (`namespace/host`
   * to address; mesh.md §4).
   */
  entryServices(context: EntryContext, proxyNamespace: string): { services: EntryService[]; allocated: ReadonlyMap<string, string> } {
    if (this.entries.size === 0) return { services: [], allocated: new Map() };
    if (!this.entryCache) {
      const services = [...this.entries.values()].flatMap((se) => entryServices(se, context));
      this.entryCache = { services, allocated: autoAllocate(services) };
    }
    const visible = this.entryCache.services.filter((s) => exportedTo(this.entries.get(s.entry)!.spec.exportTo, s.namespace, proxyNamespace));
    return { services: visible, allocated: this.entryCache.allocated };
  }

  /**
   * The ports a gateway pod with these labels has AUTO_PASSTHROUGH servers on, from the Gateways
   * whose selector picks it (mesh.md §1.3), in order, each once.
   */
  autoPassthroughPorts(labels: Readonly<Record<string, string>>): number[] {
    const ports = new Set<number>();
    for (const g of this.gateways.values()) {
      if (!g.spec.selector || !matchesLabels(labels, g.spec.selector)) continue;
      for (const server of g.spec.servers) if (server.tls?.mode === "AUTO_PASSTHROUGH") ports.add(server.port.number);
    }
    return [...ports];
  }

  /** A workload's inbound mTLS by the PeerAuthentications of this config cluster (mesh.md §3.5). */
  inboundMtls(workload: MtlsWorkload): InboundMtls {
    return inboundMtls(this.peerAuthentications.values(), this.rootNamespace, workload);
  }

  /**
   * The DestinationRule of a hostname for a proxy in `proxyNamespace`: the most specific host
   * match, preferring a rule in the proxy's namespace, then the service's, then any other, each
   * in the order the rules were first seen (Istio's `destinationRule` lookup; exportTo is not
   * modelled, so every rule is visible everywhere).
   */
  destinationRule(host: string, proxyNamespace: string): Readonly<DestinationRule> | undefined {
    const serviceNamespace = host.split(".")[1];
    let best: { rule: Readonly<DestinationRule>; rank: number } | undefined;
    for (const rule of this.rules.values()) {
      const ns = rule.metadata.namespace ?? "default";
      const match = hostMatch(resolveHost(rule.spec.host, ns, this.domain), host);
      if (match === 0) continue;
      const rank = match * 3 + (ns === proxyNamespace ? 2 : ns === serviceNamespace ? 1 : 0);
      if (!best || rank > best.rank) best = { rule, rank };
    }
    return best?.rule;
  }

  /**
   * The VirtualService that routes a hostname from sidecars (gateways absent or naming `mesh`):
   * an exact host before a wildcard, the first seen among equals, as Istio keeps the oldest.
   */
  virtualService(host: string): Readonly<VirtualService> | undefined {
    let best: { vs: Readonly<VirtualService>; match: number } | undefined;
    for (const vs of this.virtualServices.values()) {
      if (vs.spec.gateways && !vs.spec.gateways.includes("mesh")) continue;
      const ns = vs.metadata.namespace ?? "default";
      for (const h of vs.spec.hosts) {
        const match = hostMatch(resolveHost(h, ns, this.domain), host);
        if (match > (best?.match ?? 0)) best = { vs, match };
      }
    }
    return best?.vs;
  }
}

/**
 * The load balancer of a cluster as the sidecar runs it: Istio's default LEAST_REQUEST (LEAST_CONN
 * is its deprecated alias, and UNSPECIFIED the default), ROUND_ROBIN or RANDOM. PASSTHROUGH
 * (Envoy's original-destination cluster) is not modelled and balances as LEAST_REQUEST.
 */
export type LbPolicy = "LEAST_REQUEST" | "ROUND_ROBIN" | "RANDOM";

/** A cluster's policy from its DestinationRule, defaults filled in. */
export interface ClusterPolicy {
  readonly lbPolicy: LbPolicy;
  readonly connectTimeout: Micros;
  readonly panicThreshold: number;
  readonly outlierDetection?: OutlierPolicy;
  /** The rule's locality settings; absent, the mesh's (enabled, no rules, mesh.md §3.1). */
  readonly localityLb?: LocalityLoadBalancerSetting;
  /** The `connectionPool` limits, when the rule sets any (unset ones Istio's 2^32−1). */
  readonly circuitBreakers?: CircuitBreakers;
  /** The rule's `tls.mode`; absent, auto mTLS decides per endpoint (mesh.md §3.5). */
  readonly tlsMode?: ClientTlsMode;
}

/**
 * The traffic policy of a subset: its own fields over the rule's top-level ones, field by field
 * (Istio's `MergeTrafficPolicy`).
 */
export function effectivePolicy(rule: Readonly<DestinationRule> | undefined, subset: Readonly<Subset> | undefined): TrafficPolicy {
  return { ...rule?.spec.trafficPolicy, ...subset?.trafficPolicy };
}

const micros = (d: IstioDuration | undefined, fallback: Micros): Micros => (d === undefined ? fallback : parseDuration(d));

/**
 * What Envoy's cluster gets of a traffic policy (mesh.md §3.2–§3.4): the connect timeout
 * (`connectionPool.tcp.connectTimeout`, else the mesh's); with `outlierDetection`, its detectors
 * with Istio's defaults and a panic threshold of `minHealthPercent` (0: panic off); without,
 * Envoy's default threshold of 50%.
 */
export function clusterPolicy(policy: TrafficPolicy, meshConnectTimeout: Micros): ClusterPolicy {
  const connectTimeout = micros(policy.connectionPool?.tcp?.connectTimeout, meshConnectTimeout);
  const localityLb = policy.loadBalancer?.localityLbSetting;
  const od = policy.outlierDetection;
  const simple = policy.loadBalancer?.simple;
  const lbPolicy: LbPolicy = simple === "ROUND_ROBIN" || simple === "RANDOM" ? simple : "LEAST_REQUEST";
  const breakers = circuitBreakers(policy);
  const tlsMode = policy.tls?.mode;
  const base = { lbPolicy, connectTimeout, ...(localityLb ? { localityLb } : {}), ...(breakers ? { circuitBreakers: breakers } : {}), ...(tlsMode ? { tlsMode } : {}) };
  if (!od) return { ...base, panicThreshold: DEFAULT_PANIC_THRESHOLD };
  const baseEjectionTime = micros(od.baseEjectionTime, 30 * SECOND);
  return {
    ...base,
    panicThreshold: od.minHealthPercent ?? 0,
    outlierDetection: {
      consecutive5xxErrors: od.consecutive5xxErrors ?? 5,
      consecutiveGatewayErrors: od.consecutiveGatewayErrors ?? 0,
      interval: micros(od.interval, 10 * SECOND),
      baseEjectionTime,
      maxEjectionTime: Math.max(MAX_EJECTION_TIME, baseEjectionTime),
      maxEjectionPercent: od.maxEjectionPercent ?? 10,
    },
  };
}

/**
 * The circuit breakers of a traffic policy's `connectionPool`: undefined when it sets none of
 * `tcp.maxConnections`, `http.http1MaxPendingRequests`, `http.http2MaxRequests` and
 * `http.maxRequestsPerConnection`; each one unset is Istio's 2^32−1.
 */
function circuitBreakers(policy: TrafficPolicy): CircuitBreakers | undefined {
  const tcp = policy.connectionPool?.tcp;
  const http = policy.connectionPool?.http;
  const set = [tcp?.maxConnections, http?.http1MaxPendingRequests, http?.http2MaxRequests, http?.maxRequestsPerConnection];
  if (set.every((v) => v === undefined)) return undefined;
  // Istio turns 0 into its default for these limits (a breaker of 0 would refuse everything).
  const limit = (v: number | undefined) => (v === undefined || v <= 0 ? UNLIMITED : v);
  return {
    maxConnections: limit(tcp?.maxConnections),
    maxPendingRequests: limit(http?.http1MaxPendingRequests),
    maxRequests: limit(http?.http2MaxRequests),
    maxRequestsPerConnection: http?.maxRequestsPerConnection ?? 0,
  };
}
