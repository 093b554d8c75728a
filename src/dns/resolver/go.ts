/**
 * Go's pure-Go resolver (src/net/dnsclient_unix.go `goLookupIPCNAMEOrder`, `tryOneName`,
 * `exchange`; dnsconfig_unix.go). dns.md §5.4.
 *
 * - Candidates (`nameList`): a rooted name alone; with at least `ndots` dots the name first, then
 *   each search suffix, else the suffixes then the name.
 * - Per candidate, A and AAAA are looked up in parallel (two goroutines; sequentially with
 *   `single-request`), each by `tryOneName`: `attempts` rounds over the servers in order, each
 *   exchange waiting `timeout` (5 s) for its reply over UDP, then as long again over TCP when the
 *   reply was truncated. Every exchange uses a new ID and a new socket, so late replies are lost.
 * - NXDOMAIN, and NODATA (no record of the type), end `tryOneName` with "no such host" at once;
 *   SERVFAIL ("server misbehaving", temporary), other codes, a timeout or a lame referral move to the
 *   next server.
 * - The walk goes to the next candidate unless a candidate gave addresses, whatever the errors (with
 *   `strictErrors`, a temporary error ends it). The error reported is the first one met, or the
 *   one for the name itself (`name + "."`), with the name as asked.
 */

import { SECOND } from "../../sim/time.js";
import { GO_EDNS_UDP_SIZE, goNameList, type GoSettings } from "./behaviour.js";
import { encodable, goIsDomainName, isIpv6, stripDot } from "./names.js";
import { hostsOutcome, literalOutcome, qtypesFor, success, type Outcome, type Reply } from "./outcome.js";
import { recv, wait, type Co, type Machine } from "./runtime.js";
import type { AddressQtype, LookupFamily, StubResponse } from "./types.js";

/** A `*net.DNSError`. */
interface GoError {
  err: string;
  name: string;
  /** `host:53`, or empty. */
  server: string;
  isNotFound: boolean;
  isTimeout: boolean;
  isTemporary: boolean;
  kind: NonNullable<Outcome["error"]>;
}

/** Go's error strings (dnsclient_unix.go). */
export const GO_ERRORS = {
  noSuchHost: "no such host",
  timeout: "i/o timeout",
  serverMisbehaving: "server misbehaving",
  lameReferral: "lame referral",
  cannotMarshal: "cannot marshal DNS message",
  noAnswer: "no answer from DNS server",
} as const;

type TryResult = { ok: true; reply: Reply; server: string } | { ok: false; error: GoError };

function hostPort(server: string): string {
  return isIpv6(server) ? `[${server}]:53` : `${server}:53`;
}

function goError(err: string, name: string, server: string, extra: Partial<GoError> = {}): GoError {
  return { err, name, server, isNotFound: false, isTimeout: false, isTemporary: false, kind: "fail", ...extra };
}

function noSuchHost(name: string, server: string): GoError {
  return goError(GO_ERRORS.noSuchHost, name, server, { isNotFound: true, kind: "not-found" });
}

function errorText(e: GoError): string {
  return `lookup ${e.name}${e.server !== "" ? ` on ${e.server}` : ""}: ${e.err}`;
}

function failure(e: GoError): Outcome {
  return { ok: false, error: e.kind, code: e.err, message: errorText(e), addresses: [] };
}

/** Options of Go's `net.Resolver` that matter here. */
export interface GoLookupOptions {
  /** `Resolver.StrictErrors`: a temporary error on any candidate ends the lookup. */
  strictErrors?: boolean;
}

/** The Go lookup coroutine. */
export function* goLookup(m: Machine, s: GoSettings, name: string, family: LookupFamily, opts: GoLookupOptions = {}): Co<Outcome> {
  const literal = literalOutcome(name, family);
  if (literal) return literal;
  const fromHosts = hostsOutcome(s.hosts, name, family, true);
  if (fromHosts) return fromHosts;
  if (!goIsDomainName(name)) return failure(noSuchHost(name, ""));
  const names = goNameList(s, name);
  if (names.length === 0) return failure(noSuchHost(name, ""));
  const qtypes = qtypesFor(family);
  let soffset = 0;

  /** `exchange`: one server, UDP then TCP if truncated, a fresh ID and socket each time. */
  function* exchange(server: string, fqdn: string, qtype: AddressQtype): Co<{ ok: true; response: StubResponse } | { ok: false; err: string; timeout: boolean }> {
    const id = m.nextId();
    const networks = s.useTCP ? (["tcp"] as const) : (["udp", "tcp"] as const);
    for (const transport of networks) {
      const deadline = m.now + s.timeout * SECOND;
      const tx = m.send({ id, name: stripDot(fqdn), qtype, server, transport, ednsUdpSize: GO_EDNS_UDP_SIZE });
      for (;;) {
        const ev = yield* wait(deadline);
        if (ev.kind === "timeout") return { ok: false, err: GO_ERRORS.timeout, timeout: true };
        if (ev.tx !== tx) {
          m.discard(ev.tx, "connection closed");
          continue;
        }
        if (ev.response.truncated) break; // next network (RFC 5966)
        return { ok: true, response: ev.response };
      }
    }
    return { ok: false, err: GO_ERRORS.noAnswer, timeout: false };
  }

  /** `tryOneName`. */
  function* tryOneName(fqdn: string, qtype: AddressQtype): Co<TryResult> {
    if (!encodable(fqdn)) return { ok: false, error: goError(GO_ERRORS.cannotMarshal, fqdn, "") };
    const offset = s.rotate ? ++soffset : 0;
    const n = s.nameservers.length;
    let lastErr: GoError | undefined;
    for (let i = 0; i < s.attempts; i++) {
      for (let j = 0; j < n; j++) {
        const server = s.nameservers[(offset + j) % n] as string;
        const hp = hostPort(server);
        const r = yield* exchange(server, fqdn, qtype);
        if (!r.ok) {
          lastErr = goError(r.err, fqdn, hp, r.timeout ? { isTimeout: true, isTemporary: true, kind: "try-again" } : {});
          continue;
        }
        const p = r.response;
        if (p.rcode === "NXDOMAIN") return { ok: false, error: noSuchHost(fqdn, hp) };
        if (p.rcode === "NOERROR" && p.authoritative === false && p.recursionAvailable === false && p.answers.length === 0 && (p.additionalCount ?? 0) === 0) {
          lastErr = goError(GO_ERRORS.lameReferral, fqdn, hp);
          continue;
        }
        if (p.rcode !== "NOERROR") {
          lastErr =
            p.rcode === "SERVFAIL"
              ? goError(GO_ERRORS.serverMisbehaving, fqdn, hp, { isTemporary: true, kind: "try-again" })
              : goError(GO_ERRORS.serverMisbehaving, fqdn, hp);
          continue;
        }
        // skipToAnswer: no record of the type asked (NODATA, or a CNAME alone) is "no such host".
        if (!p.answers.some((rr) => rr.type === qtype)) return { ok: false, error: noSuchHost(fqdn, hp) };
        return { ok: true, reply: { qtype, response: p }, server: hp };
      }
    }
    return { ok: false, error: lastErr ?? goError(GO_ERRORS.noAnswer, fqdn, "") };
  }

  let lastErr: GoError | undefined;
  for (const fqdn of names) {
    const results: TryResult[] = [];
    if (s.singleRequest) {
      for (const qtype of qtypes) results.push(yield* tryOneName(fqdn, qtype));
    } else {
      for (const qtype of qtypes) m.spawn(tryOneName(fqdn, qtype));
      for (let k = 0; k < qtypes.length; k++) results.push(yield* recv<TryResult>());
    }
    const replies: Reply[] = [];
    let hitStrictError = false;
    for (const r of results) {
      if (!r.ok) {
        if (r.error.isTemporary && opts.strictErrors) {
          hitStrictError = true;
          lastErr = r.error;
        } else if (lastErr === undefined || fqdn === `${name}.`) {
          lastErr = r.error;
        }
        continue;
      }
      replies.push(r.reply);
    }
    if (hitStrictError) break;
    if (replies.length > 0) return success(fqdn, replies);
  }
  const e = lastErr ?? noSuchHost(name, "");
  // "Show original name passed to lookup, not suffixed one."
  return failure({ ...e, name });
}
