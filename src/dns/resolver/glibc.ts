/**
 * glibc's stub resolver as getaddrinfo drives it (nss_dns `gethostbyname4`): the search walk of
 * `__res_context_search` (resolv/res_query.c), the per-name decision of `__res_context_query`, and
 * the retransmission of `__libc_res_nsend`/`send_dg`/`send_vc` (resolv/res_send.c). dns.md §5.2.
 *
 * What it models, following the code:
 * - Candidates: as is first when `dots >= ndots` or a trailing dot; then each search domain; then
 *   as is if not yet tried. The walk continues on NXDOMAIN, NODATA and SERVFAIL and stops on
 *   anything else (REFUSED, FORMERR, a timeout); the name as is is still tried after a stop.
 * - Final error: the as-is query's if it was tried first, else NO_DATA if any candidate gave
 *   NODATA, else TRY_AGAIN if any gave SERVFAIL, else the last one's.
 * - A and AAAA in parallel on one UDP socket per server. Per server `ns` (0-based) the wait is
 *   `timeout << ns`, divided by the number of servers when `ns > 0` (at least 1 s); servers in
 *   order, the whole round `attempts` times. One server, defaults: 5 s per try, 10 s per name.
 * - SERVFAIL, NOTIMP and REFUSED replies make `send_dg` give up on that server at once (when the
 *   other reply of the pair is also bad) and try the next one: so a SERVFAIL is retried on every
 *   server and every attempt before the search walk sees it.
 * - A reply that is late for one try is still accepted during the next try to the same server (the
 *   socket stays open and the query ID is reused), as in glibc.
 * - If one reply of the pair came and the other timed out, glibc switches to `single-request`
 *   (A, then AAAA after A's reply) and retries the same server, then to `single-request-reopen`,
 *   then accepts the one reply: the "5 second delay" of conntrack races. The switch lasts for the
 *   rest of the lookup.
 * - TC: both queries are sent again over TCP to the same server; no further UDP rounds.
 *
 * Not modelled: HOSTALIASES, ECONNREFUSED from ICMP port-unreachable, res_queriesmatch checks
 * beyond the question type (which tells the A reply from the AAAA one when their IDs are equal),
 * the answer-buffer reallocation subtleties. glibc reads TCP replies without a timeout of its own; here
 * a TCP exchange gets the same wait as the UDP try to that server.
 */

import { SECOND } from "../../sim/time.js";
import { sharedWireName } from "../message.js";
import { GLIBC_EDNS_UDP_SIZE, GLIBC_GAI_MESSAGES, type GlibcSettings } from "./behaviour.js";
import { append, EMPTY } from "./lists.js";
import { countDots, encodable, stripDot } from "./names.js";
import { hostsOutcome, literalOutcome, qtypesFor, success, type Outcome, type Reply } from "./outcome.js";
import type { Co, Machine, WaitEvent } from "./runtime.js";
import type { AddressQtype, LookupFamily, Rcode, StubResponse, StubTransport } from "./types.js";

type HErrno = "HOST_NOT_FOUND" | "NO_DATA" | "TRY_AGAIN" | "NO_RECOVERY";

const H_TO_EAI: Record<HErrno, { code: string; kind: Outcome["error"] }> = {
  HOST_NOT_FOUND: { code: "EAI_NONAME", kind: "not-found" },
  NO_DATA: { code: "EAI_NODATA", kind: "no-data" },
  TRY_AGAIN: { code: "EAI_AGAIN", kind: "try-again" },
  NO_RECOVERY: { code: "EAI_FAIL", kind: "fail" },
};

interface Query {
  id: number;
  qtype: AddressQtype;
  name: string;
}

/** What `send_dg`/`send_vc` leave behind: resplen, resplen2 and the two answer buffers. */
interface Exchange {
  kind: "answered";
  /** Length of the first buffer's reply: 0 (none, or a rejected reply), or REAL. */
  resplen: number;
  /** 0, FAKE (glibc's `*resplen2 = 1`), or REAL. */
  resplen2: number;
  b1: Reply | undefined;
  b2: Reply | undefined;
}
type DgResult = Exchange | { kind: "next" } | { kind: "tc" };

const REAL = 512;
const FAKE = 1;
const HEADER = 12;

interface Sock {
  epoch: number;
  open: boolean;
  /** Replies that arrived while another server's socket was being read (allocated on first use). */
  queue: { tx: number; response: StubResponse }[] | undefined;
}

interface TxInfo {
  id: number;
  ns: number;
  epoch: number;
  transport: StubTransport;
}

interface QueryResult {
  ok: boolean;
  herrno: HErrno;
  /** `errno == ECONNREFUSED` after res_send: no server could be reached at all. */
  connRefused: boolean;
  /** The rcode in the first answer buffer (`hp->rcode` as the search loop sees it). */
  buf1Rcode: Rcode;
  replies: Reply[];
  candidate: string;
}

const NEXT: DgResult = Object.freeze({ kind: "next" });
const TC: DgResult = Object.freeze({ kind: "tc" });

/**
 * The state one getaddrinfo call keeps in glibc: the resolver's sockets (`statp->_u._ext`), the
 * options `send_dg` may switch on, and what the coroutines below share.
 */
class Lookup {
  readonly nscount: number;
  readonly socks: Sock[];
  /** What was sent as each transmission: `txs[tx - 1]`. */
  txs: TxInfo[] = EMPTY;
  readonly qtypes: readonly AddressQtype[];
  readonly ednsUdpSize: number | undefined;
  vcEpoch = 0;
  rotation = 0;
  // RES_SNGLKUP / RES_SNGLKUPREOP, which send_dg may switch on for the rest of the lookup.
  single: boolean;
  reopen: boolean;
  gotsomewhere = false;
  /** The rcode in the first answer buffer of the current query (`hp->rcode`). */
  buf1Rcode: Rcode = "NOERROR";

  constructor(
    readonly m: Machine,
    readonly s: GlibcSettings,
    family: LookupFamily,
  ) {
    this.nscount = s.nameservers.length;
    this.socks = s.nameservers.map(() => ({ epoch: 0, open: false, queue: undefined }));
    this.single = s.singleRequest || s.singleRequestReopen;
    this.reopen = s.singleRequestReopen;
    this.qtypes = qtypesFor(family, s.noAaaa);
    this.ednsUdpSize = s.edns0 ? GLIBC_EDNS_UDP_SIZE : undefined;
  }

  closeAll(): void {
    for (const sock of this.socks) {
      if (!sock.open) continue;
      sock.open = false;
      if (sock.queue !== undefined) {
        for (const q of sock.queue) this.m.discard(q.tx, "socket closed before it was read");
        sock.queue = undefined;
      }
    }
    this.vcEpoch++;
  }

  openSock(ns: number): Sock {
    const sock = this.socks[ns] as Sock;
    if (!sock.open) {
      sock.open = true;
      sock.epoch++;
    }
    return sock;
  }

  sendOn(q: Query, ns: number, transport: StubTransport, epoch: number): void {
    this.m.send(q.id, q.name, q.qtype, this.s.nameservers[ns] as string, transport, this.ednsUdpSize);
    this.txs = append(this.txs, { id: q.id, ns, epoch, transport });
  }

  /**
   * True when transmission `tx`'s reply answers query `q` as `send_dg` decides it: the same ID
   * and, by `__libc_res_queriesmatch`, the same question. The two queries of a pair draw their IDs
   * independently, so once in 65536 pairs they are equal, and only the question tells the A reply
   * from the AAAA one.
   */
  answers(tx: number, q: Query): boolean {
    return (this.txs[tx - 1] as TxInfo).id === q.id && this.m.record(tx).qtype === q.qtype;
  }

  /** A reply buffered on server `ns`'s UDP socket while another was being read, if any. */
  buffered(ns: number): WaitEvent | undefined {
    const queue = (this.socks[ns] as Sock).queue;
    if (queue === undefined || queue.length === 0) return undefined;
    const q = queue.shift() as { tx: number; response: StubResponse };
    return { kind: "answer", tx: q.tx, response: q.response };
  }

  /**
   * What a reader of server `ns`'s UDP socket (`transport` udp) or of the TCP connection makes of
   * an event: a timeout or a reply for it is returned; replies for other servers' open sockets are
   * buffered there, replies on closed sockets dropped (then undefined: read on).
   */
  accept(ns: number, transport: StubTransport, ev: WaitEvent): WaitEvent | undefined {
    if (ev.kind === "timeout") return ev;
    const info = this.txs[ev.tx - 1] as TxInfo;
    if (info.transport === "tcp") {
      if (transport === "tcp" && info.epoch === this.vcEpoch && info.ns === ns) return ev;
      this.m.discard(ev.tx, "TCP connection closed");
      return undefined;
    }
    const its = this.socks[info.ns] as Sock;
    if (!its.open || its.epoch !== info.epoch) {
      this.m.discard(ev.tx, "socket closed");
      return undefined;
    }
    if (transport === "udp" && info.ns === ns) return ev;
    (its.queue ??= []).push({ tx: ev.tx, response: ev.response });
    return undefined;
  }

  /** The wait of a UDP try (and, here, of a TCP exchange) at list position `pos`. */
  tryWait(pos: number): number {
    let secs = this.s.timeout << pos;
    if (pos > 0) secs = Math.trunc(secs / this.nscount);
    if (secs <= 0) secs = 1;
    return secs * SECOND;
  }
}

/** The glibc lookup coroutine. */
export function* glibcLookup(m: Machine, s: GlibcSettings, name: string, family: LookupFamily): Co<Outcome> {
  if (name === "") return fail("HOST_NOT_FOUND");
  const literal = literalOutcome(name, family);
  if (literal) return literal;
  const fromHosts = hostsOutcome(s.hosts, name, family, false);
  if (fromHosts) return fromHosts;
  const g = new Lookup(m, s, family);

  // __res_context_search. A name with a trailing dot is asked as it is, and only so.
  if (name.endsWith(".")) {
    const r = yield* query(g, name);
    return r.ok ? found(r) : fail(r.herrno);
  }
  const dots = countDots(name);
  let herrno: HErrno = "HOST_NOT_FOUND";
  let saved: HErrno | undefined;
  let triedAsIs = false;
  let searched = false;
  let gotNodata = false;
  let gotServfail = false;
  let rootOnList = false;
  if (dots >= s.ndots) {
    const r = yield* query(g, name);
    herrno = r.herrno;
    if (r.ok) return found(r);
    saved = r.herrno;
    triedAsIs = true;
  }
  for (const domain of s.search) {
    searched = true;
    const d = domain.startsWith(".") ? domain.slice(1) : domain;
    if (d === "") rootOnList = true;
    const r = yield* query(g, `${name}.${d}`);
    herrno = r.herrno;
    if (r.ok) return found(r);
    if (r.connRefused) return fail("TRY_AGAIN");
    let done = false;
    if (r.herrno === "NO_DATA") gotNodata = true;
    else if (r.herrno === "HOST_NOT_FOUND") {
      // keep trying
    } else if (r.herrno === "TRY_AGAIN" && r.buf1Rcode === "SERVFAIL") gotServfail = true;
    else done = true;
    if (done) break;
  }
  if ((dots > 0 || !searched || !s.noTldQuery) && !(triedAsIs || rootOnList)) {
    const r = yield* query(g, name);
    herrno = r.herrno;
    if (r.ok) return found(r);
  }
  if (saved !== undefined) herrno = saved;
  else if (gotNodata) herrno = "NO_DATA";
  else if (gotServfail) herrno = "TRY_AGAIN";
  return fail(herrno);
}

/**
 * `__res_context_query` for one candidate, with `__libc_res_nsend` (servers in order, `attempts`
 * rounds) written inline rather than as a generator of its own: every reply the lookup waits for
 * resumes each generator of the stack, so one layer fewer makes each lookup cheaper.
 */
function* query(g: Lookup, longname: string): Co<QueryResult> {
  g.buf1Rcode = "NOERROR";
  if (!encodable(longname)) {
    return { ok: false, herrno: "NO_RECOVERY", connRefused: false, buf1Rcode: "NOERROR", replies: [], candidate: stripDot(longname) };
  }
  // The name as sent is the shared wire-form string (see SendAction.name; an encodable name's
  // wire form is stripDot's).
  const candidate = sharedWireName(longname);
  const q1: Query = { id: g.m.nextId(), qtype: g.qtypes[0] as AddressQtype, name: candidate };
  const q2: Query | undefined = g.qtypes[1] ? { id: g.m.nextId(), qtype: g.qtypes[1], name: candidate } : undefined;

  // __libc_res_nsend
  const s = g.s;
  const nscount = g.nscount;
  let vc = s.useVc;
  g.gotsomewhere = false;
  if (s.rotate) g.rotation = (g.rotation + 1) % nscount;
  let r: Exchange | undefined;
  let lastRound = false;
  send: for (let attempt = 0; attempt < s.attempts && !lastRound; attempt++) {
    for (let i = 0; i < nscount; i++) {
      // The servers rotated left `rotation` times; with rotation the wait follows the list
      // position, as in glibc.
      const ns = s.rotate ? (i + g.rotation) % nscount : i;
      for (;;) {
        let dg: DgResult;
        if (vc) {
          lastRound = true;
          dg = yield* sendVc(g, i, ns, q1, q2);
        } else {
          dg = yield* sendDg(g, i, ns, q1, q2);
        }
        if (dg.kind === "next") break;
        if (dg.kind === "tc") {
          vc = true;
          continue;
        }
        if (dg.resplen === 0 && (q2 === undefined || dg.resplen2 === 0)) break;
        r = dg;
        break send;
      }
    }
  }
  g.closeAll();
  if (r === undefined) {
    return { ok: false, herrno: "TRY_AGAIN", connRefused: !vc && !g.gotsomewhere, buf1Rcode: g.buf1Rcode, replies: [], candidate };
  }

  let hp = r.b1;
  let hp2: Reply | undefined;
  if (q2 === undefined || r.resplen2 < HEADER) hp2 = hp;
  else {
    hp2 = r.b2;
    if (r.resplen < HEADER) hp = hp2;
  }
  const h1 = (hp as Reply).response;
  const h2 = (hp2 as Reply).response;
  // The buffers the answer is read from, as an array literal (allocated at its exact size).
  const b1 = r.b1 !== undefined && (r.b1 === hp || r.b1 === hp2) ? r.b1 : undefined;
  const b2 = r.b2 !== undefined && (r.b2 === hp || r.b2 === hp2) ? r.b2 : undefined;
  const replies = b1 === undefined ? (b2 === undefined ? [] : [b2]) : b2 === undefined ? [b1] : [b1, b2];
  if (bad(h1) && bad(h2)) {
    const rc = h1.rcode === "NOERROR" ? h2.rcode : h1.rcode;
    let herrno: HErrno;
    if (rc === "NXDOMAIN") herrno = "HOST_NOT_FOUND";
    else if (rc === "SERVFAIL") herrno = "TRY_AGAIN";
    else if (rc === "NOERROR") herrno = "NO_DATA";
    else herrno = "NO_RECOVERY";
    return { ok: false, herrno, connRefused: false, buf1Rcode: g.buf1Rcode, replies, candidate };
  }
  return { ok: true, herrno: "HOST_NOT_FOUND", connRefused: false, buf1Rcode: g.buf1Rcode, replies, candidate };
}

function bad(h: StubResponse): boolean {
  return h.rcode !== "NOERROR" || h.answers.length === 0;
}

/** `send_dg`: one UDP try of the pair to server `ns`. */
function* sendDg(g: Lookup, pos: number, ns: number, q1: Query, q2: Query | undefined): Co<DgResult> {
  const m = g.m;
  const saveGot = g.gotsomewhere;
  let sock = g.openSock(ns);
  retry: for (;;) {
    const finish = m.now + g.tryWait(pos);
    let recv1 = false;
    let recv2 = q2 === undefined;
    let resplen = 0;
    let resplen2 = 0;
    let b1: Reply | undefined;
    let b2: Reply | undefined;
    let nwritten = 0;
    g.sendOn(q1, ns, "udp", sock.epoch);
    nwritten = 1;
    if (q2 && !g.single) {
      g.sendOn(q2, ns, "udp", sock.epoch);
      nwritten = 2;
    }
    for (;;) {
      // Read the socket: replies buffered on it first, then whatever arrives until `finish`.
      let ev = g.buffered(ns);
      while (ev === undefined) ev = g.accept(ns, "udp", (yield finish) as WaitEvent);
      if (ev.kind === "timeout") {
        if (resplen > 1 && (recv1 || (q2 !== undefined && recv2))) {
          // One reply came, the other did not: retry the pair sequentially (RES_SNGLKUP), then
          // with a new socket for the second query (RES_SNGLKUPREOP), then make do with one.
          if (!g.single) {
            g.single = true;
            g.gotsomewhere = saveGot;
            continue retry;
          }
          if (!g.reopen) {
            g.reopen = true;
            g.gotsomewhere = saveGot;
            g.closeAll();
            sock = g.openSock(ns);
            continue retry;
          }
          return { kind: "answered", resplen, resplen2: FAKE, b1, b2 };
        }
        g.gotsomewhere = true;
        return NEXT;
      }
      const { tx, response: r } = ev;
      g.gotsomewhere = true;
      const intoFirst = (!recv1 && !recv2) || q2 === undefined;
      const m1 = !recv1 && g.answers(tx, q1);
      const m2 = !recv2 && q2 !== undefined && g.answers(tx, q2);
      if (!m1 && !m2) {
        m.discard(tx, "old answer (ID not awaited)");
        continue;
      }
      const qtype = m1 ? q1.qtype : (q2 as Query).qtype;
      if (r.rcode === "SERVFAIL" || r.rcode === "NOTIMP" || r.rcode === "REFUSED") {
        if (intoFirst) {
          b1 = { qtype, response: r };
          g.buf1Rcode = r.rcode;
        } else b2 = { qtype, response: r };
        if (recv1 || (q2 !== undefined && recv2)) {
          return { kind: "answered", resplen, resplen2: 0, b1, b2: undefined };
        }
        if (q2 !== undefined) {
          resplen = 0;
          if (m1) recv1 = true;
          else recv2 = true;
          continue;
        }
        g.closeAll();
        return NEXT;
      }
      if (r.rcode === "NOERROR" && r.answers.length === 0 && r.authoritative === false && r.recursionAvailable === false && (r.additionalCount ?? 0) === 0) {
        m.discard(tx, "referral (no AA, no RA): next server");
        g.closeAll();
        return NEXT;
      }
      if (r.truncated) {
        g.closeAll();
        return TC;
      }
      if (m1) recv1 = true;
      else recv2 = true;
      if (intoFirst) {
        b1 = { qtype, response: r };
        g.buf1Rcode = r.rcode;
        resplen = REAL;
      } else {
        b2 = { qtype, response: r };
        resplen2 = REAL;
      }
      if (!(recv1 && recv2)) {
        if (g.single && q2 !== undefined) {
          if (g.reopen) {
            g.closeAll();
            sock = g.openSock(ns);
          }
          if (nwritten < 2) {
            g.sendOn(q2, ns, "udp", sock.epoch);
            nwritten = 2;
          }
        }
        continue;
      }
      return { kind: "answered", resplen, resplen2, b1, b2 };
    }
  }
}

/** `send_vc`: the pair over a new TCP connection to server `ns`. */
function* sendVc(g: Lookup, pos: number, ns: number, q1: Query, q2: Query | undefined): Co<DgResult> {
  g.vcEpoch++;
  const finish = g.m.now + g.tryWait(pos);
  g.sendOn(q1, ns, "tcp", g.vcEpoch);
  if (q2) g.sendOn(q2, ns, "tcp", g.vcEpoch);
  let recv1 = false;
  let recv2 = q2 === undefined;
  let resplen = 0;
  let resplen2 = 0;
  let b1: Reply | undefined;
  let b2: Reply | undefined;
  for (;;) {
    let ev: WaitEvent | undefined;
    do ev = g.accept(ns, "tcp", (yield finish) as WaitEvent);
    while (ev === undefined);
    if (ev.kind === "timeout") {
      g.vcEpoch++;
      return NEXT;
    }
    // send_vc, unlike send_dg, matches replies by ID alone.
    const id = (g.txs[ev.tx - 1] as TxInfo).id;
    const m1 = !recv1 && id === q1.id;
    const m2 = !recv2 && q2 !== undefined && id === q2.id;
    if (!m1 && !m2) {
      g.m.discard(ev.tx, "old answer (ID not awaited)");
      continue;
    }
    const qtype = m1 ? q1.qtype : (q2 as Query).qtype;
    if ((!recv1 && !recv2) || q2 === undefined) {
      b1 = { qtype, response: ev.response };
      g.buf1Rcode = ev.response.rcode;
      resplen = REAL;
    } else {
      b2 = { qtype, response: ev.response };
      resplen2 = REAL;
    }
    if (m1) recv1 = true;
    else recv2 = true;
    if (recv1 && recv2) return { kind: "answered", resplen, resplen2, b1, b2 };
  }
}

function found(q: QueryResult): Outcome {
  const out = success(q.candidate, q.replies);
  // An answer section without addresses (a CNAME alone) ends the walk with no addresses.
  return out.addresses.length > 0 ? out : fail("NO_DATA");
}

function fail(herrno: HErrno): Outcome {
  const e = H_TO_EAI[herrno];
  const out: Outcome = { ok: false, code: e.code, hErrno: herrno, message: GLIBC_GAI_MESSAGES[e.code] as string, addresses: [] };
  if (e.kind !== undefined) out.error = e.kind;
  return out;
}
