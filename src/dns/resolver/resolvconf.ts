/**
 * The `/etc/resolv.conf` the kubelet gives a pod (pkg/kubelet/network/dns/dns.go, `GetPodDNS`;
 * dns.md §5.1), the text the container runtime writes from it, and a reader for node files.
 */

import type { DNSPolicy, PodDNSConfig } from "../../k8s/objects.js";
import { isIpLiteral, isIpv6 } from "./names.js";

/**
 * A resolver configuration as the kubelet hands it to the runtime (CRI `DNSConfig`): nameserver
 * addresses, search domains and option strings (`ndots:5`, `edns0`).
 */
export interface ResolvConf {
  nameservers: string[];
  searches: string[];
  options: string[];
}

/** Kubernetes' validation limits (pkg/apis/core/validation). */
export const MAX_DNS_NAMESERVERS = 3;
/** With ExpandedDNSConfig (GA in 1.28, the default here). */
export const MAX_DNS_SEARCH_PATHS = 32;
export const MAX_DNS_SEARCH_LIST_CHARS = 2048;
/** Without ExpandedDNSConfig. */
export const MAX_DNS_SEARCH_PATHS_LEGACY = 6;
export const MAX_DNS_SEARCH_LIST_CHARS_LEGACY = 256;
/** `DNS1123SubdomainMaxLength`: longer search entries are dropped. */
export const MAX_SEARCH_ENTRY_CHARS = 253;
/** The kubelet's `defaultDNSOptions` for cluster DNS. */
export const DEFAULT_CLUSTER_DNS_OPTIONS: readonly string[] = ["ndots:5"];

/** An event the kubelet records while forming a pod's DNS configuration. */
export interface KubeletDnsEvent {
  type: "Warning";
  /** `DNSConfigForming` or `MissingClusterDNS`. */
  reason: string;
  /** `Pod` or `Node`: the object the event is about. */
  involvedObject: "Pod" | "Node";
  message: string;
}

/** What {@link podResolvConf} needs to know about the pod, the node and the kubelet. */
export interface PodDnsInput {
  /** `spec.dnsPolicy`; `ClusterFirst` when absent (the API default). */
  dnsPolicy?: DNSPolicy | undefined;
  /** `spec.dnsConfig`. */
  dnsConfig?: PodDNSConfig | undefined;
  /** `spec.hostNetwork`. */
  hostNetwork?: boolean | undefined;
  /** The pod's namespace. */
  namespace: string;
  /** For event messages (`pod: "<name>_<namespace>(<uid>)"`). */
  podName?: string;
  podUid?: string;
  /** The kubelet's `--cluster-domain` (e.g. `cluster.local`); empty: no cluster search domains. */
  clusterDomain: string;
  /** The kubelet's `--cluster-dns` addresses; empty: ClusterFirst falls back to Default. */
  clusterDNS: string[];
  /**
   * The node's resolv.conf as the kubelet read it (`--resolv-conf`, see {@link parseResolvConf}), or
   * `null` when `--resolv-conf=""` (then pods with host DNS get `nameserver 127.0.0.1`, `search .`).
   */
  node: ResolvConf | null;
  /** Node addresses, used only when `node` is null (one loopback nameserver per address family). */
  nodeIPs?: string[];
  /** The ExpandedDNSConfig feature gate (default true: 32 search domains, 2048 characters). */
  expandedDNSConfig?: boolean;
}

/** The kubelet's answer: the configuration and the events it recorded. */
export interface PodResolvConf {
  config: ResolvConf;
  /** How the kubelet classified the pod: cluster DNS, host DNS or none. */
  dnsType: "cluster" | "host" | "none";
  events: KubeletDnsEvent[];
}

/** A pod whose DNS settings the API server would have refused. */
export class PodDnsError extends Error {
  override readonly name = "PodDnsError";
  constructor(
    /** The field, e.g. `spec.dnsConfig.nameservers`. */
    readonly field: string,
    message: string,
  ) {
    super(`${field}: ${message}`);
  }
}

function omitDuplicates(list: readonly string[]): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const s of list) {
    if (!seen.has(s)) {
      seen.add(s);
      out.push(s);
    }
  }
  return out;
}

/**
 * Merges options by name, the pod's value winning (`mergeDNSOptions`). The kubelet builds a Go map
 * and so emits them in random order; here the order is deterministic: existing options first in
 * their order, then new names in the pod's order.
 */
function mergeOptions(existing: readonly string[], pod: readonly { name: string; value?: string }[]): string[] {
  const map = new Map<string, string>();
  for (const op of existing) {
    const i = op.indexOf(":");
    if (i >= 0) map.set(op.slice(0, i), op.slice(i + 1));
    else map.set(op, "");
  }
  for (const op of pod) map.set(op.name, op.value ?? "");
  const out: string[] = [];
  for (const [name, value] of map) out.push(value === "" ? name : `${name}:${value}`);
  return out;
}

function formatPod(input: PodDnsInput): string {
  const name = input.podName ?? "";
  return input.podUid !== undefined ? `${name}_${input.namespace}(${input.podUid})` : `${name}_${input.namespace}`;
}

/**
 * The pod's resolv.conf contents, as the kubelet's `GetPodDNS` forms them (dns.md §5.1):
 *
 * - `ClusterFirst` (default) and `ClusterFirstWithHostNet`: `search <ns>.svc.<domain> svc.<domain>
 *   <domain>` then the node's search domains (duplicates removed), the cluster DNS addresses as the
 *   only nameservers, and `options ndots:5` (the node's options are dropped). `ClusterFirst` with
 *   `hostNetwork: true` is treated as `Default`. Without cluster DNS addresses, falls back to
 *   `Default` with a `MissingClusterDNS` event.
 * - `Default`: the node's resolv.conf.
 * - `None`: only `dnsConfig`.
 * - `dnsConfig` is then merged in: nameservers and searches appended without duplicates, options
 *   merged by name with the pod's value winning.
 * - Limits: 3 nameservers; at most 32 search domains (6 without ExpandedDNSConfig), entries longer
 *   than 253 characters dropped, then domains cut from the end until the line is at most 2048
 *   characters (256); each cut records a `DNSConfigForming` warning with the kubelet's message.
 *
 * @throws PodDnsError for `dnsPolicy: None` without nameservers, which the API server refuses.
 */
export function podResolvConf(input: PodDnsInput): PodResolvConf {
  const events: KubeletDnsEvent[] = [];
  const policy: DNSPolicy = input.dnsPolicy ?? "ClusterFirst";
  if (policy === "None" && (input.dnsConfig?.nameservers ?? []).length === 0) {
    throw new PodDnsError("spec.dnsConfig.nameservers", "Required value: must provide at least one DNS nameserver when `dnsPolicy` is None");
  }

  // getHostDNSConfig
  let config: ResolvConf = input.node
    ? { nameservers: [...input.node.nameservers], searches: [...input.node.searches], options: [...input.node.options] }
    : { nameservers: [], searches: [], options: [] };

  // getPodDNSType
  let dnsType: PodResolvConf["dnsType"];
  switch (policy) {
    case "None":
      dnsType = "none";
      break;
    case "ClusterFirstWithHostNet":
      dnsType = "cluster";
      break;
    case "ClusterFirst":
      dnsType = input.hostNetwork ? "host" : "cluster";
      break;
    case "Default":
      dnsType = "host";
      break;
    default:
      // The API server refuses other values; the kubelet logs and uses cluster DNS.
      dnsType = "cluster";
  }

  if (dnsType === "none") {
    config = { nameservers: [], searches: [], options: [] };
  } else if (dnsType === "cluster" && input.clusterDNS.length > 0) {
    config.nameservers = [...input.clusterDNS];
    if (input.clusterDomain !== "") {
      const d = input.clusterDomain;
      config.searches = omitDuplicates([`${input.namespace}.svc.${d}`, `svc.${d}`, d, ...config.searches]);
    }
    config.options = [...DEFAULT_CLUSTER_DNS_OPTIONS];
  } else {
    if (dnsType === "cluster") {
      const msg = `kubelet does not have ClusterDNS IP configured and cannot create Pod using "ClusterFirst" policy. Falling back to "Default" policy.`;
      events.push({ type: "Warning", reason: "MissingClusterDNS", involvedObject: "Node", message: msg });
      events.push({ type: "Warning", reason: "MissingClusterDNS", involvedObject: "Pod", message: `pod: "${formatPod(input)}". ${msg}` });
      dnsType = "host";
    }
    if (input.node === null) {
      const servers: string[] = [];
      for (const ip of input.nodeIPs ?? []) servers.push(isIpv6(ip) ? "::1" : "127.0.0.1");
      if (servers.length === 0) servers.push("127.0.0.1");
      config.nameservers = [...config.nameservers, ...servers];
      config.searches = ["."];
    }
  }

  const pod = input.dnsConfig;
  if (pod) {
    config.nameservers = omitDuplicates([...config.nameservers, ...(pod.nameservers ?? [])]);
    config.searches = omitDuplicates([...config.searches, ...(pod.searches ?? [])]);
    config.options = mergeOptions(config.options, pod.options ?? []);
  }

  // formDNSNameserversFitsLimits
  if (config.nameservers.length > MAX_DNS_NAMESERVERS) {
    config.nameservers = config.nameservers.slice(0, MAX_DNS_NAMESERVERS);
    events.push({
      type: "Warning",
      reason: "DNSConfigForming",
      involvedObject: "Pod",
      message: `Nameserver limits were exceeded, some nameservers have been omitted, the applied nameserver line is: ${config.nameservers.join(" ")}`,
    });
  }
  // formDNSSearchFitsLimits
  const expanded = input.expandedDNSConfig ?? true;
  const maxPaths = expanded ? MAX_DNS_SEARCH_PATHS : MAX_DNS_SEARCH_PATHS_LEGACY;
  const maxChars = expanded ? MAX_DNS_SEARCH_LIST_CHARS : MAX_DNS_SEARCH_LIST_CHARS_LEGACY;
  let searches = config.searches;
  let exceeded = false;
  if (searches.length > maxPaths) {
    searches = searches.slice(0, maxPaths);
    exceeded = true;
  }
  const kept = searches.filter((s) => s.length <= MAX_SEARCH_ENTRY_CHARS);
  if (kept.length !== searches.length) exceeded = true;
  searches = kept;
  const lineLength = searches.join(" ").length;
  if (lineLength > maxChars) {
    let cutNum = 0;
    let cutLen = 0;
    for (let i = searches.length - 1; i >= 0; i--) {
      cutLen += (searches[i] as string).length + 1;
      cutNum++;
      if (lineLength - cutLen <= maxChars) break;
    }
    searches = searches.slice(0, searches.length - cutNum);
    exceeded = true;
  }
  config.searches = searches;
  if (exceeded) {
    events.push({
      type: "Warning",
      reason: "DNSConfigForming",
      involvedObject: "Pod",
      message: `Search Line limits were exceeded, some search paths have been omitted, the applied search line is: ${searches.join(" ")}`,
    });
  }
  return { config, dnsType, events };
}

/**
 * The file the container runtime writes from a {@link ResolvConf} (containerd's
 * `parseDNSOptions`), as `cat /etc/resolv.conf` shows it inside the pod:
 *
 * ```
 * search default.svc.cluster.local svc.cluster.local cluster.local
 * nameserver 10.96.0.10
 * options ndots:5
 * ```
 *
 * Empty parts are left out. An entirely empty configuration gives `""` (the runtime would then
 * copy the node's file instead).
 */
export function formatResolvConf(conf: ResolvConf): string {
  let text = "";
  if (conf.searches.length > 0) text += `search ${conf.searches.join(" ")}\n`;
  if (conf.nameservers.length > 0) text += `nameserver ${conf.nameservers.join("\nnameserver ")}\n`;
  if (conf.options.length > 0) text += `options ${conf.options.join(" ")}\n`;
  return text;
}

/** A problem in a resolv.conf file, with its 1-based line. */
export class ResolvConfError extends Error {
  override readonly name = "ResolvConfError";
  constructor(
    /** 1-based line number. */
    readonly line: number,
    /** What is wrong. */
    readonly problem: string,
    /** The file's name, when known, for the message. */
    readonly file?: string,
  ) {
    super(`${file ?? "resolv.conf"}:${line}: ${problem}`);
  }
}

/**
 * Reads a node's resolv.conf as the kubelet does (`parseResolvConf`): `nameserver` lines accumulate,
 * the last `search` line wins (a trailing dot is removed from each domain), the last `options` line
 * wins; comment lines start with `#`; other lines (`domain`, `sortlist`, …) are ignored, as the
 * kubelet ignores them.
 *
 * @throws ResolvConfError for a `nameserver` line without an address (the kubelet's own error) or
 *   with something that is not an IP address.
 */
export function parseResolvConf(text: string, file?: string): ResolvConf {
  const nameservers: string[] = [];
  let searches: string[] = [];
  let options: string[] = [];
  const lines = text.split("\n");
  for (let i = 0; i < lines.length; i++) {
    const trimmed = (lines[i] as string).trim();
    if (trimmed.startsWith("#")) continue;
    const fields = trimmed.split(/\s+/).filter((f) => f !== "");
    if (fields.length === 0) continue;
    const key = fields[0];
    if (key === "nameserver") {
      const addr = fields[1];
      if (addr === undefined) throw new ResolvConfError(i + 1, "nameserver list is empty: write `nameserver <IP address>`", file);
      if (!isIpLiteral(addr)) {
        throw new ResolvConfError(i + 1, `nameserver ${JSON.stringify(addr)} is not an IP address: write e.g. \`nameserver 10.0.0.2\``, file);
      }
      nameservers.push(addr);
    } else if (key === "search") {
      searches = fields.slice(1).map((s) => (s.endsWith(".") ? s.slice(0, -1) : s));
    } else if (key === "options") {
      options = fields.slice(1);
    }
  }
  return { nameservers, searches, options };
}
