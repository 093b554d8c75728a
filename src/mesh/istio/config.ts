/**
 * istiod's Istio config: the DestinationRules and VirtualServices of its config cluster (Istio
 * reads config from the cluster istiod runs in, not from remote ones, mesh.md §1.2), looked up by
 * service hostname as Istio does, and a DestinationRule's traffic policy turned into what a
 * cluster (CDS) carries: connect timeout, panic threshold and outlier detection with their
 * defaults (mesh.md §3.2–§3.4).
 */
import type { WatchEvent } from "../../k8s/apiserver.js";
import type { ClientTlsMode, DestinationRule, Gateway, IstioDuration, LocalityLoadBalancerSetting, PeerAuthentication, Subset, TrafficPolicy, VirtualService } from "../../k8s/istio.js";
import { parseDuration, SECOND, type Micros } from "../../sim/time.js";
import { DEFAULT_PANIC_THRESHOLD } from "./locality.js";
import { matchesLabels } from "../../k8s/labels.js";
import { inboundMtls, type InboundMtls, type MtlsWorkload } from "./mtls.js";
import { MAX_EJECTION_TIME, type OutlierPolicy } from "./sidecar-outlier.js";

/** The config kinds istiod watches in its own cluster. */
export const CONFIG_KINDS = ["DestinationRule", "VirtualService", "PeerAuthentication", "Gateway"] as const;
/** One of {@link CONFIG_KINDS}. */
export type ConfigKind = (typeof CONFIG_KINDS)[number];

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

/** The DestinationRules, VirtualServices, PeerAuthentications and Gateways of one istiod's config cluster. */
export class ConfigStore {
  private readonly rules = new Map<string, Readonly<DestinationRule>>();
  private readonly virtualServices = new Map<string, Readonly<VirtualService>>();
  private readonly peerAuthentications = new Map<string, Readonly<PeerAuthentication>>();
  private readonly gateways = new Map<string, Readonly<Gateway>>();

  constructor(
    /** The cluster domain short names are resolved in. */
    readonly domain: string,
    /** Istio's root namespace, whose selector-less PeerAuthentication is mesh-wide. */
    readonly rootNamespace = "istio-system",
  ) {}

  /** A watch event of one of {@link CONFIG_KINDS}. */
  event(kind: ConfigKind, e: WatchEvent): void {
    const o = e.object;
    const key = `${o.metadata.namespace ?? "default"}/${o.metadata.name}`;
    const maps: Record<ConfigKind, Map<string, unknown>> = { DestinationRule: this.rules, VirtualService: this.virtualServices, PeerAuthentication: this.peerAuthentications, Gateway: this.gateways };
    const map = maps[kind];
    if (e.type === "DELETED") map.delete(key);
    else map.set(key, o);
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
  const tlsMode = policy.tls?.mode;
  const base = { lbPolicy, connectTimeout, ...(localityLb ? { localityLb } : {}), ...(tlsMode ? { tlsMode } : {}) };
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
