/**
 * The internal result of a behaviour's coroutine, and helpers to read answers.
 */

import { append, EMPTY } from "./lists.js";
import { dnsLower, isIpv4, isIpv6, stripDot } from "./names.js";
import type { AddressQtype, HostsEntry, LookupFamily, LookupResult, ResolvedAddress, StubResponse } from "./types.js";

/** What a behaviour's coroutine returns; `stub.ts` adds the queries and times. */
export type Outcome = Omit<LookupResult, "behaviour" | "name" | "queries" | "startedAt" | "finishedAt">;

/** A reply to one of the address queries of a candidate name. */
export interface Reply {
  qtype: AddressQtype;
  response: StubResponse;
}

const ONLY_A: readonly AddressQtype[] = Object.freeze(["A"]);
const ONLY_AAAA: readonly AddressQtype[] = Object.freeze(["AAAA"]);
const BOTH: readonly AddressQtype[] = Object.freeze(["A", "AAAA"]);

/** The query types for a family (A before AAAA, as all three behaviours send them). Shared, frozen. */
export function qtypesFor(family: LookupFamily, noAaaa = false): readonly AddressQtype[] {
  if (family === "inet") return ONLY_A;
  if (family === "inet6") return ONLY_AAAA;
  return noAaaa ? ONLY_A : BOTH;
}

/** Follows CNAME records from `name` through an answer section; returns the last name reached. */
export function followCnames(name: string, responses: readonly StubResponse[]): string {
  return followCnamesIn(name, responses, itself);
}

const itself = (r: StubResponse): StubResponse => r;

/** {@link followCnames} over the responses of replies (or anything that holds one). */
function followCnamesIn<T>(name: string, items: readonly T[], responseOf: (item: T) => StubResponse): string {
  let current = stripDot(name);
  for (let hops = 0; hops < 16; hops++) {
    let next: string | undefined;
    let key: string | undefined;
    for (const item of items) {
      for (const rr of responseOf(item).answers) {
        if (rr.type === "CNAME" && dnsLower(stripDot(rr.name)) === (key ??= dnsLower(current))) {
          next = stripDot(rr.data);
          break;
        }
      }
      if (next !== undefined) break;
    }
    if (next === undefined) return current;
    current = next;
  }
  return current;
}

const responseOfReply = (r: Reply): StubResponse => r.response;
const ADDRESS_QTYPES = ["A", "AAAA"] as const;

/** Addresses of the replies: A records of the A reply first, then AAAA records of the AAAA reply. */
export function addressesOf(replies: readonly Reply[]): ResolvedAddress[] {
  let out: ResolvedAddress[] = EMPTY;
  for (const qtype of ADDRESS_QTYPES) {
    for (const reply of replies) {
      if (reply.qtype !== qtype) continue;
      for (const rr of reply.response.answers) {
        if (rr.type === qtype) out = append(out, { family: qtype === "A" ? 4 : 6, address: rr.data });
      }
    }
  }
  return out;
}

/** A successful outcome from DNS replies for `candidate`. */
export function success(candidate: string, replies: readonly Reply[]): Outcome {
  return {
    ok: true,
    addresses: addressesOf(replies),
    canonicalName: followCnamesIn(candidate, replies, responseOfReply),
    answeredName: stripDot(candidate),
    source: "dns",
  };
}

/** The outcome for an address literal, which no resolver sends to DNS. */
export function literalOutcome(name: string, family: LookupFamily): Outcome | undefined {
  const v4 = isIpv4(name);
  const v6 = !v4 && isIpv6(name);
  if (!v4 && !v6) return undefined;
  if ((v4 && family === "inet6") || (v6 && family === "inet")) return undefined;
  return { ok: true, addresses: [{ family: v4 ? 4 : 6, address: name }], canonicalName: name, source: "literal" };
}

/**
 * /etc/hosts lookup. glibc and musl compare the name as given (so `localhost.` does not match
 * `localhost`); Go compares absolute names (`rooted: true`).
 */
export function hostsOutcome(hosts: readonly HostsEntry[], name: string, family: LookupFamily, rooted: boolean): Outcome | undefined {
  if (hosts.length === 0) return undefined;
  const key = dnsLower(rooted ? stripDot(name) : name);
  const addresses: ResolvedAddress[] = [];
  let canonical: string | undefined;
  for (const e of hosts) {
    if (!e.names.some((n) => dnsLower(rooted ? stripDot(n) : n) === key)) continue;
    const fam = isIpv4(e.address) ? 4 : isIpv6(e.address) ? 6 : undefined;
    if (fam === undefined) continue;
    if ((family === "inet" && fam === 6) || (family === "inet6" && fam === 4)) continue;
    addresses.push({ family: fam, address: e.address });
    canonical ??= e.names[0];
  }
  if (addresses.length === 0) return undefined;
  const out: Outcome = { ok: true, addresses, source: "hosts" };
  if (canonical !== undefined) out.canonicalName = canonical;
  return out;
}
