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
 * Not modelled: HOSTALIASES, ECONNREFUSED from ICMP port-unreachable, res_queriesmatch checks, the
 * answer-buffer reallocation subtleties. glibc reads TCP replies without a timeout of its own; here
 * a TCP exchange gets the same wait as the UDP try to that server.
 */

import { SECOND } from "../../sim/time.js";
import { GLIBC_EDNS_UDP_SIZE, GLIBC_GAI_MESSAGES, type GlibcSettings } from "./behaviour.js";
import { countDots, encodable, stripDot } from "./names.js";
import { hostsOutcome, literalOutcome, qtypesFor, success, type Outcome, type Reply } from "./outcome.js";
import { wait, type Co, type Machine, type WaitEvent } from "./runtime.js";
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
  queue: { tx: number; response: StubResponse }[];
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

/** The glibc lookup coroutine. */
export function* glibcLookup(m: Machine, s: GlibcSettings, name: string, family: LookupFamily): Co<Outcome> {
  if (name === "") return fail("HOST_NOT_FOUND");
  const literal = literalOutcome(name, family);
  if (literal) return literal;
  const fromHosts = hostsOutcome(s.hosts, name, family, false);
  if (fromHosts) return fromHosts;

  const servers = s.nameservers;
  const nscount = servers.length;
  const socks: Sock[] = servers.map(() => ({ epoch: 0, open: false, queue: [] }));
  const txs = new Map<number, TxInfo>();
  let vcEpoch = 0;
  let rotation = 0;
  // RES_SNGLKUP / RES_SNGLKUPREOP, which send_dg may switch on for the rest of the lookup.
  let single = s.singleRequest || s.singleRequestReopen;
  let reopen = s.singleRequestReopen;
  let gotsomewhere = false;
  const qtypes = qtypesFor(family, s.noAaaa);

  const closeAll = (): void => {
    for (const sock of socks) {
      if (!sock.open) continue;
      sock.open = false;
      for (const q of sock.queue) m.discard(q.tx, "socket closed before it was read");
      sock.queue = [];
    }
    vcEpoch++;
  };
  const openSock = (ns: number): Sock => {
    const sock = socks[ns] as Sock;
    if (!sock.open) {
      sock.open = true;
      sock.epoch++;
    }
    return sock;
  };
  const sendOn = (q: Query, ns: number, transport: StubTransport, epoch: number): void => {
    const tx = m.send({
      id: q.id,
      name: q.name,
      qtype: q.qtype,
      server: servers[ns] as string,
      transport,
      ednsUdpSize: s.edns0 ? GLIBC_EDNS_UDP_SIZE : undefined,
    });
    txs.set(tx, { id: q.id, ns, epoch, transport });
  };

  /**
   * The next event for a reader of server `ns`'s UDP socket (`transport` udp) or of the TCP
   * connection: replies buffered on the socket first, then whatever arrives until `until`.
   * Replies for other servers' open sockets are buffered there; replies on closed sockets dropped.
   */
  function* readFrom(ns: number, transport: StubTransport, until: number): Co<WaitEvent> {
    const sock = socks[ns] as Sock;
    for (;;) {
      if (transport === "udp" && sock.queue.length > 0) {
        const q = sock.queue.shift() as { tx: number; response: StubResponse };
        return { kind: "answer", tx: q.tx, response: q.response };
      }
      const ev = yield* wait(until);
      if (ev.kind === "timeout") return ev;
      const info = txs.get(ev.tx) as TxInfo;
      if (info.transport === "tcp") {
        if (transport === "tcp" && info.epoch === vcEpoch && info.ns === ns) return ev;
        m.discard(ev.tx, "TCP connection closed");
        continue;
      }
      const its = socks[info.ns] as Sock;
      if (!its.open || its.epoch !== info.epoch) {
        m.discard(ev.tx, "socket closed");
        continue;
      }
      if (transport === "udp" && info.ns === ns) return ev;
      its.queue.push({ tx: ev.tx, response: ev.response });
    }
  }

  /** The wait of a UDP try (and, here, of a TCP exchange) at list position `pos`. */
  const tryWait = (pos: number): number => {
    let secs = s.timeout << pos;
    if (pos > 0) secs = Math.trunc(secs / nscount);
    if (secs <= 0) secs = 1;
    return secs * SECOND;
  };

  function* sendDg(pos: number, ns: number, q1: Query, q2: Query | undefined, st: { buf1Rcode: Rcode }): Co<DgResult> {
    const saveGot = gotsomewhere;
    let sock = openSock(ns);
    retry: for (;;) {
      const finish = m.now + tryWait(pos);
      let recv1 = false;
      let recv2 = q2 === undefined;
      let resplen = 0;
      let resplen2 = 0;
      let b1: Reply | undefined;
      let b2: Reply | undefined;
      let nwritten = 0;
      sendOn(q1, ns, "udp", sock.epoch);
      nwritten = 1;
      if (q2 && !single) {
        sendOn(q2, ns, "udp", sock.epoch);
        nwritten = 2;
      }
      for (;;) {
        const ev = yield* readFrom(ns, "udp", finish);
        if (ev.kind === "timeout") {
          if (resplen > 1 && (recv1 || (q2 !== undefined && recv2))) {
            // One reply came, the other did not: retry the pair sequentially (RES_SNGLKUP), then
            // with a new socket for the second query (RES_SNGLKUPREOP), then make do with one.
            if (!single) {
              single = true;
              gotsomewhere = saveGot;
              continue retry;
            }
            if (!reopen) {
              reopen = true;
              gotsomewhere = saveGot;
              closeAll();
              sock = openSock(ns);
              continue retry;
            }
            return { kind: "answered", resplen, resplen2: FAKE, b1, b2 };
          }
          gotsomewhere = true;
          return { kind: "next" };
        }
        const { tx, response: r } = ev;
        const id = (txs.get(tx) as TxInfo).id;
        gotsomewhere = true;
        const intoFirst = (!recv1 && !recv2) || q2 === undefined;
        const m1 = !recv1 && id === q1.id;
        const m2 = !recv2 && q2 !== undefined && id === q2.id;
        if (!m1 && !m2) {
          m.discard(tx, "old answer (ID not awaited)");
          continue;
        }
        const qtype = m1 ? q1.qtype : (q2 as Query).qtype;
        if (r.rcode === "SERVFAIL" || r.rcode === "NOTIMP" || r.rcode === "REFUSED") {
          if (intoFirst) {
            b1 = { qtype, response: r };
            st.buf1Rcode = r.rcode;
          } else b2 = { qtype, response: r };
          if (recv1 || (q2 !== undefined && recv2)) {
            return { kind: "answered", resplen, resplen2: 0, b1, b2: undefined };
          }
          if (q2 !== undefined) {
            resplen = 0;
            if (id === q1.id) recv1 = true;
            else recv2 = true;
            continue;
          }
          closeAll();
          return { kind: "next" };
        }
        if (r.rcode === "NOERROR" && r.answers.length === 0 && r.authoritative === false && r.recursionAvailable === false && (r.additionalCount ?? 0) === 0) {
          m.discard(tx, "referral (no AA, no RA): next server");
          closeAll();
          return { kind: "next" };
        }
        if (r.truncated) {
          closeAll();
          return { kind: "tc" };
        }
        if (!recv1 && id === q1.id) recv1 = true;
        else recv2 = true;
        if (intoFirst) {
          b1 = { qtype, response: r };
          st.buf1Rcode = r.rcode;
          resplen = REAL;
        } else {
          b2 = { qtype, response: r };
          resplen2 = REAL;
        }
        if (!(recv1 && recv2)) {
          if (single && q2 !== undefined) {
            if (reopen) {
              closeAll();
              sock = openSock(ns);
            }
            if (nwritten < 2) {
              sendOn(q2, ns, "udp", sock.epoch);
              nwritten = 2;
            }
          }
          continue;
        }
        return { kind: "answered", resplen, resplen2, b1, b2 };
      }
    }
  }

  function* sendVc(pos: number, ns: number, q1: Query, q2: Query | undefined, st: { buf1Rcode: Rcode }): Co<DgResult> {
    vcEpoch++;
    const finish = m.now + tryWait(pos);
    sendOn(q1, ns, "tcp", vcEpoch);
    if (q2) sendOn(q2, ns, "tcp", vcEpoch);
    let recv1 = false;
    let recv2 = q2 === undefined;
    let resplen = 0;
    let resplen2 = 0;
    let b1: Reply | undefined;
    let b2: Reply | undefined;
    for (;;) {
      const ev = yield* readFrom(ns, "tcp", finish);
      if (ev.kind === "timeout") {
        vcEpoch++;
        return { kind: "next" };
      }
      const id = (txs.get(ev.tx) as TxInfo).id;
      const m1 = !recv1 && id === q1.id;
      const m2 = !recv2 && q2 !== undefined && id === q2.id;
      if (!m1 && !m2) {
        m.discard(ev.tx, "old answer (ID not awaited)");
        continue;
      }
      const qtype = m1 ? q1.qtype : (q2 as Query).qtype;
      if ((!recv1 && !recv2) || q2 === undefined) {
        b1 = { qtype, response: ev.response };
        st.buf1Rcode = ev.response.rcode;
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

  /** `__libc_res_nsend`: servers in order, `attempts` rounds. */
  function* resSend(q1: Query, q2: Query | undefined, st: { buf1Rcode: Rcode }): Co<Exchange | { kind: "failed"; connRefused: boolean }> {
    let vc = s.useVc;
    gotsomewhere = false;
    const order = servers.map((_, i) => i);
    if (s.rotate) {
      rotation = (rotation + 1) % nscount;
      for (let i = 0; i < rotation; i++) order.push(order.shift() as number);
    }
    let lastRound = false;
    for (let attempt = 0; attempt < s.attempts && !lastRound; attempt++) {
      for (let i = 0; i < nscount; i++) {
        // With rotation the wait follows the list position, as in glibc.
        const ns = order[i] as number;
        for (;;) {
          let r: DgResult;
          if (vc) {
            lastRound = true;
            r = yield* sendVc(i, ns, q1, q2, st);
          } else {
            r = yield* sendDg(i, ns, q1, q2, st);
          }
          if (r.kind === "next") break;
          if (r.kind === "tc") {
            vc = true;
            continue;
          }
          if (r.resplen === 0 && (q2 === undefined || r.resplen2 === 0)) break;
          closeAll();
          return r;
        }
      }
    }
    closeAll();
    return { kind: "failed", connRefused: !vc && !gotsomewhere };
  }

  /** `__res_context_query` for one candidate. */
  function* query(longname: string): Co<QueryResult> {
    const candidate = stripDot(longname);
    const st: { buf1Rcode: Rcode } = { buf1Rcode: "NOERROR" };
    if (!encodable(longname)) {
      return { ok: false, herrno: "NO_RECOVERY", connRefused: false, buf1Rcode: "NOERROR", replies: [], candidate };
    }
    const q1: Query = { id: m.nextId(), qtype: qtypes[0] as AddressQtype, name: candidate };
    const q2: Query | undefined = qtypes[1] ? { id: m.nextId(), qtype: qtypes[1], name: candidate } : undefined;
    const r = yield* resSend(q1, q2, st);
    if (r.kind === "failed") {
      return { ok: false, herrno: "TRY_AGAIN", connRefused: r.connRefused, buf1Rcode: st.buf1Rcode, replies: [], candidate };
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
    const bad = (h: StubResponse): boolean => h.rcode !== "NOERROR" || h.answers.length === 0;
    const replies = [r.b1, r.b2].filter((x): x is Reply => x !== undefined && (x === hp || x === hp2));
    if (bad(h1) && bad(h2)) {
      const rc = h1.rcode === "NOERROR" ? h2.rcode : h1.rcode;
      let herrno: HErrno;
      if (rc === "NXDOMAIN") herrno = "HOST_NOT_FOUND";
      else if (rc === "SERVFAIL") herrno = "TRY_AGAIN";
      else if (rc === "NOERROR") herrno = "NO_DATA";
      else herrno = "NO_RECOVERY";
      return { ok: false, herrno, connRefused: false, buf1Rcode: st.buf1Rcode, replies, candidate };
    }
    return { ok: true, herrno: "HOST_NOT_FOUND", connRefused: false, buf1Rcode: st.buf1Rcode, replies, candidate };
  }

  function found(q: QueryResult): Outcome {
    const out = success(q.candidate, q.replies);
    // An answer section without addresses (a CNAME alone) ends the walk with no addresses.
    return out.addresses.length > 0 ? out : fail("NO_DATA");
  }

  // __res_context_search
  const dots = countDots(name);
  const trailing = name.endsWith(".");
  let herrno: HErrno = "HOST_NOT_FOUND";
  let saved: HErrno | undefined;
  let triedAsIs = false;
  let searched = false;
  let gotNodata = false;
  let gotServfail = false;
  let rootOnList = false;
  if (dots >= s.ndots || trailing) {
    const r = yield* query(name);
    herrno = r.herrno;
    if (r.ok) return found(r);
    if (trailing) return fail(r.herrno);
    saved = r.herrno;
    triedAsIs = true;
  }
  if (dots === 0 || (dots > 0 && !trailing)) {
    for (const domain of s.search) {
      searched = true;
      const d = domain.startsWith(".") ? domain.slice(1) : domain;
      if (d === "") rootOnList = true;
      const r = yield* query(`${name}.${d}`);
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
  }
  if ((dots > 0 || !searched || !s.noTldQuery) && !(triedAsIs || rootOnList)) {
    const r = yield* query(name);
    herrno = r.herrno;
    if (r.ok) return found(r);
  }
  if (saved !== undefined) herrno = saved;
  else if (gotNodata) herrno = "NO_DATA";
  else if (gotServfail) herrno = "TRY_AGAIN";
  return fail(herrno);
}

function fail(herrno: HErrno): Outcome {
  const e = H_TO_EAI[herrno];
  const out: Outcome = { ok: false, code: e.code, hErrno: herrno, message: GLIBC_GAI_MESSAGES[e.code] as string, addresses: [] };
  if (e.kind !== undefined) out.error = e.kind;
  return out;
}
