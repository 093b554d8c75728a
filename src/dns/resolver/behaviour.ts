/**
 * How each pod stub resolver reads resolv.conf, and which names it tries for a lookup
 * (dns.md §5.2 glibc, §5.3 musl, §5.4 Go). The timing and the walk itself are in `glibc.ts`,
 * `musl.ts` and `go.ts`; `stub.ts` runs them.
 *
 * Each libc reads the same file differently, so the settings are derived from the file's text:
 * musl, for instance, ignores any line longer than 255 bytes (a long Kubernetes search line
 * disappears entirely), and keeps only `ndots`, `timeout` and `attempts` of the options.
 */

import { formatResolvConf, type ResolvConf } from "./resolvconf.js";
import { countDots, encodable, goIsDomainName, isIpLiteral, stripDot } from "./names.js";
import type { BehaviourName, HostsEntry } from "./types.js";

/** Settings common to the three behaviours. */
interface BaseSettings {
  /** Nameserver addresses in order (at most 3). */
  nameservers: string[];
  /** Search domains in order, as written (a trailing dot is kept). */
  search: string[];
  ndots: number;
  /** Seconds. */
  timeout: number;
  attempts: number;
  /** The pod's /etc/hosts, consulted before DNS. */
  hosts: HostsEntry[];
}

/** glibc's resolver state (`struct __res_state`) as read by `res_init` (resolv/res_init.c). */
export interface GlibcSettings extends BaseSettings {
  behaviour: "glibc";
  rotate: boolean;
  /** `single-request`: A, then AAAA after A's reply, on the same socket. */
  singleRequest: boolean;
  /** `single-request-reopen`: as single-request, with a new socket for the second query. */
  singleRequestReopen: boolean;
  noTldQuery: boolean;
  useVc: boolean;
  edns0: boolean;
  noAaaa: boolean;
}

/** musl's `struct resolvconf` plus its search string (src/network/resolvconf.c). */
export interface MuslSettings extends BaseSettings {
  behaviour: "musl";
  /** The musl version, e.g. `1.2.5` (Alpine 3.20). See {@link MuslFeatures}. */
  version: string;
}

/** Go's `dnsConfig` (src/net/dnsconfig_unix.go). Search domains here are rooted (end in a dot). */
export interface GoSettings extends BaseSettings {
  behaviour: "go";
  rotate: boolean;
  singleRequest: boolean;
  useTCP: boolean;
}

export type ResolverSettings = GlibcSettings | MuslSettings | GoSettings;

/** Options for {@link resolverSettings}. */
export interface SettingsOptions {
  /** musl version (default {@link DEFAULT_MUSL_VERSION}). */
  muslVersion?: string;
  /** The pod's /etc/hosts entries. */
  hosts?: HostsEntry[];
}

/** musl in Alpine 3.19–3.22. */
export const DEFAULT_MUSL_VERSION = "1.2.5";

/** glibc's compiled limits (resolv/resolv.h). */
export const GLIBC_LIMITS = { maxns: 3, maxNdots: 15, maxRetrans: 30, maxRetry: 5, defaultTimeout: 5, defaultAttempts: 2 } as const;
/** musl's limits (resolvconf.c). */
export const MUSL_LIMITS = { maxns: 3, maxNdots: 15, maxTimeout: 60, maxAttempts: 10, lineBuffer: 256 } as const;
/** Go's limits (dnsconfig_unix.go). */
export const GO_LIMITS = { maxns: 3, maxNdots: 15 } as const;

/** Go advertises this EDNS0 UDP payload size (maxDNSPacketSize). */
export const GO_EDNS_UDP_SIZE = 1232;
/** glibc's RESOLV_EDNS_BUFFER_SIZE, advertised with `options edns0`. */
export const GLIBC_EDNS_UDP_SIZE = 1200;

/** Compares dotted version numbers (`1.2.4` < `1.29`): negative, zero or positive. */
export function compareVersions(a: string, b: string): number {
  const pa = a.split(".").map((x) => Number.parseInt(x, 10) || 0);
  const pb = b.split(".").map((x) => Number.parseInt(x, 10) || 0);
  for (let i = 0; i < Math.max(pa.length, pb.length); i++) {
    const d = (pa[i] ?? 0) - (pb[i] ?? 0);
    if (d !== 0) return d;
  }
  return 0;
}

/** What a musl version does, by the release that introduced each change. */
export interface MuslFeatures {
  /** Search domains (`search`/`domain`) are used: 1.1.13 (2016). */
  search: boolean;
  /** The A and AAAA replies are both checked; either failing fails the name: 1.2.2 (2021). */
  pairedErrors: boolean;
  /** A truncated UDP reply is retried over TCP: 1.2.4 (2023, Alpine 3.18). Before, it was used as is. */
  tcpFallback: boolean;
  /** A name without addresses reports EAI_NODATA (before: EAI_NONAME). Assumed 1.2.4. */
  eaiNodata: boolean;
}

/** The features of a musl version. */
export function muslFeatures(version: string): MuslFeatures {
  return {
    search: compareVersions(version, "1.1.13") >= 0,
    pairedErrors: compareVersions(version, "1.2.2") >= 0,
    tcpFallback: compareVersions(version, "1.2.4") >= 0,
    eaiNodata: compareVersions(version, "1.2.4") >= 0,
  };
}

function atoi(s: string): number {
  const m = /^[ \t]*([+-]?\d+)/.exec(s);
  return m ? Number.parseInt(m[1] as string, 10) : 0;
}

function lines(text: string): string[] {
  const out = text.split("\n");
  if (out.length > 0 && out[out.length - 1] === "") out.pop();
  return out;
}

/** `MATCH(line, name)` of res_init.c: the keyword followed by a space or tab. */
function glibcMatch(line: string, key: string): boolean {
  return line.startsWith(key) && (line[key.length] === " " || line[key.length] === "\t");
}

function words(s: string): string[] {
  return s.split(/[ \t\r]+/).filter((w) => w !== "");
}

/** glibc's reading of resolv.conf (res_init.c `res_vinit_1`, `res_setoptions`). */
export function readGlibcSettings(text: string, hosts: HostsEntry[] = []): GlibcSettings {
  const s: GlibcSettings = {
    behaviour: "glibc",
    nameservers: [],
    search: [],
    ndots: 1,
    timeout: GLIBC_LIMITS.defaultTimeout,
    attempts: GLIBC_LIMITS.defaultAttempts,
    hosts,
    rotate: false,
    singleRequest: false,
    singleRequestReopen: false,
    noTldQuery: false,
    useVc: false,
    edns0: false,
    noAaaa: false,
  };
  for (const line of lines(text)) {
    if (line.startsWith(";") || line.startsWith("#")) continue;
    if (glibcMatch(line, "domain")) {
      const w = words(line.slice(6));
      if (w.length > 0) s.search = [w[0] as string];
    } else if (glibcMatch(line, "search")) {
      const w = words(line.slice(6));
      if (w.length > 0) s.search = w;
    } else if (glibcMatch(line, "nameserver")) {
      const w = words(line.slice(10));
      if (s.nameservers.length < GLIBC_LIMITS.maxns && w[0] !== undefined && isIpLiteral(w[0])) s.nameservers.push(w[0]);
    } else if (glibcMatch(line, "options")) {
      for (const opt of words(line.slice(7))) {
        if (opt.startsWith("ndots:")) s.ndots = Math.max(0, Math.min(GLIBC_LIMITS.maxNdots, atoi(opt.slice(6))));
        else if (opt.startsWith("timeout:")) s.timeout = Math.max(0, Math.min(GLIBC_LIMITS.maxRetrans, atoi(opt.slice(8))));
        else if (opt.startsWith("attempts:")) s.attempts = Math.max(0, Math.min(GLIBC_LIMITS.maxRetry, atoi(opt.slice(9))));
        else if (opt === "rotate") s.rotate = true;
        else if (opt === "edns0") s.edns0 = true;
        else if (opt === "single-request-reopen") s.singleRequestReopen = true;
        else if (opt === "single-request") s.singleRequest = true;
        else if (opt === "no-tld-query" || opt === "no_tld_query") s.noTldQuery = true;
        else if (opt === "use-vc") s.useVc = true;
        else if (opt === "no-aaaa") s.noAaaa = true;
      }
    }
  }
  // No nameserver line: the local host (res_init's default).
  if (s.nameservers.length === 0) s.nameservers.push("127.0.0.1");
  return s;
}

/**
 * musl's reading of resolv.conf (src/network/resolvconf.c): lines of 256 bytes or more are skipped
 * whole; `options` keeps only `ndots:` (≤ 15), `attempts:` (≤ 10) and `timeout:` (≤ 60); the last
 * `search` or `domain` line gives the search string; at most 3 nameservers.
 */
export function readMuslSettings(text: string, version: string = DEFAULT_MUSL_VERSION, hosts: HostsEntry[] = []): MuslSettings {
  const s: MuslSettings = { behaviour: "musl", nameservers: [], search: [], ndots: 1, timeout: 5, attempts: 2, hosts, version };
  for (const line of lines(text)) {
    // fgets into a 256-byte buffer: a line of 255 characters or more does not fit with its
    // newline and is skipped whole ("Ignore lines that get truncated").
    if (line.length > MUSL_LIMITS.lineBuffer - 2) continue;
    if (line.startsWith("options") && /^[ \t\r\n\f\v]/.test(line[7] ?? "")) {
      const num = (key: string): number | undefined => {
        const at = line.indexOf(key);
        if (at < 0) return undefined;
        const m = /^\d+/.exec(line.slice(at + key.length));
        return m ? Number.parseInt(m[0], 10) : undefined;
      };
      const nd = num("ndots:");
      if (nd !== undefined) s.ndots = Math.min(MUSL_LIMITS.maxNdots, nd);
      const at = num("attempts:");
      if (at !== undefined) s.attempts = Math.min(MUSL_LIMITS.maxAttempts, at);
      const to = num("timeout:");
      if (to !== undefined) s.timeout = Math.min(MUSL_LIMITS.maxTimeout, to);
      continue;
    }
    if (line.startsWith("nameserver") && /^[ \t\r\n\f\v]/.test(line[10] ?? "")) {
      if (s.nameservers.length >= MUSL_LIMITS.maxns) continue;
      const w = words(line.slice(11));
      if (w[0] !== undefined && isIpLiteral(w[0])) s.nameservers.push(w[0]);
      continue;
    }
    if ((line.startsWith("domain") || line.startsWith("search")) && /^[ \t\r\n\f\v]/.test(line[6] ?? "")) {
      s.search = words(line.slice(7));
    }
  }
  if (s.nameservers.length === 0) s.nameservers.push("127.0.0.1");
  return s;
}

function ensureRooted(s: string): string {
  return s.endsWith(".") ? s : `${s}.`;
}

/** Go's reading of resolv.conf (src/net/dnsconfig_unix.go `dnsReadConfig`). */
export function readGoSettings(text: string, hosts: HostsEntry[] = []): GoSettings {
  const s: GoSettings = {
    behaviour: "go",
    nameservers: [],
    search: [],
    ndots: 1,
    timeout: 5,
    attempts: 2,
    hosts,
    rotate: false,
    singleRequest: false,
    useTCP: false,
  };
  for (const line of lines(text)) {
    if (line.startsWith("#") || line.startsWith(";")) continue;
    const f = words(line);
    if (f.length < 1) continue;
    switch (f[0]) {
      case "nameserver":
        if (f.length > 1 && s.nameservers.length < GO_LIMITS.maxns && isIpLiteral(f[1] as string)) s.nameservers.push(f[1] as string);
        break;
      case "domain":
        if (f.length > 1) s.search = [ensureRooted(f[1] as string)];
        break;
      case "search":
        s.search = f
          .slice(1)
          .map(ensureRooted)
          .filter((n) => n !== ".");
        break;
      case "options":
        for (const o of f.slice(1)) {
          if (o.startsWith("ndots:")) s.ndots = Math.max(0, Math.min(GO_LIMITS.maxNdots, atoi(o.slice(6))));
          else if (o.startsWith("timeout:")) s.timeout = Math.max(1, atoi(o.slice(8)));
          else if (o.startsWith("attempts:")) s.attempts = Math.max(1, atoi(o.slice(9)));
          else if (o === "rotate") s.rotate = true;
          else if (o === "single-request" || o === "single-request-reopen") s.singleRequest = true;
          else if (o === "use-vc" || o === "usevc" || o === "tcp") s.useTCP = true;
        }
        break;
    }
  }
  // defaultNS
  if (s.nameservers.length === 0) s.nameservers.push("127.0.0.1", "::1");
  return s;
}

/**
 * The settings a behaviour reads from a pod's resolv.conf (given as the file's text or as the
 * kubelet's {@link ResolvConf}, which is first written out as the runtime would).
 */
export function resolverSettings(behaviour: BehaviourName, conf: ResolvConf | string, options: SettingsOptions = {}): ResolverSettings {
  const text = typeof conf === "string" ? conf : formatResolvConf(conf);
  const hosts = options.hosts ?? [];
  switch (behaviour) {
    case "glibc":
      return readGlibcSettings(text, hosts);
    case "musl":
      return readMuslSettings(text, options.muslVersion ?? DEFAULT_MUSL_VERSION, hosts);
    case "go":
      return readGoSettings(text, hosts);
  }
}

/**
 * glibc's candidate names (`__res_context_search`, dns.md §5.2), in the order they are tried when
 * every one fails with NXDOMAIN: the name as is first when it has at least `ndots` dots or a
 * trailing dot (a trailing dot: only that), then each search domain, then the name as is if not
 * tried yet (unless `no-tld-query` for a dotless name, or the root domain was on the search list).
 * Names that cannot be encoded are left out (glibc stops searching there, see `glibc.ts`).
 */
export function glibcCandidates(s: GlibcSettings, name: string): string[] {
  const out: string[] = [];
  const dots = countDots(name);
  const trailing = name.endsWith(".");
  let triedAsIs = false;
  let searched = false;
  let rootOnList = false;
  if (dots >= s.ndots || trailing) {
    if (encodable(name)) out.push(stripDot(name));
    if (trailing) return out;
    triedAsIs = true;
  }
  if ((dots === 0) || (dots > 0 && !trailing)) {
    for (const domain of s.search) {
      searched = true;
      const d = domain.startsWith(".") ? domain.slice(1) : domain;
      if (d === "") rootOnList = true;
      const full = `${name}.${d}`;
      if (!encodable(full)) break; // NO_RECOVERY ends the search walk
      out.push(stripDot(full));
    }
  }
  if ((dots > 0 || !searched || !s.noTldQuery) && !(triedAsIs || rootOnList) && encodable(name)) out.push(stripDot(name));
  return out;
}

/**
 * musl's candidate names (`name_from_dns_search`, dns.md §5.3): with fewer than `ndots` dots and
 * no trailing dot, each search domain then the name; otherwise only the name.
 */
export function muslCandidates(s: MuslSettings, name: string): string[] {
  if (name.length === 0 || name.length > 254) return [];
  const out: string[] = [];
  const dots = countDots(name);
  const useSearch = muslFeatures(s.version).search && dots < s.ndots && !name.endsWith(".");
  if (useSearch) {
    for (const d of s.search) {
      if (d.length < 256 - name.length - 1) {
        const full = `${name}.${d}`;
        if (encodable(full)) out.push(stripDot(full));
      }
    }
  }
  if (encodable(name)) out.push(stripDot(name));
  return out;
}

/** Go's `avoidDNS`: `.onion` names are never sent to DNS (RFC 7686). */
function avoidDNS(name: string): boolean {
  const n = name.endsWith(".") ? name.slice(0, -1) : name;
  // Most names do not end in an 'n' at all: no need to lower-case them.
  const last = n.charCodeAt(n.length - 1);
  if (last < 128 && last !== 110 && last !== 78) return false;
  const lower = n.toLowerCase();
  return lower.endsWith(".onion") || lower === "onion";
}

/**
 * Go's `nameList` (dns.md §5.4): a rooted name alone; otherwise the name first when it has at
 * least `ndots` dots, then each search suffix, then the name if not tried first. Names are rooted
 * (end in a dot), as Go keeps them.
 */
export function goNameList(s: GoSettings, name: string): string[] {
  const l = name.length;
  const rooted = l > 0 && name.endsWith(".");
  if (l > 254 || (l === 254 && !rooted)) return [];
  if (rooted) return avoidDNS(name) ? [] : [name];
  const hasNdots = countDots(name) >= s.ndots;
  const n = `${name}.`;
  const out: string[] = [];
  if (hasNdots && !avoidDNS(n)) out.push(n);
  for (const suffix of s.search) {
    const fqdn = n + suffix;
    if (!avoidDNS(fqdn) && fqdn.length <= 254) out.push(fqdn);
  }
  if (!hasNdots && !avoidDNS(n)) out.push(n);
  return out;
}

/**
 * The names a behaviour may query for `name`, in order, without trailing dots; a lookup sends
 * queries for a prefix of this list (it stops at the first answer, or earlier on some errors).
 */
export function candidateNames(s: ResolverSettings, name: string): string[] {
  switch (s.behaviour) {
    case "glibc":
      return glibcCandidates(s, name);
    case "musl":
      return muslCandidates(s, name);
    case "go":
      if (!goIsDomainName(name)) return [];
      return goNameList(s, name)
        .filter((n) => encodable(n))
        .map(stripDot);
  }
}

/** gai_strerror texts. */
export const GLIBC_GAI_MESSAGES: Readonly<Record<string, string>> = {
  EAI_NONAME: "Name or service not known",
  EAI_NODATA: "No address associated with hostname",
  EAI_AGAIN: "Temporary failure in name resolution",
  EAI_FAIL: "Non-recoverable failure in name resolution",
};
export const MUSL_GAI_MESSAGES: Readonly<Record<string, string>> = {
  EAI_NONAME: "Name does not resolve",
  EAI_NODATA: "Name has no usable address",
  EAI_AGAIN: "Try again",
  EAI_FAIL: "Non-recoverable error",
};
