/**
 * Generated lookups with everything they do written down: the settings, every call made to the
 * `StubLookup` (start, replies — late, duplicated, for stale or unknown transmissions —, timers,
 * including cancelled, stale and early ones) with the actions each returned, and the final result.
 * `traces.test.ts` pins a digest of each trace, so that any change in what the stubs do (an
 * action, its order, an ID, a time, a discard reason, a result field) is caught.
 *
 * The cases come from a small self-contained PRNG (mulberry32), so they do not move when anything
 * else in the project changes. When a change of behaviour is intended, regenerate the digests:
 * `npx tsx test/dns/resolver/trace-cases.ts > test/dns/resolver/traces.golden.json`
 */

import { pathToFileURL } from "node:url";
import { createHash } from "node:crypto";
import * as resolver from "../../../src/dns/resolver/index.js";
import type { LookupFamily, LookupOptions, Rcode, StubAction, StubResponse } from "../../../src/dns/resolver/index.js";

/** What a trace needs of an implementation (the module under test, or a frozen copy of an older one). */
export interface Implementation {
  resolverSettings: typeof resolver.resolverSettings;
  candidateNames: typeof resolver.candidateNames;
  StubLookup: typeof resolver.StubLookup;
}

/** Number of cases pinned by `traces.test.ts`. */
export const TRACE_CASES = 600;

/** mulberry32: a tiny deterministic PRNG. */
class Prng {
  constructor(private state: number) {}
  next(): number {
    this.state = (this.state + 0x6d2b79f5) | 0;
    let t = this.state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  }
  int(n: number): number {
    return Math.floor(this.next() * n);
  }
  pick<T>(xs: readonly T[]): T {
    return xs[this.int(xs.length)] as T;
  }
}

const LABELS = ["a", "b", "web", "svc", "x1", "api", "default", "Web", "prod", "cluster", "local", "onion", "x".repeat(63), "y".repeat(64)];
const SERVERS = ["10.96.0.10", "10.0.0.2", "10.0.0.3", "fd00::53", "::1"];
const FLAGS = ["single-request", "single-request-reopen", "use-vc", "no-tld-query", "rotate", "edns0", "no-aaaa", "tcp"];
const KINDS = ["addr", "nodata", "cname", "cname+addr", "nxdomain", "servfail", "refused", "formerr", "notimp", "lame", "addr2"] as const;
const HOSTS = [
  { address: "10.244.1.7", names: ["web-0.web.default.svc.cluster.local", "web-0"] },
  { address: "fd00::7", names: ["web-0", "localhost"] },
];

function genName(r: Prng): string {
  const k = r.int(20);
  if (k === 0) return "";
  if (k === 1) return r.pick(["10.1.2.3", "fd00::1", "::ffff:1.2.3.4", "1.2.3"]);
  if (k === 2) return r.pick(["localhost", "web-0", "localhost.", "web-0."]);
  if (k === 3) return "z".repeat(200 + r.int(60));
  const ls: string[] = [];
  for (let i = 1 + r.int(6); i > 0; i--) ls.push(r.pick(LABELS));
  return ls.join(".") + (r.int(3) === 0 ? "." : "");
}

function genConf(r: Prng): string {
  let text = "";
  if (r.int(5) > 0) {
    const domains: string[] = [];
    for (let i = r.int(5); i > 0; i--) {
      const ls: string[] = [];
      for (let j = 1 + r.int(3); j > 0; j--) ls.push(r.pick(LABELS.slice(0, 12)));
      let d = ls.join(".");
      if (r.int(4) === 0) d += ".";
      if (r.int(15) === 0) d = `.${d}`;
      if (r.int(30) === 0) d = ".";
      domains.push(d);
    }
    if (domains.length > 0) text += `${r.int(6) === 0 ? "domain" : "search"} ${domains.join(" ")}\n`;
  }
  const used = new Set<string>();
  for (let i = r.int(4); i > 0; i--) {
    const s = r.pick(SERVERS);
    if (!used.has(s)) text += `nameserver ${s}\n`;
    used.add(s);
  }
  const opts: string[] = [];
  if (r.int(4) > 0) opts.push(`ndots:${r.int(7)}`);
  if (r.int(3) > 0) opts.push(`timeout:${r.int(6)}`);
  if (r.int(3) > 0) opts.push(`attempts:${r.int(4)}`);
  for (const f of FLAGS) if (r.int(5) === 0) opts.push(f);
  if (opts.length > 0) text += `options ${opts.join(" ")}\n`;
  return text;
}

function genResponse(r: Prng, name: string, qtype: string): StubResponse {
  const kind = r.pick(KINDS);
  const rcode: Rcode =
    kind === "nxdomain" ? "NXDOMAIN" : kind === "servfail" ? "SERVFAIL" : kind === "refused" ? "REFUSED" : kind === "formerr" ? "FORMERR" : kind === "notimp" ? "NOTIMP" : "NOERROR";
  const q = r.int(4) === 0 ? (qtype === "A" ? "AAAA" : "A") : qtype;
  const addr = (t: string) => ({ type: t, name: r.int(5) === 0 ? name.toUpperCase() : name, data: t === "A" ? `10.1.2.${r.int(9)}` : `fd00::${r.int(9)}`, ttl: 5 });
  const answers =
    kind === "addr"
      ? [addr(q)]
      : kind === "addr2"
        ? [addr(q), addr(q), addr(qtype === "A" ? "AAAA" : "A")]
        : kind === "cname"
          ? [{ type: "CNAME", name, data: "elsewhere.example.", ttl: 5 }]
          : kind === "cname+addr"
            ? [
                { type: "CNAME", name: name.toUpperCase(), data: "Elsewhere.example", ttl: 5 },
                { type: "CNAME", name: "elsewhere.example", data: "third.example", ttl: 5 },
                { type: q, name: "third.example", data: q === "A" ? "10.9.9.9" : "fd00::9", ttl: 5 },
              ]
            : [];
  const response: StubResponse = { rcode, answers, truncated: r.int(6) === 0 };
  if (kind === "lame") {
    response.authoritative = false;
    response.recursionAvailable = false;
    if (r.int(3) === 0) response.additionalCount = 1;
  } else if (r.int(8) === 0) {
    response.authoritative = r.int(2) === 0;
    response.recursionAvailable = r.int(2) === 0;
  }
  return response;
}

interface Pending {
  at: number;
  seq: number;
  tx: number;
  timer: number;
  response?: StubResponse;
}

/** The trace of generated case `seed`, one line per call, with `impl`. */
export function trace(impl: Implementation, seed: number): string[] {
  const cr = new Prng(seed * 3 + 1);
  const behaviour = cr.pick(["glibc", "musl", "go"] as const);
  const text = genConf(cr);
  const hosts = cr.int(4) === 0 ? HOSTS : [];
  const muslVersion = cr.pick(["1.1.12", "1.2.1", "1.2.3", "1.2.5"]);
  const name = genName(cr);
  const family = cr.pick<LookupFamily>(["unspec", "unspec", "inet", "inet6"]);
  const strictErrors = cr.int(3) === 0;
  const idr = new Prng(seed * 3 + 2);
  // Colliding IDs, ordinary ones, and ones out of range (taken modulo 65536).
  const idMode = idr.int(3);
  const nextId = (): number => (idMode === 0 ? idr.int(3) : idMode === 1 ? idr.int(65536) : idr.int(70000) - 1000);
  const settings = impl.resolverSettings(behaviour, text, { muslVersion, hosts });
  const log: string[] = [JSON.stringify({ seed, behaviour, text, name, family, muslVersion, strictErrors, settings })];
  const options: LookupOptions = { nextId };
  if (family !== "unspec" || cr.int(2) === 0) options.family = family;
  if (behaviour === "go") options.strictErrors = strictErrors;
  const lookup = new impl.StubLookup(settings, name, options);

  const dr = new Prng(seed * 3 + 3);
  const queue: Pending[] = [];
  let seq = 0;
  let now = dr.int(3) * 1000;
  let maxTx = 0;
  const push = (p: Pending): void => {
    queue.push(p);
    queue.sort((a, b) => a.at - b.at || a.seq - b.seq);
  };
  const handle = (label: string, actions: StubAction[]): void => {
    log.push(`${label} -> ${JSON.stringify(actions)}`);
    for (const a of actions) {
      if (a.kind === "send") {
        maxTx = Math.max(maxTx, a.tx);
        for (let copies = dr.int(10) === 0 ? 2 : 1; copies > 0; copies--) {
          if (dr.int(6) === 0) continue; // lost
          const delay = dr.int(3) === 0 ? dr.int(3) * 1000 : dr.int(8000) * 1000;
          push({ at: now + delay, seq: seq++, tx: a.tx, timer: 0, response: genResponse(dr, a.name, a.qtype) });
        }
      } else if (a.kind === "setTimer") {
        push({ at: a.at, seq: seq++, tx: 0, timer: a.timer });
      } else if (a.kind === "cancelTimer" && dr.int(8) !== 0) {
        // Mostly honoured; sometimes the caller fires it anyway, which must be harmless.
        const i = queue.findIndex((p) => p.timer === a.timer);
        if (i >= 0) queue.splice(i, 1);
      }
    }
  };
  try {
    handle(`start ${now}`, lookup.start(now));
    for (let steps = 0; steps < 3000; steps++) {
      const k = dr.int(25);
      if (k === 0) {
        // A timer that is unknown, stale, or not due yet (which must throw).
        const timer = dr.int(5) + 1;
        handle(`stray timer ${now} ${timer}`, lookup.onTimer(now, timer));
        continue;
      }
      if (k === 1 && maxTx > 0) {
        const tx = 1 + dr.int(maxTx + 1);
        handle(`stray answer ${now} ${tx}`, lookup.onAnswer(now, tx, genResponse(dr, "x", "A")));
        continue;
      }
      const p = queue.shift();
      if (!p) break;
      now = Math.max(now, p.at);
      if (p.timer === 0) handle(`answer ${now} ${p.tx}`, lookup.onAnswer(now, p.tx, p.response as StubResponse));
      else handle(`timer ${now} ${p.timer}`, lookup.onTimer(now, p.timer));
      if (lookup.done && dr.int(3) === 0) break;
    }
  } catch (e) {
    log.push(`threw ${String(e)}`);
  }
  log.push(`done ${String(lookup.done)} ${JSON.stringify(lookup.result)}`);
  log.push(`candidates ${JSON.stringify(impl.candidateNames(settings, name))}`);
  return log;
}

/** A short digest of a trace. */
export function digest(lines: readonly string[]): string {
  return createHash("sha256").update(lines.join("\n")).digest("hex").slice(0, 16);
}

if (process.argv[1] !== undefined && import.meta.url === pathToFileURL(process.argv[1]).href) {
  const digests: string[] = [];
  for (let seed = 0; seed < TRACE_CASES; seed++) digests.push(digest(trace(resolver, seed)));
  process.stdout.write(`[\n${digests.map((d) => JSON.stringify(d)).join(",\n")}\n]\n`);
}
