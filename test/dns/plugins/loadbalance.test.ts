import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Sim } from "../../../src/index.js";
import { CorefileError } from "../../../src/dns/corefile.js";
import { makeReply, type Answer, type Packet } from "../../../src/dns/message.js";
import type { NextHandler } from "../../../src/dns/plugin.js";
import { loadbalance, roundRobin } from "../../../src/dns/plugins/loadbalance.js";
import { returnedError, returnedErrorOf } from "../../../src/dns/plugins/returned-error.js";
import { directive, fakeServer, request, serve, setup } from "./harness.js";

const a = (ip: string): Answer => ({ type: "A", name: "web.default.svc.cluster.local", ttl: 5, class: "IN", data: ip });
const aaaa = (ip: string): Answer => ({ type: "AAAA", name: "web.default.svc.cluster.local", ttl: 5, class: "IN", data: ip });
const cname: Answer = { type: "CNAME", name: "www.example.org", ttl: 5, class: "IN", data: "web.default.svc.cluster.local" };
const txt: Answer = { type: "TXT", name: "web.default.svc.cluster.local", ttl: 5, class: "IN", data: ["hi"] };
const mx = (pref: number): Answer => ({ type: "MX", name: "example.org", ttl: 5, class: "IN", data: { preference: pref, exchange: `mx${pref}.example.org` } });

function bench(seed = 1, args: string[] = [], block: ReturnType<typeof directive>[] | null = null) {
  const sim = new Sim({ seed });
  const server = fakeServer(sim);
  const plugin = setup(loadbalance, server, directive("loadbalance", args, block))!;
  return { sim, server, plugin };
}

function answering(parts: Parameters<typeof makeReply>[1]): NextHandler {
  return (r, w) => w.write(makeReply(r.query, parts));
}

function once(b: ReturnType<typeof bench>, parts: Parameters<typeof makeReply>[1]): Packet {
  return serve(b.plugin, request(b.server, "web.default.svc.cluster.local"), answering(parts), b.sim)[0]!;
}

const ips = (rrs: readonly Answer[] | undefined) => (rrs ?? []).map((r) => (r as { data: unknown }).data);

describe("loadbalance round_robin (dns.md §4.5)", () => {
  it("§4.5 CNAMEs come first, other types keep their order, then the addresses", () => {
    const b = bench();
    for (let i = 0; i < 20; i++) {
      const reply = once(b, { answers: [a("10.0.0.1"), txt, cname, aaaa("fd00::1"), a("10.0.0.2")] });
      expect(reply.answers!.map((r) => r.type).slice(0, 2)).toEqual(["CNAME", "TXT"]);
      expect(reply.answers!.slice(2).map((r) => r.type).sort()).toEqual(["A", "A", "AAAA"]);
    }
  });

  it("§4.5 MX records are shuffled after the addresses", () => {
    const b = bench();
    const seen = new Set<string>();
    for (let i = 0; i < 50; i++) {
      const reply = once(b, { answers: [mx(10), mx(20), a("10.0.0.1")] });
      expect(reply.answers!.map((r) => r.type)).toEqual(["A", "MX", "MX"]);
      seen.add(JSON.stringify(ips(reply.answers!.slice(1))));
    }
    expect(seen.size).toBe(2);
  });

  it("§4.5 two records swap with probability 1/2", () => {
    const b = bench(7);
    let swapped = 0;
    const n = 4000;
    for (let i = 0; i < n; i++) if (ips(once(b, { answers: [a("10.0.0.1"), a("10.0.0.2")] }).answers)[0] === "10.0.0.2") swapped++;
    expect(swapped).toBeGreaterThan(n * 0.45);
    expect(swapped).toBeLessThan(n * 0.55);
  });

  it("§4.5 more records: every permutation appears, each about equally often (Fisher–Yates)", () => {
    const b = bench(11);
    const counts = new Map<string, number>();
    const n = 6000;
    for (let i = 0; i < n; i++) {
      const key = ips(once(b, { answers: [a("10.0.0.1"), a("10.0.0.2"), a("10.0.0.3")] }).answers).join(" ");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) {
      expect(c).toBeGreaterThan((n / 6) * 0.8);
      expect(c).toBeLessThan((n / 6) * 1.2);
    }
  });

  it("§4.5 the shuffle is uniform: 60000 shuffles of 3 addresses, each order within 5% of 1/6", () => {
    const rng = new Sim({ seed: 21 }).rng.stream("uniformity");
    const counts = new Map<string, number>();
    const n = 60_000;
    const section = [a("10.0.0.1"), a("10.0.0.2"), a("10.0.0.3")];
    for (let i = 0; i < n; i++) {
      const key = ips(roundRobin(section, rng)).join(" ");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    // A swap-with-any-position shuffle gives 4/27 and 5/27: 11% off.
    for (const c of counts.values()) expect(Math.abs(c / (n / 6) - 1)).toBeLessThan(0.05);
  });

  it("§4.5 authority and additional sections are shuffled too", () => {
    const b = bench(3);
    const firstAdditional = new Set<unknown>();
    const firstAuthority = new Set<unknown>();
    for (let i = 0; i < 40; i++) {
      const reply = once(b, { answers: [txt], authorities: [a("10.0.1.1"), a("10.0.1.2")], additionals: [a("10.0.2.1"), a("10.0.2.2"), a("10.0.2.3")] });
      firstAuthority.add(ips(reply.authorities)[0]);
      firstAdditional.add(ips(reply.additionals)[0]);
    }
    expect(firstAuthority.size).toBe(2);
    expect(firstAdditional.size).toBe(3);
  });

  it("the same seed gives the same orders; another seed other orders", () => {
    const orders = (seed: number) => {
      const b = bench(seed);
      return Array.from({ length: 30 }, () => ips(once(b, { answers: [a("10.0.0.1"), a("10.0.0.2"), a("10.0.0.3"), a("10.0.0.4")] }).answers).join(" "));
    };
    expect(orders(42)).toEqual(orders(42));
    expect(orders(42)).not.toEqual(orders(43));
  });

  it("draws from the server's loadbalance stream, never Math.random", () => {
    const b = bench(5);
    const before = b.server.rng.stream("loadbalance").draws;
    const original = Math.random;
    Math.random = () => {
      throw new Error("Math.random called");
    };
    try {
      once(b, { answers: [a("10.0.0.1"), a("10.0.0.2"), a("10.0.0.3")] });
    } finally {
      Math.random = original;
    }
    expect(b.server.rng.stream("loadbalance").draws).toBeGreaterThan(before);
  });

  it("§4.5 replies other than NOERROR pass untouched", () => {
    const b = bench();
    for (const rcode of ["NXDOMAIN", "SERVFAIL", "REFUSED"] as const) {
      for (let i = 0; i < 10; i++) {
        const reply = once(b, { rcode, answers: [a("10.0.0.1"), a("10.0.0.2"), cname], additionals: [a("10.0.2.1"), a("10.0.2.2")] });
        expect(ips(reply.answers)).toEqual(["10.0.0.1", "10.0.0.2", "web.default.svc.cluster.local"]);
        expect(ips(reply.additionals)).toEqual(["10.0.2.1", "10.0.2.2"]);
      }
    }
  });

  it("§4.5 prefer: addresses in the given CIDRs first, in CIDR order", () => {
    const b = bench(9, [], [directive("prefer", ["10.0.0.0/8", "fd00::/8"], null, 2)]);
    for (let i = 0; i < 30; i++) {
      const reply = once(b, { answers: [a("192.168.1.1"), aaaa("fd00::5"), a("172.16.0.1"), a("10.1.1.1"), cname] });
      expect(ips(reply.answers).slice(0, 3)).toEqual(["web.default.svc.cluster.local", "10.1.1.1", "fd00::5"]);
    }
  });

  it("§4.5 property: each section comes out as a permutation of what went in, CNAMEs first", () => {
    const record = fc.oneof(
      fc.ipV4().map(a),
      fc.constantFrom(aaaa("fd00::1"), aaaa("fd00::2")),
      fc.constant(cname),
      fc.constant(txt),
      fc.integer({ min: 0, max: 50 }).map(mx),
    );
    const sim = new Sim({ seed: 1 });
    const rng = sim.rng.stream("property");
    fc.assert(
      fc.property(fc.array(record, { maxLength: 12 }), (section) => {
        const out = roundRobin(section, rng);
        expect(out).toHaveLength(section.length);
        const key = (r: Answer) => JSON.stringify(r);
        expect(out.map(key).sort()).toEqual(section.map(key).sort());
        const firstOther = out.findIndex((r) => r.type !== "CNAME");
        if (firstOther >= 0) expect(out.slice(firstOther).some((r) => r.type === "CNAME")).toBe(false);
      }),
      { numRuns: 300 },
    );
  });
});

describe("loadbalance arguments (CorefileError with line and column)", () => {
  const sim = new Sim({ seed: 1 });
  const server = fakeServer(sim);
  const cases: [string, string[], ReturnType<typeof directive>[] | null, RegExp, number][] = [
    ["weighted", ["weighted", "/etc/weights"], null, /weighted policy is not supported by mcsim/, 1],
    ["unknown policy", ["random"], null, /unknown policy: random/, 1],
    ["round_robin extra", ["round_robin", "fast"], null, /unknown property for round_robin/, 1],
    ["unknown option", [], [directive("reload", ["10s"], null, 3)], /unknown property 'reload'/, 3],
    ["bad CIDR", [], [directive("prefer", ["10.0.0.0/33"], null, 4)], /invalid CIDR "10.0.0.0\/33"/, 4],
  ];
  for (const [what, args, block, message, line] of cases) {
    it(what, () => {
      let error: unknown;
      try {
        setup(loadbalance, server, directive("loadbalance", args, block));
      } catch (e) {
        error = e;
      }
      expect(error).toBeInstanceOf(CorefileError);
      expect((error as CorefileError).message).toMatch(message);
      expect([(error as CorefileError).line, (error as CorefileError).column]).toEqual([line, 5]);
    });
  }

  it("round_robin by name and an empty block are accepted; a second directive sets up nothing", () => {
    const d1 = directive("loadbalance", ["round_robin"], [], 1);
    const d2 = directive("loadbalance", [], null, 2);
    expect(setup(loadbalance, server, d1, { serverDirectives: [d1, d2] })).not.toBeNull();
    expect(setup(loadbalance, server, d2, { serverDirectives: [d1, d2] })).toBeNull();
  });
});


describe("loadbalance and the server's error reply", () => {
  it("a returned error passes as the very same reply (its mark kept)", () => {
    const b = bench();
    let sent: Packet | undefined;
    const out = serve(b.plugin, request(b.server, "x.example"), (r, w) => w.write((sent = returnedError(r.query, "SERVFAIL", "boom"))), b.sim);
    expect(out[0]).toBe(sent);
    expect(returnedErrorOf(out[0]!)).toBe("boom");
  });
});
