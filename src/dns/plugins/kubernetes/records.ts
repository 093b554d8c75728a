import type { Micros } from "../../../sim/time.js";
import type { Endpoint, EndpointSlice } from "../../../k8s/objects.js";
import { canonical, wireName, type Answer, type RecordType } from "../../message.js";
import type { DnsRequest } from "../../plugin.js";
import type { KubernetesIndex } from "./index-cache.js";

/** The kubernetes plugin's options, parsed. */
export interface KubernetesConfig {
  zones: string[];
  /** The first non-reverse zone: PTR targets are built in it. */
  primaryZone: string;
  pods: "disabled" | "insecure" | "verified";
  endpointPodNames: boolean;
  ttl: number;
  /** Zones a name error falls through for, or null. */
  fallthrough: string[] | null;
  namespaces: Set<string> | null;
  noEndpoints: boolean;
  ignoreEmptyService: boolean;
  startupTimeout: Micros;
  /** The zones the `multicluster` option answers from ServiceImports (mcs.md §4.1), canonical; empty without it. */
  multiclusterZones: string[];
}

/** What the plugin found for a query. */
export type Outcome =
  | { readonly kind: "answer"; readonly answers: Answer[]; readonly additionals: Answer[] }
  | { readonly kind: "nodata" }
  | { readonly kind: "nxdomain" }
  /** An ExternalName whose target lies outside the plugin's zones: the CNAME, then an upstream lookup of the target. */
  | { readonly kind: "upstream"; readonly answers: Answer[]; readonly target: string };

export const NXDOMAIN: Outcome = { kind: "nxdomain" };
export const NODATA: Outcome = { kind: "nodata" };

/** The schema version `dns-version.<zone>` answers (Kubernetes DNS spec 2.2). */
export const DNS_SCHEMA_VERSION = "1.1.0";

/** One (address or target, port) pair a Service contributes, as CoreDNS's msg.Service. */
export interface Entry {
  /** An IP address. */
  readonly ip: string;
  /** -1 when the Service or endpoint has no ports. */
  readonly port: number;
  /** The SRV target: the Service's name, or the endpoint's. */
  readonly target: string;
}

const isV4 = (ip: string) => ip.includes(".") && !ip.includes(":");
const REVERSE_V4 = /^((?:\d+\.){4})in-addr\.arpa\.$/;
const REVERSE_V6 = /^((?:[0-9a-f]\.){32})ip6\.arpa\.$/;

/**
 * Answers a query in one of the plugin's zones (dns.md §2.2–2.5). Pure: reads the index, builds
 * records, decides NXDOMAIN versus NODATA; the plugin adds the SOA and writes the reply.
 */
export function answerQuery(request: DnsRequest, zone: string, config: KubernetesConfig, index: KubernetesIndex, depth = 0): Outcome {
  const name = request.name;
  const qtype = request.qtype;
  if (zone.endsWith("in-addr.arpa.") || zone.endsWith("ip6.arpa.")) {
    if (name === zone) return NODATA;
    // Only PTR reads a reverse name as an address; any other type parses it as a Kubernetes name,
    // which it is not (parse.go: the last label must be svc or pod), so it is a name error.
    return qtype === "PTR" ? reverse(request, config, index) : NXDOMAIN;
  }
  const ttl = config.ttl;
  const owner = request.qname;
  // The zone as the query spells it: CoreDNS builds SRV targets in it (handler_case_test.go).
  const zoneAsAsked = request.qname.slice(request.qname.length - (zone.length - 1));
  if (name === zone) {
    if (qtype === "NS") return nsAnswer(request, zone, config, index);
    return NODATA;
  }
  const base = name.slice(0, name.length - zone.length - 1);
  if (base === "dns-version" && qtype === "TXT") {
    return answer([{ type: "TXT", name: owner, ttl: 28800, class: "IN", data: DNS_SCHEMA_VERSION }]);
  }
  if (base === "svc" || base === "pod") return NODATA;
  const labels = base.split(".");
  const kind = labels.pop();
  if (kind !== "svc" && kind !== "pod") return NXDOMAIN;
  const ns = labels.pop()!;
  if (!namespaceExposed(ns, config, index)) return NXDOMAIN;
  // `<ns>.svc.<zone>`: the namespace exists, but it has no records itself.
  if (labels.length === 0) return kind === "pod" && config.pods === "disabled" ? NXDOMAIN : NODATA;
  const serviceLabel = labels.pop()!;
  if (kind === "pod") return labels.length === 0 ? podAnswer(serviceLabel, ns, request, config, index) : NXDOMAIN;
  if (labels.length > 2) return NXDOMAIN;
  const svc = index.services.get(`${ns}/${serviceLabel}`);
  if (!svc) return NXDOMAIN;
  const svcName = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${zoneAsAsked}`;

  if ((svc.spec.type ?? "ClusterIP") === "ExternalName") {
    if (labels.length > 0) return NXDOMAIN;
    const target = canonical(svc.spec.externalName ?? "");
    const cname: Answer = { type: "CNAME", name: owner, ttl, class: "IN", data: wireName(target) };
    if (qtype === "CNAME") return answer([cname]);
    if (qtype !== "A" && qtype !== "AAAA") return NODATA;
    // A target in a multicluster zone is the multicluster code's to answer: through the chain, as a name outside.
    const targetZone = config.zones.find((z) => (target === z || target.endsWith(`.${z}`)) && !config.multiclusterZones.includes(z));
    if (!targetZone) return { kind: "upstream", answers: [cname], target: wireName(target) };
    // backend_lookup.go: an `x CNAME x` loop or a chain too long adds nothing, and the CNAME is
    // added only together with what its target resolves to (else the name answers NODATA).
    if (depth >= 10 || target === name) return NODATA;
    const inner = answerQuery({ ...request, name: target, qname: wireName(target) }, targetZone, config, index, depth + 1);
    if (inner.kind === "upstream") return { ...inner, answers: [cname, ...inner.answers] };
    return inner.kind === "answer" && inner.answers.length > 0 ? answer([cname, ...inner.answers]) : NODATA;
  }

  const [portLabel, protoLabel] = labels.length === 2 ? [strip(labels[0]!), strip(labels[1]!)] : ["", ""];
  const endpointLabel = labels.length === 1 ? labels[0]! : "";
  const headless = svc.spec.clusterIP === "None";
  // Read only when needed: a cluster IP's records do not come from the slices.
  const slicesOf = () => (config.noEndpoints ? [] : index.slicesOf(`${ns}/${serviceLabel}`));
  if ((headless || endpointLabel) && config.noEndpoints) return NXDOMAIN;

  const entries: Entry[] = [];
  if (!headless && !endpointLabel) {
    if (config.ignoreEmptyService && !hasReadyAddress(slicesOf())) return NXDOMAIN;
    const ports = svc.spec.ports ?? [];
    const matching = ports.filter((p) => matches(p.name ?? "", portLabel) && matches(p.protocol ?? "TCP", protoLabel));
    const list = ports.length === 0 && !portLabel && !protoLabel ? [{ port: -1 }] : matching;
    for (const p of list) for (const ip of svc.spec.clusterIPs ?? [svc.spec.clusterIP ?? ""]) if (ip && ip !== "None") entries.push({ ip, port: p.port, target: svcName });
  } else {
    for (const slice of slicesOf()) {
      const ports = slice.ports ?? [];
      const matching = ports.filter((p) => matches(p.name ?? "", portLabel) && matches(p.protocol ?? "TCP", protoLabel));
      const list = ports.length === 0 && !portLabel && !protoLabel ? [{ port: -1 }] : matching;
      for (const ep of slice.endpoints) {
        if (ep.conditions?.ready === false) continue;
        for (const ip of ep.addresses) {
          const epName = endpointName(ep, ip, config);
          if (endpointLabel && epName.toLowerCase() !== endpointLabel) continue;
          for (const p of list) entries.push({ ip, port: p.port ?? -1, target: `${epName}.${svcName}` });
        }
      }
    }
  }
  if (entries.length === 0) return headless || endpointLabel || portLabel || protoLabel ? NXDOMAIN : NODATA;
  return recordsFor(qtype, owner, entries, ttl);
}

/** The records of one qtype from a Service's entries; NODATA when the name has none of that type. */
export function recordsFor(qtype: RecordType, owner: string, entries: readonly Entry[], ttl: number): Outcome {
  switch (qtype) {
    case "A":
    case "AAAA": {
      const v4 = qtype === "A";
      const seen = new Set<string>();
      const answers: Answer[] = [];
      for (const e of entries) {
        if (isV4(e.ip) !== v4 || seen.has(e.ip)) continue;
        seen.add(e.ip);
        answers.push({ type: qtype, name: owner, ttl, class: "IN", data: e.ip });
      }
      return answers.length ? answer(answers) : NODATA;
    }
    case "SRV": {
      const withPort = entries.filter((e) => e.port !== -1);
      if (withPort.length === 0) return NODATA;
      // plugin.SRV: priority 0, weight floor(100 / entries before de-duplication), at least 1.
      const weight = Math.max(1, Math.floor(100 / withPort.length));
      const answers: Answer[] = [];
      const additionals: Answer[] = [];
      const srvSeen = new Set<string>();
      const extraSeen = new Set<string>();
      for (const e of withPort) {
        const key = `${e.target} ${e.port}`;
        if (!srvSeen.has(key)) {
          srvSeen.add(key);
          answers.push({ type: "SRV", name: owner, ttl, class: "IN", data: { priority: 0, weight, port: e.port, target: wireName(e.target) } });
        }
        const extraKey = `${e.target} ${e.ip}`;
        if (!extraSeen.has(extraKey)) {
          extraSeen.add(extraKey);
          additionals.push({ type: isV4(e.ip) ? "A" : "AAAA", name: wireName(e.target), ttl, class: "IN", data: e.ip });
        }
      }
      return { kind: "answer", answers, additionals };
    }
    default:
      // The name exists; k8s records are only A, AAAA, SRV (and CNAME for ExternalName).
      return NODATA;
  }
}

/** `<a-b-c-d>.<ns>.pod.<zone>` (dns.md §2.3 Pods). */
function podAnswer(label: string, ns: string, request: DnsRequest, config: KubernetesConfig, index: KubernetesIndex): Outcome {
  if (config.pods === "disabled") return NXDOMAIN;
  const ip = podLabelToIp(label);
  if (!ip) return NXDOMAIN;
  if (config.pods === "verified" && !index.podsByIp.get(ip)?.has(ns)) return NXDOMAIN;
  const type = isV4(ip) ? "A" : "AAAA";
  if (request.qtype !== type) return NODATA;
  return answer([{ type, name: request.qname, ttl: config.ttl, class: "IN", data: ip }]);
}

/** `10-0-0-1` → `10.0.0.1` (exactly three dashes, none doubled); otherwise dashes are IPv6 colons. */
function podLabelToIp(label: string): string | null {
  if ((label.match(/-/g) ?? []).length === 3 && !label.includes("--")) {
    const ip = label.replace(/-/g, ".");
    return /^(\d{1,3}\.){3}\d{1,3}$/.test(ip) && ip.split(".").every((p) => Number(p) <= 255) ? ip : null;
  }
  const ip = label.replace(/-/g, ":");
  return isIpv6(ip) ? ip : null;
}

function isIpv6(text: string): boolean {
  if (!/^[0-9a-f:]+$/.test(text) || (text.match(/::/g) ?? []).length > 1) return false;
  const groups = text.split(":");
  if (text.includes("::")) return groups.length <= 8;
  return groups.length === 8 && groups.every((g) => g.length >= 1 && g.length <= 4);
}

/** The full, lower-case form of an IPv6 address, to compare addresses written differently. */
export function expandIpv6(ip: string): string {
  const [head, tail] = ip.toLowerCase().split("::") as [string, string | undefined];
  const h = head ? head.split(":") : [];
  const t = tail !== undefined && tail !== "" ? tail.split(":") : [];
  const fill = tail === undefined ? [] : Array(8 - h.length - t.length).fill("0");
  return [...h, ...fill, ...t].map((g) => g.padStart(4, "0")).join(":");
}

/** PTR in the reverse zones (dns.md §2.3 PTR). */
function reverse(request: DnsRequest, config: KubernetesConfig, index: KubernetesIndex): Outcome {
  const ip = reverseToIp(request.name);
  if (!ip) return NXDOMAIN;
  const targets = ptrTargets(ip, config, index);
  if (targets.length === 0) return NXDOMAIN;
  if (request.qtype !== "PTR") return NODATA;
  return answer(targets.map((t) => ({ type: "PTR", name: request.qname, ttl: config.ttl, class: "IN", data: wireName(t) })));
}

function reverseToIp(name: string): string | null {
  const v4 = REVERSE_V4.exec(name);
  if (v4) {
    const octets = v4[1]!.slice(0, -1).split(".").reverse();
    return octets.every((o) => /^\d{1,3}$/.test(o) && Number(o) <= 255) ? octets.join(".") : null;
  }
  const v6 = REVERSE_V6.exec(name);
  if (v6) {
    const nibbles = v6[1]!.replace(/\./g, "").split("").reverse().join("");
    return nibbles.match(/.{4}/g)!.join(":");
  }
  return null;
}

/** Who has this address: a Service by its cluster IP, else every Service with an endpoint at it. */
function ptrTargets(ip: string, config: KubernetesConfig, index: KubernetesIndex): string[] {
  const same = (a: string) => (ip.includes(":") ? a.includes(":") && expandIpv6(a) === ip : a === ip);
  for (const svc of index.services.values()) {
    if ((svc.spec.clusterIPs ?? [svc.spec.clusterIP ?? ""]).some(same)) {
      return [`${svc.metadata.name}.${svc.metadata.namespace}.svc.${config.primaryZone}`];
    }
  }
  if (config.noEndpoints) return [];
  const out: string[] = [];
  for (const [id, slices] of index.slices) {
    const svc = index.services.get(id);
    if (!svc) continue;
    for (const slice of slices.values()) {
      for (const ep of slice.endpoints) {
        if (ep.conditions?.ready === false) continue;
        const addr = ep.addresses.find(same);
        if (!addr) continue;
        const target = `${endpointName(ep, addr, config)}.${svc.metadata.name}.${svc.metadata.namespace}.svc.${config.primaryZone}`;
        if (!out.includes(target)) out.push(target);
      }
    }
  }
  return out;
}

/** `zone. NS` (dns.md §2.3 NS): the kube-dns Service name when it selects this server's pod, else ns.dns.<zone>. */
function nsAnswer(request: DnsRequest, zone: string, config: KubernetesConfig, index: KubernetesIndex): Outcome {
  const own = request.server.address?.ip;
  for (const [id, slices] of index.slices) {
    const svc = index.services.get(id);
    if (!svc || !own) continue;
    if (![...slices.values()].some((s) => s.endpoints.some((e) => e.addresses.includes(own)))) continue;
    const target = `${svc.metadata.name}.${svc.metadata.namespace}.svc.${zone}`;
    const additionals: Answer[] = (svc.spec.clusterIPs ?? [svc.spec.clusterIP ?? ""]).filter((ip) => ip && ip !== "None").map((ip) => ({ type: isV4(ip) ? "A" : "AAAA", name: wireName(target), ttl: config.ttl, class: "IN", data: ip }) as Answer);
    return { kind: "answer", answers: [{ type: "NS", name: request.qname, ttl: config.ttl, class: "IN", data: wireName(target) }], additionals };
  }
  const target = `ns.dns.${zone}`;
  return {
    kind: "answer",
    answers: [{ type: "NS", name: request.qname, ttl: config.ttl, class: "IN", data: wireName(target) }],
    additionals: own ? [{ type: "A", name: wireName(target), ttl: config.ttl, class: "IN", data: own }] : [],
  };
}

/**
 * An endpoint's DNS name (dns.md §2.3): its hostname; else, with endpoint_pod_names, its pod's
 * name when shorter than 64 characters; else its address with dots (or colons) as dashes.
 */
export function endpointName(ep: Readonly<Endpoint>, ip: string, config: Pick<KubernetesConfig, "endpointPodNames">): string {
  if (ep.hostname) return ep.hostname;
  const pod = ep.targetRef?.kind === "Pod" ? ep.targetRef.name : undefined;
  if (config.endpointPodNames && pod && pod.length < 64) return pod;
  if (ip.includes(".")) return ip.replace(/\./g, "-");
  const dashed = ip.replace(/:/g, "-");
  return dashed.endsWith("-") ? `${dashed}0` : dashed;
}

function namespaceExposed(ns: string, config: KubernetesConfig, index: KubernetesIndex): boolean {
  if (config.namespaces && !config.namespaces.has(ns)) return false;
  return index.namespaces.has(ns);
}

function hasReadyAddress(slices: readonly Readonly<EndpointSlice>[]): boolean {
  return slices.some((s) => s.endpoints.some((e) => e.conditions?.ready !== false && e.addresses.length > 0));
}

/** A request's port or protocol label matches when empty, or equal ignoring case. */
export function matches(value: string, wanted: string): boolean {
  return wanted === "" || value.toLowerCase() === wanted;
}

export function strip(label: string): string {
  return label.startsWith("_") ? label.slice(1) : label;
}

export function answer(answers: Answer[], additionals: Answer[] = []): Outcome {
  return { kind: "answer", answers, additionals };
}
