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
import { sharedWireName } from "../message.js";
import { encodable, goIsDomainName, isIpv6 } from "./names.js";
import { hostsOutcome, literalOutcome, qtypesFor, success, type Outcome, type Reply } from "./outcome.js";
import { RECV, type Co, type Machine, type WaitEvent } from "./runtime.js";
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

/** `host:53` for each server met so far (a server's form never changes; isIpv6 is not free). */
const HOST_PORTS = new Map<string, string>();

function hostPort(server: string): string {
  let hp = HOST_PORTS.get(server);
  if (hp === undefined) {
    hp = isIpv6(server) ? `[${server}]:53` : `${server}:53`;
    if (HOST_PORTS.size < 4096) HOST_PORTS.set(server, hp);
  }
  return hp;
}

function goError(err: string, name: string, server: string, kind: GoError["kind"] = "fail", isNotFound = false, isTimeout = false, isTemporary = false): GoError {
  return { err, name, server, isNotFound, isTimeout, isTemporary, kind };
}

function noSuchHost(name: string, server: string): GoError {
  return goError(GO_ERRORS.noSuchHost, name, server, "not-found", true);
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

/** What one `LookupIPAddr` call shares between its goroutines. */
interface Lookup {
  readonly m: Machine;
  readonly s: GoSettings;
  /** The resolver's server offset (`Resolver.soffset`), with `rotate`. */
  soffset: number;
}

type ExchangeResult = { ok: true; response: StubResponse } | { ok: false; err: string; timeout: boolean };

const UDP_THEN_TCP = ["udp", "tcp"] as const;
const TCP_ONLY = ["tcp"] as const;
const NO_ANSWER: ExchangeResult = Object.freeze({ ok: false, err: GO_ERRORS.noAnswer, timeout: false });
const TIMED_OUT: ExchangeResult = Object.freeze({ ok: false, err: GO_ERRORS.timeout, timeout: true });

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
  const l: Lookup = { m, s, soffset: 0 };

  let lastErr: GoError | undefined;
  for (const fqdn of names) {
    const results: TryResult[] = [];
    if (s.singleRequest) {
      for (const qtype of qtypes) results.push(yield* tryOneName(l, fqdn, qtype));
    } else {
      for (const qtype of qtypes) m.spawn(tryOneName(l, fqdn, qtype));
      for (let k = 0; k < qtypes.length; k++) results.push((yield RECV) as TryResult);
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

/** `tryOneName`. */
function* tryOneName(l: Lookup, fqdn: string, qtype: AddressQtype): Co<TryResult> {
  if (!encodable(fqdn)) return { ok: false, error: goError(GO_ERRORS.cannotMarshal, fqdn, "") };
  const s = l.s;
  const offset = s.rotate ? ++l.soffset : 0;
  const n = s.nameservers.length;
  let lastErr: GoError | undefined;
  for (let i = 0; i < s.attempts; i++) {
    for (let j = 0; j < n; j++) {
      const server = s.nameservers[(offset + j) % n] as string;
      const hp = hostPort(server);
      const r = yield* exchange(l, server, fqdn, qtype);
      if (!r.ok) {
        lastErr = r.timeout ? goError(r.err, fqdn, hp, "try-again", false, true, true) : goError(r.err, fqdn, hp);
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
            ? goError(GO_ERRORS.serverMisbehaving, fqdn, hp, "try-again", false, false, true)
            : goError(GO_ERRORS.serverMisbehaving, fqdn, hp);
        continue;
      }
      // skipToAnswer: no record of the type asked (NODATA, or a CNAME alone) is "no such host".
      if (!hasType(p, qtype)) return { ok: false, error: noSuchHost(fqdn, hp) };
      return { ok: true, reply: { qtype, response: p }, server: hp };
    }
  }
  return { ok: false, error: lastErr ?? goError(GO_ERRORS.noAnswer, fqdn, "") };
}

function hasType(p: StubResponse, qtype: AddressQtype): boolean {
  for (const rr of p.answers) if (rr.type === qtype) return true;
  return false;
}

/** `exchange`: one server, UDP then TCP if truncated, a fresh ID and socket each time. */
function* exchange(l: Lookup, server: string, fqdn: string, qtype: AddressQtype): Co<ExchangeResult> {
  const m = l.m;
  const id = m.nextId();
  const networks = l.s.useTCP ? TCP_ONLY : UDP_THEN_TCP;
  // tryOneName checked that it is encodable; as sent, it is the shared wire-form string (see SendAction.name).
  const name = sharedWireName(fqdn);
  for (const transport of networks) {
    const deadline = m.now + l.s.timeout * SECOND;
    const tx = m.send(id, name, qtype, server, transport, GO_EDNS_UDP_SIZE);
    for (;;) {
      const ev = (yield deadline) as WaitEvent;
      if (ev.kind === "timeout") return TIMED_OUT;
      if (ev.tx !== tx) {
        m.discard(ev.tx, "connection closed");
        continue;
      }
      if (ev.response.truncated) break; // next network (RFC 5966)
      return { ok: true, response: ev.response };
    }
  }
  return NO_ANSWER;
}
