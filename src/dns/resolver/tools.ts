/**
 * Which queries the lab's debugging tools send for a name (dns.md §5.5–5.6): busybox `nslookup`
 * and `dig`. These are plans, not state machines: the shell's emulated commands send them and
 * format the replies.
 */

import { MILLISECOND, SECOND, type Micros } from "../../sim/time.js";
import { compareVersions, readGlibcSettings } from "./behaviour.js";
import { countDots, isIpv4, isIpv6, stripDot } from "./names.js";

/** One query of a plan. */
export interface ToolQuery {
  /** Query name without the trailing dot. */
  name: string;
  qtype: string;
}

/** The reverse-lookup name of an address (`in-addr.arpa` / `ip6.arpa`), or undefined. */
export function reverseName(address: string): string | undefined {
  if (isIpv4(address)) return `${address.split(".").reverse().join(".")}.in-addr.arpa`;
  if (!isIpv6(address)) return undefined;
  // Expand to 32 nibbles.
  let text = address;
  const lastColon = text.lastIndexOf(":");
  const tail = text.slice(lastColon + 1);
  if (tail.includes(".")) {
    const p = tail.split(".").map(Number) as [number, number, number, number];
    text = `${text.slice(0, lastColon + 1)}${((p[0] << 8) | p[1]).toString(16)}:${((p[2] << 8) | p[3]).toString(16)}`;
  }
  const [left, right] = text.includes("::") ? (text.split("::") as [string, string]) : [text, undefined];
  const l = left === "" ? [] : left.split(":");
  const r = right === undefined || right === "" ? [] : right.split(":");
  const groups = right === undefined ? l : [...l, ...Array<string>(8 - l.length - r.length).fill("0"), ...r];
  const nibbles = groups.map((g) => g.padStart(4, "0").toLowerCase()).join("");
  return `${nibbles.split("").reverse().join(".")}.ip6.arpa`;
}

/** What busybox `nslookup NAME` does. */
export type BusyboxPlan =
  /** busybox ≤ 1.28 without FEATURE_NSLOOKUP_BIG: it calls the libc's getaddrinfo (use a StubLookup). */
  | { kind: "libc" }
  | {
      kind: "queries";
      /** All sent at once to one server; replies printed in arrival order. */
      queries: ToolQuery[];
      /** Servers tried in turn while none answers. */
      servers: string[];
      /** Per server: resend unanswered queries every `retryInterval` until `timeout`. */
      timeout: Micros;
      retryInterval: Micros;
    };

/**
 * busybox `nslookup` (networking/nslookup.c, dns.md §5.5). From 1.29 it has its own resolver: for a
 * name without a dot and a search list (from 1.30), `name.<domain>` for every search domain, first
 * all A then all AAAA queries, the bare name not at all; a name with a dot is queried as is (A then
 * AAAA); an address gets a PTR query. All queries go out at once.
 */
export function busyboxNslookupPlan(name: string, resolvConf: string, options: { version?: string; type?: string; server?: string } = {}): BusyboxPlan {
  const version = options.version ?? "1.36.1";
  if (compareVersions(version, "1.29") < 0) return { kind: "libc" };
  let search: string[] = [];
  const servers: string[] = [];
  for (const line of resolvConf.split("\n")) {
    const f = line.trim().split(/[ \t]+/).filter((w) => w !== "");
    if (f[0] === "search" && f.length > 1) search = f.slice(1);
    if (f[0] === "nameserver" && f[1] !== undefined) servers.push(f[1]);
  }
  if (compareVersions(version, "1.30") < 0) search = [];
  const withSearch = (qtype: string): ToolQuery[] => {
    if (qtype === "PTR" || search.length === 0 || name.includes(".")) return [{ name: stripDot(name), qtype }];
    return search.map((d) => ({ name: stripDot(`${name}.${d}`), qtype }));
  };
  const queries: ToolQuery[] = [];
  if (options.type !== undefined) {
    queries.push(...withSearch(options.type.toUpperCase()));
  } else {
    const ptr = reverseName(name);
    if (ptr !== undefined) queries.push({ name: ptr, qtype: "PTR" });
    else queries.push(...withSearch("A"), ...withSearch("AAAA"));
  }
  const list = options.server !== undefined ? [options.server] : servers.length > 0 ? servers : ["127.0.0.1"];
  return { kind: "queries", queries, servers: list, timeout: 5 * SECOND, retryInterval: 2500 * MILLISECOND };
}

/** What `dig NAME` sends. */
export interface DigPlan {
  /** Names tried in order, each only if the one before was NXDOMAIN (one name without +search). */
  names: string[];
  qtype: string;
  servers: string[];
  /** `+tries` (UDP sends per server) and `+timeout` per try. */
  tries: number;
  timeout: Micros;
}

/**
 * `dig` (dns.md §5.6): one query for the name made absolute (`myservice` → `myservice.`), of type A
 * unless told; with `+search`, the search list as the resolver would walk it (as is first when it
 * has at least `ndots` dots, otherwise after the search domains).
 */
export function digPlan(name: string, resolvConf: string, options: { type?: string; search?: boolean; ndots?: number; server?: string; tries?: number; timeout?: number } = {}): DigPlan {
  const s = readGlibcSettings(resolvConf);
  const ndots = options.ndots ?? s.ndots;
  let names: string[];
  if (!options.search || name.endsWith(".")) {
    names = [stripDot(name)];
  } else {
    const dots = countDots(name);
    names = [];
    if (dots >= ndots) names.push(name);
    for (const d of s.search) names.push(stripDot(`${name}.${stripDot(d)}`));
    if (dots < ndots) names.push(name);
  }
  return {
    names,
    qtype: (options.type ?? "A").toUpperCase(),
    servers: options.server !== undefined ? [options.server] : s.nameservers,
    tries: options.tries ?? 3,
    timeout: (options.timeout ?? 5) * SECOND,
  };
}
