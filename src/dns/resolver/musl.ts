/**
 * musl's stub resolver (src/network/lookup_name.c `name_from_dns_search`/`name_from_dns`,
 * src/network/res_msend.c `__res_msend_rc`). dns.md §5.3.
 *
 * - Candidates: with fewer than `ndots` dots and no trailing dot, each search domain in turn, then
 *   the name; otherwise only the name.
 * - Per candidate, A and AAAA (distinct IDs) go to every nameserver at once. The unanswered ones
 *   are sent again to every nameserver every `timeout/attempts` (2.5 s by default) until `timeout`
 *   (5 s) has passed since the first send. Only NOERROR and NXDOMAIN replies are accepted; a
 *   SERVFAIL makes musl resend that query to that server at once (at most twice the number of
 *   queries per retransmission round) and is otherwise ignored, as is REFUSED and any other code.
 * - Per candidate outcome: a query unanswered (or SERVFAIL over TCP) → EAI_AGAIN and the walk
 *   stops; NXDOMAIN → next candidate; another error code → EAI_FAIL, stop; addresses → done;
 *   otherwise (NODATA) → EAI_NODATA and the walk stops (glibc would go on).
 * - TC: from musl 1.2.4 the query is retried over TCP to the server that answered, within the same
 *   5 s budget; before, the truncated reply is used as it is.
 * - Versions before 1.2.2 decide on the A reply alone (addresses from either reply succeed).
 */

import { MILLISECOND } from "../../sim/time.js";
import { MUSL_GAI_MESSAGES, muslFeatures, type MuslFeatures, type MuslSettings } from "./behaviour.js";
import { sharedWireName } from "../message.js";
import { countDots, encodable } from "./names.js";
import { addressesOf, hostsOutcome, literalOutcome, qtypesFor, success, type Outcome, type Reply } from "./outcome.js";
import type { Co, Machine, WaitEvent } from "./runtime.js";
import type { AddressQtype, LookupFamily, StubResponse } from "./types.js";

type Eai = "EAI_NONAME" | "EAI_NODATA" | "EAI_AGAIN" | "EAI_FAIL";

const KIND: Record<Eai, NonNullable<Outcome["error"]>> = {
  EAI_NONAME: "not-found",
  EAI_NODATA: "no-data",
  EAI_AGAIN: "try-again",
  EAI_FAIL: "fail",
};

function fail(code: Eai): Outcome {
  return { ok: false, error: KIND[code], code, message: MUSL_GAI_MESSAGES[code] as string, addresses: [] };
}

/** 0: try the next candidate (musl's `return 0`). */
type NameResult = 0 | Eai | Outcome;

interface Slot {
  qtype: AddressQtype;
  id: number;
  state: "none" | "tcp" | "done";
  response?: StubResponse;
}

/** What each transmission of a lookup was: `txs[tx - 1]`. */
interface TxInfo {
  call: number;
  slot: number;
  server: number;
  tcp: boolean;
}

/** What one getaddrinfo call keeps while musl runs it. */
class Lookup {
  /** Number of `__res_msend_rc` calls so far (each has its own sockets). */
  call = 0;
  readonly txs: TxInfo[] = [];

  constructor(
    readonly m: Machine,
    readonly s: MuslSettings,
    readonly features: MuslFeatures,
    readonly qtypes: readonly AddressQtype[],
  ) {}

  sendUdp(call: number, slots: Slot[], cname: string, i: number, j: number): void {
    const slot = slots[i] as Slot;
    this.m.send(slot.id, cname, slot.qtype, this.s.nameservers[j] as string, "udp");
    this.txs.push({ call, slot: i, server: j, tcp: false });
  }
}

/** `muslFeatures` of each version met so far (versions are few; the answer never changes). */
const FEATURES = new Map<string, MuslFeatures>();

function featuresOf(version: string): MuslFeatures {
  let f = FEATURES.get(version);
  if (f === undefined) {
    f = Object.freeze(muslFeatures(version));
    FEATURES.set(version, f);
  }
  return f;
}

/** The musl lookup coroutine. */
export function* muslLookup(m: Machine, s: MuslSettings, name: string, family: LookupFamily): Co<Outcome> {
  // __lookup_name: reject an empty name and one too long for its buffers.
  if (name.length === 0 || name.length > 254) return fail("EAI_NONAME");
  const literal = literalOutcome(name, family);
  if (literal) return literal;
  const fromHosts = hostsOutcome(s.hosts, name, family, false);
  if (fromHosts) return fromHosts;
  const l = new Lookup(m, s, featuresOf(s.version), qtypesFor(family));

  // name_from_dns_search
  const dots = countDots(name);
  const searching = l.features.search && dots < s.ndots && !name.endsWith(".");
  if (searching) {
    for (const d of s.search) {
      if (d.length >= 256 - name.length - 1) continue;
      const r = yield* fromDns(l, `${name}.${d}`);
      if (r !== 0) return toOutcome(r);
    }
  }
  const last = yield* fromDns(l, name);
  return last === 0 ? fail("EAI_NONAME") : toOutcome(last);
}

function toOutcome(r: Exclude<NameResult, 0>): Outcome {
  return typeof r === "string" ? fail(r) : r;
}

/** `name_from_dns` for one candidate. */
function* fromDns(l: Lookup, cname: string): Co<NameResult> {
  if (!encodable(cname)) return 0; // res_mkquery fails: "return 0", try the next name
  // The name as sent is the shared wire-form string (see SendAction.name).
  const slots = yield* msend(l, sharedWireName(cname));
  const replies: Reply[] = [];
  for (const sl of slots) if (sl.state === "done" && sl.response) replies.push({ qtype: sl.qtype, response: sl.response });
  if (l.features.pairedErrors) {
    for (const sl of slots) {
      const rc = sl.state === "done" ? sl.response?.rcode : undefined;
      if (rc === undefined || rc === "SERVFAIL") return "EAI_AGAIN";
      if (rc === "NXDOMAIN") return 0;
      if (rc !== "NOERROR") return "EAI_FAIL";
    }
    const out = success(cname, replies);
    if (out.addresses.length > 0) return out;
    return l.features.eaiNodata ? "EAI_NODATA" : "EAI_NONAME";
  }
  // Before 1.2.2: addresses from either reply win; otherwise the A reply decides.
  if (addressesOf(replies).length > 0) return success(cname, replies);
  const first = slots[0] as Slot;
  const rc = first.state === "done" ? first.response?.rcode : undefined;
  if (rc === undefined || rc === "SERVFAIL") return "EAI_AGAIN";
  if (rc === "NOERROR") return "EAI_NONAME";
  if (rc === "NXDOMAIN") return 0;
  return "EAI_FAIL";
}

/** `__res_msend_rc`: the queries of one candidate, to every nameserver, with retransmission. */
function* msend(l: Lookup, cname: string): Co<Slot[]> {
  const m = l.m;
  const s = l.s;
  const thisCall = ++l.call;
  const slots: Slot[] = [];
  for (const qtype of l.qtypes) {
    let id = m.nextId();
    // "Ensure query IDs are distinct" (the high byte is bumped).
    if (slots.length > 0 && id === (slots[0] as Slot).id) id = (id + 256) % 65536;
    slots.push({ qtype, id, state: "none" });
  }
  const timeout = 1000 * s.timeout * MILLISECOND;
  const attempts = Math.max(1, s.attempts); // attempts:0 would divide by zero in musl
  const retry = Math.trunc((1000 * s.timeout) / attempts) * MILLISECOND;
  const t0 = m.now;
  let t1 = t0 - retry;
  let servfailRetry = 0;
  for (let t2 = m.now; t2 - t0 < timeout; t2 = m.now) {
    if (t2 - t1 >= retry) {
      for (let i = 0; i < slots.length; i++) {
        if ((slots[i] as Slot).state !== "none") continue;
        for (let j = 0; j < s.nameservers.length; j++) l.sendUdp(thisCall, slots, cname, i, j);
      }
      t1 = t2;
      servfailRetry = 2 * slots.length;
    }
    const ev = (yield t1 + retry) as WaitEvent;
    if (ev.kind === "timeout") continue;
    const info = l.txs[ev.tx - 1];
    if (!info || info.call !== thisCall) {
      m.discard(ev.tx, "socket closed");
      continue;
    }
    const slot = slots[info.slot] as Slot;
    const r = ev.response;
    if (info.tcp) {
      if (slot.state !== "tcp") {
        m.discard(ev.tx, "TCP connection closed");
        continue;
      }
      slot.state = "done";
      slot.response = r;
    } else {
      if (slot.state !== "none") {
        m.discard(ev.tx, "query already answered");
        continue;
      }
      if (r.rcode === "SERVFAIL") {
        if (servfailRetry > 0) {
          servfailRetry--;
          m.discard(ev.tx, "SERVFAIL: sent again at once");
          l.sendUdp(thisCall, slots, cname, info.slot, info.server);
        } else m.discard(ev.tx, "SERVFAIL: ignored");
        continue;
      }
      if (r.rcode !== "NOERROR" && r.rcode !== "NXDOMAIN") {
        m.discard(ev.tx, `${r.rcode}: ignored`);
        continue;
      }
      if (r.truncated && l.features.tcpFallback) {
        slot.state = "tcp";
        m.discard(ev.tx, "truncated: retrying over TCP");
        m.send(slot.id, cname, slot.qtype, s.nameservers[info.server] as string, "tcp");
        l.txs.push({ call: thisCall, slot: info.slot, server: info.server, tcp: true });
        continue;
      }
      slot.state = "done";
      slot.response = r;
    }
    if (allDone(slots)) break;
  }
  return slots;
}

function allDone(slots: readonly Slot[]): boolean {
  for (const x of slots) if (x.state !== "done") return false;
  return true;
}
