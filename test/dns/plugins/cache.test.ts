/**
 * The cache plugin against shared/reference/dns.md §4.3 (and §4.1/§4.2 where cache meets forward).
 * The chain behind the cache is a fake backend whose answers each test sets; time is the
 * simulation clock, moved with runUntil.
 */
import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { Sim } from "../../../src/index.js";
import { FLAGS, hasFlag, makeQuery, makeReply, rcodeOf, type Answer, type Packet, type Rcode, type RecordType } from "../../../src/dns/message.js";
import type { DnsRequest, NextHandler, Plugin } from "../../../src/dns/plugin.js";
import { CachePlugin, cache, shardOf } from "../../../src/dns/plugins/cache.js";
import { forward } from "../../../src/dns/plugins/forward.js";
import { returnedError } from "../../../src/dns/plugins/returned-error.js";
import { directive, fakeServer, request, setup, type FakeServer, expectSetupError } from "./harness.js";

const S = 1_000_000;

function a(name: string, ttl: number, ip = "10.0.0.1"): Answer {
  return { type: "A", name, ttl, class: "IN", data: ip };
}

function soa(name: string, ttl: number): Answer {
  return { type: "SOA", name, ttl, class: "IN", data: { mname: `ns.${name}`, rname: `hostmaster.${name}`, serial: 1, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 } };
}

/** What the backend answers: the parts of a reply, or a function of the request. */
interface Answerer {
  (req: DnsRequest): Packet;
}

/** A backend behind the cache that answers at once and counts the queries it gets. */
function backend(answer: Answerer): NextHandler & { calls: DnsRequest[] } {
  const calls: DnsRequest[] = [];
  const next = ((req: DnsRequest, writer: { write(p: Packet): void }) => {
    calls.push(req);
    writer.write(answer(req));
  }) as NextHandler & { calls: DnsRequest[] };
  next.calls = calls;
  return next;
}

function reply(parts: { rcode?: Rcode; answers?: Answer[]; authorities?: Answer[]; additionals?: Answer[]; tc?: boolean; ad?: boolean }): Answerer {
  return (req) => {
    const p = makeReply(req.query, { rcode: parts.rcode ?? "NOERROR", authoritative: true, recursionAvailable: true, answers: parts.answers ?? [], authorities: parts.authorities ?? [], additionals: parts.additionals ?? [] });
    let flags = p.flags ?? 0;
    if (parts.tc) flags |= FLAGS.TC;
    if (parts.ad) flags |= FLAGS.AD;
    return { ...p, flags };
  };
}

interface Bench {
  sim: Sim;
  server: FakeServer;
  plugin: CachePlugin;
}

function bench(args: string[] = [], block: ReturnType<typeof directive>[] | null = null, seed = 1): Bench {
  const sim = new Sim({ seed });
  const server = fakeServer(sim);
  const plugin = setup(cache, server, directive("cache", args, block)) as CachePlugin;
  return { sim, server, plugin };
}

/** Asks the cache at simulated second `at` (the clock moves there first) and returns the one reply. */
function ask(b: Bench, next: NextHandler, name: string, at: number, qtype: RecordType = "A", tweak?: (req: DnsRequest) => DnsRequest): Packet {
  b.sim.runUntil(Math.round(at * S));
  let req = request(b.server, name, qtype);
  if (tweak) req = tweak(req);
  const written: Packet[] = [];
  b.plugin.serve(req, { write: (p) => written.push(p) }, next);
  expect(written).toHaveLength(1);
  const p = written[0]!;
  expect(p.id).toBe(req.query.id);
  return p;
}

const ttls = (p: Packet): number[] => [...(p.answers ?? []), ...(p.authorities ?? []), ...(p.additionals ?? []).filter((r) => r.type !== "OPT")].map((r) => (r as { ttl: number }).ttl);
const aa = (p: Packet) => hasFlag(p, FLAGS.AA);

describe("cache TTLs (dns.md §4.3)", () => {
  it("§4.3: kubernetes `ttl 0` behind cache is cached 5 s and clients see TTL 5, then 1 at 4.9 s", () => {
    const b = bench(["30"]);
    const next = backend(reply({ answers: [a("web.default.svc.cluster.local", 0)] }));
    expect(ttls(ask(b, next, "web.default.svc.cluster.local", 0))).toEqual([5]);
    expect(ttls(ask(b, next, "web.default.svc.cluster.local", 4.9))).toEqual([1]);
    expect(next.calls).toHaveLength(1);
    // At exactly 5 s the remaining TTL is 0: a miss.
    expect(ttls(ask(b, next, "web.default.svc.cluster.local", 5))).toEqual([5]);
    expect(next.calls).toHaveLength(2);
  });

  it("§4.3: `cache 30` caps a 300 s answer at 30; a hit 12 s later shows TTL 18 with AA set", () => {
    const b = bench(["30"]);
    const next = backend((req) => ({ ...reply({ answers: [a("example.com", 300)] })(req), flags: FLAGS.RA | (req.query.flags ?? 0) }));
    const miss = ask(b, next, "example.com", 100);
    expect(ttls(miss)).toEqual([30]);
    expect(aa(miss)).toBe(false); // a miss is the backend's reply, flags as they were
    const hit = ask(b, next, "example.com", 112);
    expect(ttls(hit)).toEqual([18]);
    expect(aa(hit)).toBe(true);
    expect(hasFlag(hit, FLAGS.RA)).toBe(true);
    expect(next.calls).toHaveLength(1);
    expect(ttls(ask(b, next, "example.com", 129.999))).toEqual([1]);
    ask(b, next, "example.com", 130);
    expect(next.calls).toHaveLength(2);
  });

  it("§4.3: without a TTL argument a success is capped at 3600 s", () => {
    const b = bench();
    const next = backend(reply({ answers: [a("example.com", 7200)] }));
    expect(ttls(ask(b, next, "example.com", 0))).toEqual([3600]);
    expect(ttls(ask(b, next, "example.com", 3599))).toEqual([1]);
    ask(b, next, "example.com", 3600);
    expect(next.calls).toHaveLength(2);
  });

  it("§4.3: msgTTL is the least TTL of all records, OPT excluded, and every record of the miss gets it (CNAME 30 + A 300 → 30, 30)", () => {
    const b = bench();
    const next = backend(
      reply({
        answers: [{ type: "CNAME", name: "ext.default.svc.cluster.local", ttl: 30, class: "IN", data: "example.com" }, a("example.com", 300)],
        additionals: [a("glue.example.com", 600)],
      }),
    );
    const miss = ask(b, next, "ext.default.svc.cluster.local", 0, "A", (r) => ({ ...r, query: makeQuery(r.qname, "A", { id: r.query.id!, ednsUdpSize: 1232 }) }));
    expect(ttls(miss)).toEqual([30, 30, 30]);
    // The OPT record is left alone (and mirrors the query's).
    expect(miss.additionals!.find((r) => r.type === "OPT")).toMatchObject({ udpPayloadSize: 1232 });
    expect(ttls(ask(b, next, "ext.default.svc.cluster.local", 10, "A", (r) => ({ ...r, query: makeQuery(r.qname, "A", { id: r.query.id!, ednsUdpSize: 1232 }) })))).toEqual([20, 20, 20]);
  });

  it("§4.3/§4.2: an NXDOMAIN whose SOA has TTL 30 is cached min(30, 1800) = 30 s; one with TTL 3000 is capped at the denial max 1800", () => {
    const b = bench();
    const next = backend((req) => reply({ rcode: "NXDOMAIN", authorities: [soa("example.com", req.name.startsWith("long") ? 3000 : 30)] })(req));
    const miss = ask(b, next, "nope.example.com", 0);
    expect(rcodeOf(miss)).toBe("NXDOMAIN");
    expect(ttls(miss)).toEqual([30]);
    const hit = ask(b, next, "nope.example.com", 29);
    expect(rcodeOf(hit)).toBe("NXDOMAIN");
    expect(ttls(hit)).toEqual([1]);
    expect(next.calls).toHaveLength(1);
    ask(b, next, "nope.example.com", 30);
    expect(next.calls).toHaveLength(2);
    expect(ttls(ask(b, next, "long.example.com", 40))).toEqual([1800]);
  });

  it("§4.3: `cache 30` sets the denial max too: an NXDOMAIN with SOA TTL 300 is cached 30 s", () => {
    const b = bench(["30"]);
    const next = backend(reply({ rcode: "NXDOMAIN", authorities: [soa("example.com", 300)] }));
    expect(ttls(ask(b, next, "nope.example.com", 0))).toEqual([30]);
  });

  it("§4.3: for a denial msgTTL is the SOA record's own TTL, not the least of all records", () => {
    const b = bench();
    const next = backend(reply({ rcode: "NXDOMAIN", answers: [{ type: "CNAME", name: "alias.example.com", ttl: 10, class: "IN", data: "gone.example.com" }], authorities: [soa("example.com", 60)] }));
    expect(ttls(ask(b, next, "alias.example.com", 0))).toEqual([60, 60]);
  });

  it("§4.3: NODATA (NOERROR + SOA) goes to the denial cache with min TTL 5 and denial MINTTL applies", () => {
    const b = bench([], [directive("denial", ["9984", "1800", "20"], null, 2)]);
    const next = backend(reply({ authorities: [soa("example.com", 1)] }));
    expect(ttls(ask(b, next, "example.com", 0, "AAAA"))).toEqual([20]);
    expect(ttls(ask(b, next, "example.com", 19, "AAAA"))).toEqual([1]);
    expect(next.calls).toHaveLength(1);
    expect(b.plugin.negative.size).toBe(1);
    expect(b.plugin.positive.size).toBe(0);
  });

  it("§4.3: success MINTTL raises a 1 s answer to the minimum; an empty NOERROR counts as 5 s", () => {
    const b = bench([], [directive("success", ["9984", "3600", "60"], null, 2)]);
    const next = backend((req) => reply({ answers: req.qtype === "A" ? [a(req.qname, 1)] : [] })(req));
    expect(ttls(ask(b, next, "example.com", 0))).toEqual([60]);
    const empty = bench();
    const nx = backend(reply({}));
    ask(empty, nx, "example.com", 0);
    ask(empty, nx, "example.com", 4.5);
    expect(nx.calls).toHaveLength(1);
    ask(empty, nx, "example.com", 5);
    expect(nx.calls).toHaveLength(2);
  });

  it("§4.3: SERVFAIL and NOTIMP are cached 5 s by default, with the rcode kept on the hit", () => {
    for (const rcode of ["SERVFAIL", "NOTIMP"] as const) {
      const b = bench(["30"]);
      const next = backend(reply({ rcode }));
      ask(b, next, "broken.example.com", 0);
      const hit = ask(b, next, "broken.example.com", 4.9);
      expect(rcodeOf(hit)).toBe(rcode);
      expect(aa(hit)).toBe(true);
      expect(next.calls).toHaveLength(1);
      ask(b, next, "broken.example.com", 5);
      expect(next.calls).toHaveLength(2);
    }
  });

  it("§4.3: `servfail 0` stops SERVFAIL caching; `servfail 2s` caches it 2 s", () => {
    const off = bench([], [directive("servfail", ["0"], null, 2)]);
    const next = backend(reply({ rcode: "SERVFAIL" }));
    ask(off, next, "broken.example.com", 0);
    ask(off, next, "broken.example.com", 1);
    expect(next.calls).toHaveLength(2);
    const two = bench([], [directive("servfail", ["2s"], null, 2)]);
    const next2 = backend(reply({ rcode: "SERVFAIL" }));
    ask(two, next2, "broken.example.com", 0);
    ask(two, next2, "broken.example.com", 1.9);
    expect(next2.calls).toHaveLength(1);
    ask(two, next2, "broken.example.com", 2);
    expect(next2.calls).toHaveLength(2);
  });

  it("§4.3: REFUSED, FORMERR and an NXDOMAIN without SOA are not cached", () => {
    for (const parts of [{ rcode: "REFUSED" as const }, { rcode: "FORMERR" as const }, { rcode: "NXDOMAIN" as const }]) {
      const b = bench();
      const next = backend(reply(parts));
      ask(b, next, "x.example.com", 0);
      ask(b, next, "x.example.com", 1);
      expect(next.calls).toHaveLength(2);
    }
  });

  it("§4.3: a truncated reply is not cached, though its TTLs are still capped", () => {
    const b = bench(["30"]);
    const next = backend(reply({ answers: [a("big.example.com", 300)], tc: true }));
    expect(ttls(ask(b, next, "big.example.com", 0))).toEqual([30]);
    ask(b, next, "big.example.com", 1);
    expect(next.calls).toHaveLength(2);
  });

  it("§3.4/§4.3: `disable success cluster.local` keeps cluster answers out of the cache but still rewrites their TTLs; other zones are cached", () => {
    const b = bench(["30"], [directive("disable", ["success", "cluster.local"], null, 2), directive("disable", ["denial", "cluster.local"], null, 3)]);
    const next = backend((req) =>
      req.name.endsWith("cluster.local.") && req.name.startsWith("nope") ? reply({ rcode: "NXDOMAIN", authorities: [soa("cluster.local", 30)] })(req) : reply({ answers: [a(req.qname, req.name.endsWith("cluster.local.") ? 10 : 300)] })(req),
    );
    expect(ttls(ask(b, next, "web.default.svc.cluster.local", 0))).toEqual([10]);
    ask(b, next, "web.default.svc.cluster.local", 1);
    ask(b, next, "nope.default.svc.cluster.local", 1);
    ask(b, next, "nope.default.svc.cluster.local", 2);
    expect(next.calls).toHaveLength(4);
    expect(ttls(ask(b, next, "example.com", 2))).toEqual([30]);
    expect(ttls(ask(b, next, "example.com", 3))).toEqual([29]);
    expect(next.calls).toHaveLength(5);
  });

  it("§4.3: `disable success` without zones disables success caching everywhere, denial still cached", () => {
    const b = bench([], [directive("disable", ["success"], null, 2)]);
    const next = backend((req) => (req.name.startsWith("nope") ? reply({ rcode: "NXDOMAIN", authorities: [soa("example.com", 30)] })(req) : reply({ answers: [a(req.qname, 60)] })(req)));
    ask(b, next, "www.example.com", 0);
    ask(b, next, "www.example.com", 1);
    ask(b, next, "nope.example.com", 1);
    ask(b, next, "nope.example.com", 2);
    expect(next.calls.map((c) => c.name)).toEqual(["www.example.com.", "www.example.com.", "nope.example.com."]);
  });

  it("§4.3: `cache [TTL] ZONES` caches only those zones; other names pass through untouched", () => {
    const b = bench(["30", "example.org"]);
    const next = backend((req) => reply({ answers: [a(req.qname, 300)] })(req));
    expect(ttls(ask(b, next, "other.com", 0))).toEqual([300]);
    ask(b, next, "other.com", 1);
    expect(ttls(ask(b, next, "www.example.org", 1))).toEqual([30]);
    ask(b, next, "www.example.org", 2);
    expect(next.calls).toHaveLength(3);
  });
});

describe("cache hits and keys (dns.md §4.3)", () => {
  it("§4.3: the key is case-insensitive; the hit carries the new query's id and question as asked", () => {
    const b = bench();
    const next = backend(reply({ answers: [a("www.example.com", 60)] }));
    ask(b, next, "www.example.com", 0);
    const hit = ask(b, next, "WWW.Example.COM", 1);
    expect(hit.questions![0]!.name).toBe("WWW.Example.COM");
    expect(ttls(hit)).toEqual([59]);
    expect(next.calls).toHaveLength(1);
  });

  it("§4.3: the key holds qtype, the DO bit and the CD bit", () => {
    const b = bench();
    const next = backend((req) => reply({ answers: [a(req.qname, 60)] })(req));
    ask(b, next, "www.example.com", 0);
    ask(b, next, "www.example.com", 0, "AAAA");
    ask(b, next, "www.example.com", 0, "A", (r) => ({ ...r, query: makeQuery(r.qname, "A", { id: r.query.id!, ednsUdpSize: 1232, dnssecOk: true }) }));
    ask(b, next, "www.example.com", 0, "A", (r) => ({ ...r, query: { ...r.query, flags: (r.query.flags ?? 0) | FLAGS.CD } }));
    expect(next.calls).toHaveLength(4);
    // Each of the four is now a hit.
    ask(b, next, "www.example.com", 1);
    ask(b, next, "www.example.com", 1, "AAAA");
    ask(b, next, "www.example.com", 1, "A", (r) => ({ ...r, query: makeQuery(r.qname, "A", { id: r.query.id!, ednsUdpSize: 1232, dnssecOk: true }) }));
    ask(b, next, "www.example.com", 1, "A", (r) => ({ ...r, query: { ...r.query, flags: (r.query.flags ?? 0) | FLAGS.CD } }));
    expect(next.calls).toHaveLength(4);
  });

  it("§4.3: a hit clears AD unless the query had DO or AD", () => {
    const b = bench();
    const next = backend(reply({ answers: [a("www.example.com", 60)], ad: true }));
    const miss = ask(b, next, "www.example.com", 0);
    expect(hasFlag(miss, FLAGS.AD)).toBe(false);
    expect(hasFlag(ask(b, next, "www.example.com", 1), FLAGS.AD)).toBe(false);
    expect(hasFlag(ask(b, next, "www.example.com", 1, "A", (r) => ({ ...r, query: { ...r.query, flags: (r.query.flags ?? 0) | FLAGS.AD } })), FLAGS.AD)).toBe(true);
  });

  it("§4.3: a reply whose question is not the query's is written but not stored", () => {
    const b = bench();
    const next = backend((req) => makeReply({ ...req.query, questions: [{ name: "other.example.com", type: "A", class: "IN" }] }, { answers: [a("other.example.com", 60)] }));
    ask(b, next, "www.example.com", 0);
    ask(b, next, "www.example.com", 1);
    expect(next.calls).toHaveLength(2);
  });

  it("§4.3: `keepttl` serves hits with the full duration", () => {
    const b = bench(["30"], [directive("keepttl", [], null, 2)]);
    const next = backend(reply({ answers: [a("www.example.com", 300)] }));
    ask(b, next, "www.example.com", 0);
    expect(ttls(ask(b, next, "www.example.com", 20))).toEqual([30]);
    ask(b, next, "www.example.com", 30);
    expect(next.calls).toHaveLength(2);
  });

  it("§4.2: each server block has its own cache", () => {
    const sim = new Sim({ seed: 1 });
    const server = fakeServer(sim);
    const one = setup(cache, server, directive("cache", ["30"]), { zones: ["."] })!;
    const two = setup(cache, server, directive("cache", ["30"]), { zones: ["."] })!;
    const next = backend(reply({ answers: [a("www.example.com", 300)] }));
    const run = (p: Plugin) => p.serve(request(server, "www.example.com"), { write() {} }, next);
    run(one);
    run(one);
    run(two);
    expect(next.calls).toHaveLength(2);
  });

  it("property §4.3: a hit never shows a TTL above the original duration, and TTLs only decrease", () => {
    fc.assert(
      fc.property(
        fc.integer({ min: 0, max: 5000 }),
        fc.option(fc.integer({ min: 1, max: 4000 }), { nil: undefined }),
        fc.array(fc.integer({ min: 1, max: 600_000 }), { minLength: 1, maxLength: 30 }),
        (recordTtl, maxTtl, gaps) => {
          const b = bench(maxTtl === undefined ? [] : [String(maxTtl)]);
          const next = backend(reply({ answers: [a("www.example.com", recordTtl)] }));
          const first = ttls(ask(b, next, "www.example.com", 0))[0]!;
          // msgTTL itself is capped at 3600 (dnsutil.MaximumDefaulTTL), whatever `cache TTL` says.
          expect(first).toBe(Math.min(Math.max(Math.min(recordTtl, 3600), 5), maxTtl ?? 3600));
          let t = 0;
          let last = first;
          let calls = 1;
          for (const gap of gaps) {
            t += gap / 1000;
            const p = ask(b, next, "www.example.com", t);
            const ttl = ttls(p)[0]!;
            if (next.calls.length > calls) {
              // A miss starts a new entry with the full duration.
              calls = next.calls.length;
              expect(ttl).toBe(first);
            } else {
              expect(ttl).toBeLessThanOrEqual(last);
              expect(ttl).toBeGreaterThanOrEqual(1);
              expect(ttl).toBeLessThanOrEqual(first);
            }
            last = ttl;
          }
        },
      ),
      { numRuns: 150 },
    );
  });
});

describe("cache capacity (dns.md §4.3)", () => {
  /** Names that fall in one shard. */
  function sameShard(count: number): string[] {
    const names: string[] = [];
    const target = shardOf("n0.example.com.", "A", false, false);
    for (let i = 0; names.length < count; i++) if (shardOf(`n${i}.example.com.`, "A", false, false) === target) names.push(`n${i}.example.com`);
    return names;
  }

  /** Asks the first four names again until one is a miss: the one the fifth evicted. */
  function evictedOf(b: Bench, next: NextHandler & { calls: DnsRequest[] }, names: string[]): string | undefined {
    for (const n of names.slice(0, 4)) {
      const before = next.calls.length;
      ask(b, next, n, 1);
      if (next.calls.length > before) return n;
    }
    return undefined;
  }

  it("§4.3: the shard is the low byte of CoreDNS's FNV-1 hash (known value for example.org. A)", () => {
    // hash("example.org.", A, do=false, cd=false) in Go: fnv.New64 over "0","0",0x00,0x01,"example.org."; computed by hand below.
    const fnv1 = (bytes: number[]): bigint => {
      let h = 0xcbf29ce484222325n;
      for (const byte of bytes) h = ((h * 0x100000001b3n) & 0xffffffffffffffffn) ^ BigInt(byte);
      return h;
    };
    for (const name of ["example.org.", "www.example.com.", "web.default.svc.cluster.local."]) {
      for (const [doBit, cd] of [[false, false], [true, false], [false, true]] as const) {
        const bytes = [doBit ? 0x31 : 0x30, cd ? 0x31 : 0x30, 0, 28, ...Buffer.from(name)];
        expect(shardOf(name, "AAAA", doBit, cd)).toBe(Number(fnv1(bytes) & 0xffn));
      }
    }
  });

  it("§4.3: a name with characters beyond ASCII is hashed over its UTF-8 bytes", () => {
    const fnv1 = (bytes: number[]): bigint => {
      let h = 0xcbf29ce484222325n;
      for (const byte of bytes) h = ((h * 0x100000001b3n) & 0xffffffffffffffffn) ^ BigInt(byte);
      return h;
    };
    for (const name of ["bücher.example.", "日本.example.", "x\u00ff.example."]) {
      expect(shardOf(name, "A", false, false)).toBe(Number(fnv1([0x30, 0x30, 0, 1, ...Buffer.from(name, "utf8")]) & 0xffn));
    }
  });

  it("§4.3: `success 1024` makes shards of 4; a fifth name in a full shard evicts one entry at random", () => {
    const b = bench([], [directive("success", ["1024"], null, 2)]);
    expect(b.plugin.positive.shardSize).toBe(4);
    const next = backend((req) => reply({ answers: [a(req.qname, 300)] })(req));
    const names = sameShard(5);
    for (const n of names) ask(b, next, n, 0);
    expect(b.plugin.positive.size).toBe(4);
    ask(b, next, names[4]!, 1);
    expect(next.calls).toHaveLength(5); // the newest is a hit
    expect(evictedOf(b, next, names)).toBeDefined();
    expect(next.calls).toHaveLength(6);
  });

  it("§4.3: eviction is random but deterministic: the same seed evicts the same entry, and some seed evicts another", () => {
    const evicted = (seed: number): string => {
      const b = bench([], [directive("success", ["1024"], null, 2)], seed);
      const next = backend((req) => reply({ answers: [a(req.qname, 300)] })(req));
      const names = sameShard(5);
      for (const n of names) ask(b, next, n, 0);
      return evictedOf(b, next, names)!;
    };
    expect(evicted(7)).toBe(evicted(7));
    const victims = new Set([1, 2, 3, 4, 5, 6, 7, 8].map(evicted));
    expect(victims.size).toBeGreaterThan(1);
  });

  it("§4.3: by default a shard holds 39 entries (capacity 10000 / 256); a small CAPACITY still gives 4", () => {
    const b = bench();
    expect(b.plugin.positive.shardSize).toBe(39);
    expect(b.plugin.negative.shardSize).toBe(39);
    const next = backend((req) => reply({ answers: [a(req.qname, 300)] })(req));
    const names = sameShard(40);
    for (const n of names.slice(0, 39)) ask(b, next, n, 0);
    expect(b.plugin.positive.size).toBe(39);
    ask(b, next, names[39]!, 0);
    expect(b.plugin.positive.size).toBe(39);
    expect(bench([], [directive("denial", ["10"], null, 2)]).plugin.negative.shardSize).toBe(4);
  });
});

describe("cache serve_stale and prefetch (dns.md §4.3)", () => {
  function changing(): NextHandler & { calls: DnsRequest[]; ip: string; fail: boolean } {
    const next = backend((req) => (next.fail ? returnedError(req.query, "SERVFAIL", "read udp: i/o timeout") : reply({ answers: [a(req.qname, 30, next.ip)] })(req))) as NextHandler & { calls: DnsRequest[]; ip: string; fail: boolean };
    next.ip = "10.0.0.1";
    next.fail = false;
    return next;
  }
  const ip = (p: Packet) => (p.answers![0] as { data: string }).data;

  it("§4.3: serve_stale (immediate): an expired entry is served with TTL 0 and refreshed in the background over TCP", () => {
    const b = bench([], [directive("serve_stale", ["10s"], null, 2)]);
    const next = changing();
    ask(b, next, "www.example.com", 0);
    next.ip = "10.0.0.2";
    const stale = ask(b, next, "www.example.com", 31);
    expect(ip(stale)).toBe("10.0.0.1");
    expect(ttls(stale)).toEqual([0]);
    expect(aa(stale)).toBe(true);
    expect(next.calls).toHaveLength(2);
    expect(next.calls[1]!.transport).toBe("tcp");
    const fresh = ask(b, next, "www.example.com", 31.5);
    expect(ip(fresh)).toBe("10.0.0.2");
    expect(ttls(fresh)).toEqual([30]);
    expect(next.calls).toHaveLength(2);
  });

  it("§4.3: serve_stale: beyond the stale window the entry is a miss", () => {
    const b = bench([], [directive("serve_stale", ["10s"], null, 2)]);
    const next = changing();
    ask(b, next, "www.example.com", 0);
    next.ip = "10.0.0.2";
    // 39.9 s: expired 9 s ago (whole seconds) → stale; 40 s: expired 10 s ago → miss.
    expect(ttls(ask(b, next, "www.example.com", 39.9))).toEqual([0]);
    const b2 = bench([], [directive("serve_stale", ["10s"], null, 2)]);
    const next2 = changing();
    ask(b2, next2, "www.example.com", 0);
    next2.ip = "10.0.0.2";
    const miss = ask(b2, next2, "www.example.com", 40);
    expect(ip(miss)).toBe("10.0.0.2");
    expect(ttls(miss)).toEqual([30]);
    expect(next2.calls[1]!.transport).toBe("udp");
  });

  it("§4.3: serve_stale: at exactly its duration an entry is served with TTL 0 and no refresh (remaining TTL 0 is not < 0)", () => {
    const b = bench([], [directive("serve_stale", [], null, 2)]);
    const next = changing();
    ask(b, next, "www.example.com", 0);
    expect(ttls(ask(b, next, "www.example.com", 30))).toEqual([0]);
    expect(next.calls).toHaveLength(1);
  });

  it("§4.3: serve_stale verify: the chain is asked first; its NOERROR answer is served, a failure serves the stale entry", () => {
    const b = bench([], [directive("serve_stale", ["1h", "verify"], null, 2)]);
    const next = changing();
    ask(b, next, "www.example.com", 0);
    next.fail = true;
    const stale = ask(b, next, "www.example.com", 100);
    expect(ip(stale)).toBe("10.0.0.1");
    expect(ttls(stale)).toEqual([0]);
    expect(next.calls).toHaveLength(2);
    expect(next.calls[1]!.transport).toBe("udp");
    next.fail = false;
    next.ip = "10.0.0.3";
    const fresh = ask(b, next, "www.example.com", 200);
    expect(ip(fresh)).toBe("10.0.0.3");
    expect(ttls(fresh)).toEqual([30]);
    expect(ttls(ask(b, next, "www.example.com", 210))).toEqual([20]);
    expect(next.calls).toHaveLength(3);
  });

  it("§4.3: prefetch 2 1m 50%: an entry hit twice is refreshed once its remaining TTL is ≤ ⌈50% × 10⌉ = 5", () => {
    const b = bench([], [directive("prefetch", ["2", "1m", "50%"], null, 2)]);
    const next = backend((req) => reply({ answers: [a(req.qname, 10, `10.0.0.${next.calls.length}`)] })(req));
    ask(b, next, "www.example.com", 0);
    ask(b, next, "www.example.com", 1); // hits 1, remaining 9
    ask(b, next, "www.example.com", 4); // hits 2, remaining 6 > 5
    expect(next.calls).toHaveLength(1);
    const hit = ask(b, next, "www.example.com", 5); // hits 3, remaining 5 ≤ 5: prefetch
    expect(ttls(hit)).toEqual([5]);
    expect(next.calls).toHaveLength(2);
    expect(next.calls[1]!.transport).toBe("tcp");
    const after = ask(b, next, "www.example.com", 5.5);
    expect(ttls(after)).toEqual([10]);
    expect(ip(after)).toBe("10.0.0.2");
  });

  it("§4.3: a prefetch that turns a cached NXDOMAIN into an answer drops the denial entry, so the answer is served next", () => {
    const b = bench([], [directive("prefetch", ["1", "1m", "50%"], null, 2)]);
    let exists = false;
    const next = backend((req) => (exists ? reply({ answers: [a(req.qname, 10)] })(req) : reply({ rcode: "NXDOMAIN", authorities: [soa("example.com", 10)] })(req)));
    ask(b, next, "new.example.com", 0);
    exists = true;
    expect(rcodeOf(ask(b, next, "new.example.com", 5))).toBe("NXDOMAIN"); // remaining 5 ≤ 5: prefetch
    expect(next.calls).toHaveLength(2);
    const after = ask(b, next, "new.example.com", 5.5);
    expect(rcodeOf(after)).toBe("NOERROR");
    expect(ttls(after)).toEqual([10]);
    expect(b.plugin.negative.size).toBe(0);
  });

  it("§4.3: prefetch counts only hits with gaps ≤ DURATION", () => {
    const b = bench([], [directive("prefetch", ["2", "1s", "50%"], null, 2)]);
    const next = backend((req) => reply({ answers: [a(req.qname, 10)] })(req));
    ask(b, next, "www.example.com", 0);
    ask(b, next, "www.example.com", 1);
    ask(b, next, "www.example.com", 6); // gap 5 s > 1 s: hits back to 1
    ask(b, next, "www.example.com", 8); // gap 2 s: hits 1 again
    expect(next.calls).toHaveLength(1);
    ask(b, next, "www.example.com", 8.5); // gap 0.5 s: hits 2, remaining 2 ≤ 5
    expect(next.calls).toHaveLength(2);
  });

  it("§4.3: prefetch's threshold is Go's float64 ⌈14/100 × 50⌉ = ⌈7.000000000000001⌉ = 8, so a 50 s entry is refreshed at remaining 8", () => {
    const b = bench([], [directive("prefetch", ["1", "1m", "14%"], null, 2)]);
    const next = backend((req) => reply({ answers: [a(req.qname, 50)] })(req));
    ask(b, next, "www.example.com", 0);
    ask(b, next, "www.example.com", 41); // remaining 9
    expect(next.calls).toHaveLength(1);
    ask(b, next, "www.example.com", 42); // remaining 8
    expect(next.calls).toHaveLength(2);
  });
});

describe("cache with forward (dns.md §4.1, §4.3)", () => {
  it("§4.1: forward's own SERVFAIL (upstreams exhausted) is not cached, an upstream's SERVFAIL reply is cached 5 s", () => {
    const sim = new Sim({ seed: 3 });
    let mode: "timeout" | "servfail" = "timeout";
    const server = fakeServer(sim, {
      exchange: (_u, query) => (mode === "timeout" ? undefined : { reply: makeReply(query, { rcode: "SERVFAIL" }), after: 1000 }),
    });
    const zones = ["."];
    const c = setup(cache, server, directive("cache", ["30"]), { zones })!;
    const f = setup(forward, server, directive("forward", [".", "192.0.2.53"], [directive("max_fails", ["0"], null, 2)]), { zones })!;
    const chain: NextHandler = (req, w) => c.serve(req, w, (r2, w2) => f.serve(r2, w2, () => {}));
    const got: Packet[] = [];
    chain(request(server, "www.example.com"), { write: (p) => got.push(p) });
    sim.runUntilIdle();
    expect(rcodeOf(got[0]!)).toBe("SERVFAIL");
    expect(server.exchanges).toHaveLength(3); // 0, 2, 4 s
    mode = "servfail";
    chain(request(server, "www.example.com"), { write: (p) => got.push(p) });
    sim.runUntilIdle();
    expect(server.exchanges).toHaveLength(4); // not a hit: the first SERVFAIL was not stored
    chain(request(server, "www.example.com"), { write: (p) => got.push(p) });
    sim.runUntilIdle();
    expect(server.exchanges).toHaveLength(4); // the upstream's SERVFAIL is
    expect(got.map(rcodeOf)).toEqual(["SERVFAIL", "SERVFAIL", "SERVFAIL"]);
    expect(hasFlag(got[2]!, FLAGS.AA)).toBe(true);
  });
});

describe("cache setup errors", () => {
  const cases: [string, string[], ReturnType<typeof directive>[] | null, RegExp][] = [
    ["a zero TTL", ["0"], null, /cache TTL can not be zero or negative: 0/],
    ["a negative TTL", ["-5"], null, /zero or negative/],
    ["success without CAPACITY", [], [directive("success", [], null, 3)], /success CAPACITY/],
    ["a non-numeric CAPACITY", [], [directive("denial", ["lots"], null, 3)], /CAPACITY must be a whole number/],
    ["a zero success TTL", [], [directive("success", ["1000", "0"], null, 3)], /zero or negative/],
    ["a negative MINTTL", [], [directive("denial", ["1000", "60", "-1"], null, 3)], /min TTL can not be negative/],
    ["a prefetch percentage out of range", [], [directive("prefetch", ["2", "1m", "5%"], null, 3)], /range \[10, 90\]: 5/],
    ["a prefetch percentage without %", [], [directive("prefetch", ["2", "1m", "50"], null, 3)], /last character of percentage/],
    ["a negative prefetch amount", [], [directive("prefetch", ["-1"], null, 3)], /prefetch amount should be positive/],
    ["a bad serve_stale mode", [], [directive("serve_stale", ["1h", "sometimes"], null, 3)], /refresh mode: sometimes/],
    ["a bad serve_stale duration", [], [directive("serve_stale", ["soon"], null, 3)], /invalid duration/],
    ["servfail over 5 minutes", [], [directive("servfail", ["6m"], null, 3)], /over 5 minutes/],
    ["disable of an unknown cache", [], [directive("disable", ["everything"], null, 3)], /must be "success" or "denial"/],
    ["keepttl with an argument", [], [directive("keepttl", ["yes"], null, 3)], /keepttl takes no arguments/],
    ["an unknown property", [], [directive("sucess", ["1000"], null, 3)], /unknown property "sucess"/],
  ];
  for (const [what, args, block, message] of cases) {
    it(`rejects ${what}, naming the line and column`, () => expectSetupError(cache, args, block, message));
  }

  it("accepts the kubeadm Corefile's cache block (§3.4)", () => {
    const b = bench(["30"], [directive("disable", ["success", "cluster.local"], null, 2), directive("disable", ["denial", "cluster.local"], null, 3)]);
    expect(b.plugin.config.success.maxTtl).toBe(30);
    expect(b.plugin.config.denial.maxTtl).toBe(30);
    expect(b.plugin.config.successExcept).toEqual(["cluster.local."]);
  });
});

describe("cache once per block", () => {
  it("§4.3: a second cache directive in a server block is an error at its line (plugin.ErrOnce)", () => {
    const sim = new Sim({ seed: 1 });
    const server = fakeServer(sim);
    const one = directive("cache", ["30"], null, 2);
    const two = directive("cache", ["60"], null, 7);
    expect(() => setup(cache, server, one, { serverDirectives: [one, directive("errors", [], null, 3), two] })).toThrow(/^Corefile:7:5: cache: this plugin can only be used once per Server Block$/);
  });
});
