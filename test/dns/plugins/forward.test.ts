/**
 * The forward plugin against shared/reference/dns.md §4.1 (and §3.4's `forward . /etc/resolv.conf`).
 * Upstreams are a fake server's `exchange`: each test says which upstream answers, when, and how;
 * time is the simulation clock. Health checks loop while an upstream is dead, so these tests run
 * the clock to fixed instants rather than until idle.
 */
import { describe, expect, it } from "vitest";
import { Sim, type Address } from "../../../src/index.js";
import { FLAGS, hasFlag, makeQuery, makeReply, rcodeOf, type Answer, type Packet, type Rcode } from "../../../src/dns/message.js";
import type { DnsRequest, NextHandler } from "../../../src/dns/plugin.js";
import { ForwardPlugin, forward } from "../../../src/dns/plugins/forward.js";
import { returnedErrorOf } from "../../../src/dns/plugins/returned-error.js";
import { directive, fakeServer, request, setup, type FakeServer, expectSetupError } from "./harness.js";

const S = 1_000_000;
const MS = 1_000;
/** Seconds as whole microseconds. */
const sec = (t: number) => Math.round(t * S);

/** How one upstream behaves at a given instant: answer after a delay, or stay silent (undefined). */
type Behaviour = (query: Packet, transport: "udp" | "tcp", now: number) => { reply: Packet; after: number } | undefined;

const answer =
  (ip = "93.184.216.34", rcode: Rcode = "NOERROR", after = 10 * MS): Behaviour =>
  (query) => ({ reply: makeReply(query, { rcode, recursionAvailable: true, answers: rcode === "NOERROR" ? [{ type: "A", name: query.questions![0]!.name, ttl: 300, class: "IN", data: ip } as Answer] : [] }), after });
const silent: Behaviour = () => undefined;

interface Bench {
  sim: Sim;
  server: FakeServer;
  plugin: ForwardPlugin;
  behave: Map<string, Behaviour>;
}

function bench(args: string[], block: ReturnType<typeof directive>[] | null = null, behave: Record<string, Behaviour> = {}, seed = 1, extra: Parameters<typeof setup>[3] = {}): Bench {
  const sim = new Sim({ seed });
  const map = new Map(Object.entries(behave));
  const server = fakeServer(sim, {
    exchange: (upstream: Address, query, transport) => {
      const b = map.get(upstream.ip) ?? map.get(upstream.text);
      const r = b?.(query, transport, sim.now);
      return r ? { reply: r.reply, after: r.after } : undefined;
    },
  });
  const plugin = setup(forward, server, directive("forward", args, block), extra) as ForwardPlugin;
  return { sim, server, plugin, behave: map };
}

interface Sent {
  readonly req: DnsRequest;
  readonly replies: { at: number; packet: Packet }[];
  readonly passed: boolean[];
}

/** Sends a query through the plugin now; the next plugin (if reached) answers NXDOMAIN from "next". */
function send(b: Bench, name = "www.example.com", transport: "udp" | "tcp" = "udp", next?: NextHandler): Sent {
  const req = { ...request(b.server, name), transport };
  const sent: Sent = { req, replies: [], passed: [] };
  b.plugin.serve(req, { write: (packet) => sent.replies.push({ at: b.sim.now, packet }) }, next ?? ((r, w) => {
    sent.passed.push(true);
    w.write(makeReply(r.query, { rcode: "NXDOMAIN" }));
  }));
  return sent;
}

/** The exchanges that are queries (not health check probes). */
const queries = (b: Bench) => b.server.exchanges.filter((e) => e.query.questions![0]!.type !== "NS");
const probes = (b: Bench) => b.server.exchanges.filter((e) => e.query.questions![0]!.type === "NS");
const first = (s: Sent) => s.replies[0]!;
const up = (ip: string) => `${ip}:53`;

describe("forward policies (dns.md §4.1)", () => {
  const three = ["10.0.0.1", "10.0.0.2", "10.0.0.3"];

  it("§4.1: sequential always starts at the first upstream", () => {
    const b = bench([".", ...three], [directive("policy", ["sequential"], null, 2)], Object.fromEntries(three.map((ip) => [ip, answer()])));
    for (let i = 0; i < 10; i++) send(b);
    b.sim.runFor(S);
    expect(new Set(queries(b).map((e) => e.upstream))).toEqual(new Set([up("10.0.0.1")]));
  });

  it("§4.1: round_robin puts upstream (n mod 3) first for the n-th query (counter starts at 1), the others after it in list order", () => {
    const b = bench([".", ...three], [directive("policy", ["round_robin"], null, 2)], Object.fromEntries(three.map((ip) => [ip, answer()])));
    for (let i = 0; i < 6; i++) send(b);
    b.sim.runFor(S);
    expect(queries(b).map((e) => e.upstream)).toEqual(["10.0.0.2", "10.0.0.3", "10.0.0.1", "10.0.0.2", "10.0.0.3", "10.0.0.1"].map(up));
    // The full order of one query shows when every upstream is silent: 2nd query → [3, 1, 2].
    const c = bench([".", ...three], [directive("policy", ["round_robin"], null, 2), directive("max_fails", ["0"], null, 3)]);
    send(c);
    c.sim.runFor(7 * S);
    expect(queries(c).map((e) => e.upstream)).toEqual(["10.0.0.2", "10.0.0.1", "10.0.0.3"].map(up));
    send(c);
    c.sim.runFor(7 * S);
    expect(queries(c).slice(3).map((e) => e.upstream)).toEqual(["10.0.0.3", "10.0.0.1", "10.0.0.2"].map(up));
  });

  it("§4.1: random draws a permutation per query: all 6 orders of 3 upstreams come up, near evenly", () => {
    const b = bench([".", ...three], [directive("max_fails", ["0"], null, 2)]);
    const counts = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const order = b.plugin.order().map((u) => u.address.ip.slice(-1)).join("");
      counts.set(order, (counts.get(order) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["123", "132", "213", "231", "312", "321"]);
    for (const n of counts.values()) expect(n).toBeGreaterThan(60);
  });

  it("§4.1: random with two upstreams is a coin flip, and the same seed gives the same choices", () => {
    const firsts = (seed: number) => {
      const b = bench([".", "10.0.0.1", "10.0.0.2"], null, { "10.0.0.1": answer(), "10.0.0.2": answer() }, seed);
      for (let i = 0; i < 400; i++) send(b);
      b.sim.runFor(S);
      return queries(b).map((e) => e.upstream);
    };
    const one = firsts(5);
    const ones = one.filter((u) => u === up("10.0.0.1")).length;
    expect(ones).toBeGreaterThan(150);
    expect(ones).toBeLessThan(250);
    expect(firsts(5)).toEqual(one);
    expect(firsts(6)).not.toEqual(one);
  });
});

describe("forward attempts and timeouts (dns.md §4.1)", () => {
  it("§4.1: a silent upstream times out after 2 s and the next is tried; the client gets the reply with its own id", () => {
    const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("policy", ["sequential"], null, 2)], { "10.0.0.1": silent, "10.0.0.2": answer("1.2.3.4", "NOERROR", 10 * MS) });
    const s = send(b);
    b.sim.runFor(3 * S);
    expect(queries(b).map((e) => [e.upstream, e.at])).toEqual([
      [up("10.0.0.1"), 0],
      [up("10.0.0.2"), 2 * S],
    ]);
    expect(s.replies).toHaveLength(1);
    expect(first(s).at).toBe(2 * S + 10 * MS);
    expect(first(s).packet.id).toBe(s.req.query.id);
    expect((first(s).packet.answers![0] as { data: string }).data).toBe("1.2.3.4");
  });

  it("§4.1: each attempt has a fresh id from the server's forward stream, the same for the same seed", () => {
    const ids = (seed: number) => {
      const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("policy", ["sequential"], null, 2), directive("max_fails", ["0"], null, 3)], {}, seed);
      send(b);
      b.sim.runFor(7 * S);
      return queries(b).map((e) => e.query.id);
    };
    const one = ids(9);
    expect(one).toHaveLength(3);
    expect(new Set(one).size).toBe(3);
    expect(ids(9)).toEqual(one);
    expect(ids(10)).not.toEqual(one);
  });

  it("§4.1: when every attempt times out: attempts at 0, 2 and 4 s (deadline 5 s checked before each), then SERVFAIL at 6 s, logged as the errors plugin prints it", () => {
    const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("policy", ["sequential"], null, 2), directive("max_fails", ["0"], null, 3)]);
    const s = send(b, "WWW.example.com");
    b.sim.runFor(10 * S);
    expect(queries(b).map((e) => [e.upstream, e.at])).toEqual([
      [up("10.0.0.1"), 0],
      [up("10.0.0.2"), 2 * S],
      [up("10.0.0.1"), 4 * S],
    ]);
    expect(s.replies).toHaveLength(1);
    expect(first(s).at).toBe(6 * S);
    expect(rcodeOf(first(s).packet)).toBe("SERVFAIL");
    expect(first(s).packet.id).toBe(s.req.query.id);
    expect(returnedErrorOf(first(s).packet)).toMatch(/i\/o timeout/);
    expect(b.server.logs).toHaveLength(1);
    expect(b.server.logs[0]).toMatch(/^\[ERROR\] plugin\/errors: 2 www\.example\.com\. A: read udp 10\.10\.0\.2:\d+->10\.0\.0\.1:53: i\/o timeout$/);
  });

  it("§4.1: max_connect_attempts 2 stops after two failed attempts (SERVFAIL at 4 s)", () => {
    const b = bench([".", "10.0.0.1"], [directive("max_connect_attempts", ["2"], null, 2), directive("max_fails", ["0"], null, 3)]);
    const s = send(b);
    b.sim.runFor(10 * S);
    expect(queries(b).map((e) => e.at)).toEqual([0, 2 * S]);
    expect(first(s).at).toBe(4 * S);
    expect(rcodeOf(first(s).packet)).toBe("SERVFAIL");
  });

  it("§4.1: a SERVFAIL or REFUSED reply is returned as is, without trying another upstream", () => {
    for (const rcode of ["SERVFAIL", "REFUSED"] as const) {
      const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("policy", ["sequential"], null, 2)], { "10.0.0.1": answer("", rcode), "10.0.0.2": answer() });
      const s = send(b);
      b.sim.runFor(S);
      expect(queries(b)).toHaveLength(1);
      expect(rcodeOf(first(s).packet)).toBe(rcode);
      expect(returnedErrorOf(first(s).packet)).toBeUndefined();
      expect(b.server.logs).toEqual([]);
    }
  });

  it("§4.1: failover SERVFAIL tries the next upstream; after all were tried once the last reply is returned", () => {
    const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("policy", ["sequential"], null, 2), directive("failover", ["SERVFAIL"], null, 3)], { "10.0.0.1": answer("", "SERVFAIL"), "10.0.0.2": answer("", "SERVFAIL") });
    const s = send(b);
    b.sim.runFor(S);
    expect(queries(b).map((e) => e.upstream)).toEqual([up("10.0.0.1"), up("10.0.0.2")]);
    expect(s.replies).toHaveLength(1);
    expect(rcodeOf(first(s).packet)).toBe("SERVFAIL");
    expect(returnedErrorOf(first(s).packet)).toBeUndefined();
    const c = bench([".", "10.0.0.1", "10.0.0.2", "10.0.0.3"], [directive("policy", ["sequential"], null, 2), directive("failover", ["servfail", "REFUSED"], null, 3)], { "10.0.0.1": answer("", "REFUSED"), "10.0.0.2": answer("5.6.7.8"), "10.0.0.3": answer() });
    const t = send(c);
    c.sim.runFor(S);
    expect(queries(c).map((e) => e.upstream)).toEqual([up("10.0.0.1"), up("10.0.0.2")]);
    expect((first(t).packet.answers![0] as { data: string }).data).toBe("5.6.7.8");
  });

  it("§4.1: a reply whose question is not the query's gives the client FORMERR", () => {
    const wrong: Behaviour = (query) => ({ reply: makeReply({ ...query, questions: [{ name: "evil.example.com", type: "A", class: "IN" }] }, {}), after: MS });
    const b = bench([".", "10.0.0.1"], null, { "10.0.0.1": wrong });
    const s = send(b);
    b.sim.runFor(S);
    expect(rcodeOf(first(s).packet)).toBe("FORMERR");
    expect(first(s).packet.questions![0]!.name).toBe("www.example.com");
  });

  it("§4.1: max_concurrent 2: a third query in flight gets REFUSED at once (logged), and room comes back when replies arrive", () => {
    const b = bench([".", "10.0.0.1"], [directive("max_concurrent", ["2"], null, 2)], { "10.0.0.1": answer("1.1.1.1", "NOERROR", 100 * MS) });
    const s1 = send(b);
    const s2 = send(b);
    const s3 = send(b, "third.example.com");
    expect(s3.replies).toHaveLength(1);
    expect(rcodeOf(first(s3).packet)).toBe("REFUSED");
    expect(first(s3).at).toBe(0);
    expect(returnedErrorOf(first(s3).packet)).toBe("concurrent queries exceeded maximum 2");
    expect(b.server.logs).toEqual(["[ERROR] plugin/errors: 5 third.example.com. A: concurrent queries exceeded maximum 2"]);
    b.sim.runFor(100 * MS);
    expect(rcodeOf(first(s1).packet)).toBe("NOERROR");
    expect(rcodeOf(first(s2).packet)).toBe("NOERROR");
    expect(b.plugin.concurrent).toBe(0);
    const s4 = send(b);
    b.sim.runFor(S);
    expect(rcodeOf(first(s4).packet)).toBe("NOERROR");
    expect(queries(b)).toHaveLength(3);
  });
});

describe("forward health checks (dns.md §4.1)", () => {
  it("§4.1: a timeout starts `. IN NS` probes (RD, 1 s timeout, 0.5 s after each failure); the 3rd failed probe marks the upstream down (fails > 2); one reply brings it back", () => {
    let aliveFrom = sec(8.2);
    const flaky: Behaviour = (query, _t, now) => (now >= aliveFrom ? answer("1.1.1.1", "NOERROR", MS)(query, "udp", now) : undefined);
    const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("policy", ["sequential"], null, 2)], { "10.0.0.1": flaky, "10.0.0.2": answer("2.2.2.2") });
    const a = b.plugin.upstreams[0]!;
    const s = send(b);
    b.sim.runUntil(sec(2.5));
    expect((first(s).packet.answers![0] as { data: string }).data).toBe("2.2.2.2");
    // Probes of A: at 2 s (fails 1 at 3 s), 3.5 s (fails 2 at 4.5 s), 5 s (fails 3 at 6 s: down).
    b.sim.runUntil(sec(5.9));
    expect(a.fails).toBe(2);
    expect(a.down(2)).toBe(false);
    b.sim.runUntil(6 * S);
    expect(a.fails).toBe(3);
    expect(a.down(2)).toBe(true);
    const p = probes(b);
    expect(p.slice(0, 3).map((e) => e.at)).toEqual([2 * S, sec(3.5), 5 * S]);
    expect(p.every((e) => e.upstream === up("10.0.0.1") && e.query.questions![0]!.name === "." && hasFlag(e.query, FLAGS.RD) && e.transport === "udp")).toBe(true);
    // Down: the next query skips A and goes straight to B.
    b.sim.runUntil(sec(6.1));
    const skip = send(b);
    b.sim.runUntil(sec(6.2));
    expect(queries(b).at(-1)).toMatchObject({ upstream: up("10.0.0.2"), at: sec(6.1) });
    expect(first(skip).at).toBe(sec(6.1) + 10 * MS);
    // A answers from 8.2 s: the probe at 8 s was sent before and times out at 9 s; the one at 9.5 s gets a reply.
    b.sim.runUntil(sec(9.4));
    expect(a.down(2)).toBe(true);
    b.sim.runUntil(sec(9.6));
    expect(a.fails).toBe(0);
    expect(a.probing).toBe(false);
    expect(probes(b).map((e) => e.at)).toEqual([2, 3.5, 5, 6.5, 8, 9.5].map(sec));
    const back = send(b);
    b.sim.runUntil(10 * S);
    expect((first(back).packet.answers![0] as { data: string }).data).toBe("1.1.1.1");
    // No further probes once healthy.
    b.sim.runUntil(20 * S);
    expect(probes(b)).toHaveLength(6);
    aliveFrom = Infinity;
  });

  it("§4.1: health_check 2s no_rec domain example.org, with force_tcp: probes every 3 s (1 s timeout + 2 s), RD clear, for example.org, over TCP", () => {
    const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("policy", ["sequential"], null, 2), directive("health_check", ["2s", "no_rec", "domain", "Example.org"], null, 3), directive("force_tcp", [], null, 4)], { "10.0.0.2": answer() });
    send(b);
    b.sim.runUntil(9 * S);
    const p = probes(b);
    expect(p.map((e) => e.at)).toEqual([2, 5, 8].map(sec));
    for (const e of p) {
      expect(e.query.questions![0]!.name).toBe("example.org");
      expect(hasFlag(e.query, FLAGS.RD)).toBe(false);
      expect(e.transport).toBe("tcp");
    }
  });

  it("§4.1: max_fails 0: an upstream is never health-checked nor down", () => {
    const b = bench([".", "10.0.0.1"], [directive("max_fails", ["0"], null, 2)]);
    send(b);
    b.sim.runUntil(30 * S);
    expect(probes(b)).toHaveLength(0);
    expect(b.plugin.upstreams[0]!.down(0)).toBe(false);
  });

  it("§4.1: max_fails 1 marks an upstream down after its 2nd failed probe", () => {
    const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("policy", ["sequential"], null, 2), directive("max_fails", ["1"], null, 3)], { "10.0.0.2": answer() });
    send(b);
    b.sim.runUntil(sec(4.4));
    expect(b.plugin.upstreams[0]!.down(1)).toBe(false);
    b.sim.runUntil(sec(4.5));
    expect(b.plugin.upstreams[0]!.fails).toBe(2);
    expect(b.plugin.upstreams[0]!.down(1)).toBe(true);
  });

  /** Two dead upstreams, both down by 8 s: A probes 2, 3.5, 5 (down at 6), B probes 4, 5.5, 7 (down at 8). */
  function bothDown(block: ReturnType<typeof directive>[], seed = 1): Bench {
    const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("policy", ["sequential"], null, 2), ...block], {}, seed);
    send(b);
    b.sim.runUntil(sec(8.5));
    expect(b.plugin.upstreams.map((u) => u.down(2))).toEqual([true, true]);
    return b;
  }

  it("§4.1: all upstreams down: one random upstream is still tried, then SERVFAIL", () => {
    const b = bothDown([]);
    const before = queries(b).length;
    const s = send(b);
    b.sim.runUntil(11 * S);
    const tried = queries(b).slice(before);
    expect(tried).toHaveLength(1);
    expect(tried[0]!.at).toBe(sec(8.5));
    expect(first(s).at).toBe(sec(10.5));
    expect(rcodeOf(first(s).packet)).toBe("SERVFAIL");
    // Random: over seeds both upstreams get picked.
    const picks = new Set<string>();
    for (let seed = 1; seed <= 8; seed++) {
      const c = bothDown([], seed);
      const n = queries(c).length;
      send(c);
      c.sim.runUntil(9 * S);
      picks.add(queries(c)[n]!.upstream);
    }
    expect(picks).toEqual(new Set([up("10.0.0.1"), up("10.0.0.2")]));
  });

  it("§4.1: all upstreams down with failfast_all_unhealthy_upstreams: SERVFAIL at once, `no healthy proxies`", () => {
    const b = bothDown([directive("failfast_all_unhealthy_upstreams", [], null, 3)]);
    const before = queries(b).length;
    const s = send(b);
    expect(s.replies).toHaveLength(1);
    expect(first(s).at).toBe(sec(8.5));
    expect(rcodeOf(first(s).packet)).toBe("SERVFAIL");
    expect(b.server.logs.at(-1)).toBe("[ERROR] plugin/errors: 2 www.example.com. A: no healthy proxies");
    b.sim.runUntil(9 * S);
    expect(queries(b)).toHaveLength(before);
  });
});

describe("forward matching and upstreams (dns.md §4.1, §3.4)", () => {
  it("§4.1: names outside FROM and inside `except` go to the next plugin; FROM itself is forwarded", () => {
    const b = bench(["example.org", "10.0.0.1"], [directive("except", ["internal.example.org", "Private.Example.org"], null, 2)], { "10.0.0.1": answer() });
    const cases: [string, boolean][] = [
      ["www.example.org", true],
      ["example.org", true],
      ["other.com", false],
      ["example.org.evil.com", false],
      ["internal.example.org", false],
      ["db.internal.example.org", false],
      ["x.private.example.org", false],
    ];
    for (const [name, forwarded] of cases) {
      const s = send(b, name);
      b.sim.runFor(S);
      expect([name, s.passed.length === 0]).toEqual([name, forwarded]);
    }
    const c = bench(["example.org", "10.0.0.1"], [directive("except", ["example.org"], null, 2)], { "10.0.0.1": answer() });
    const s = send(c, "example.org");
    c.sim.runFor(S);
    expect(s.passed).toEqual([]);
  });

  it("§3.4: `forward . /etc/resolv.conf` goes to SetupContext.resolvConfNameservers", () => {
    const b = bench([".", "/etc/resolv.conf"], [directive("policy", ["sequential"], null, 2)], { "169.254.169.253": answer() }, 1, { resolvConfNameservers: ["169.254.169.253", "10.0.0.9"] });
    expect(b.plugin.upstreams.map((u) => u.address.text)).toEqual(["169.254.169.253:53", "10.0.0.9:53"]);
    const s = send(b);
    b.sim.runFor(S);
    expect(rcodeOf(first(s).packet)).toBe("NOERROR");
    expect(queries(b)[0]!.upstream).toBe("169.254.169.253:53");
  });

  it("§4.1: TO forms: dns:// prefix, ports, bracketed IPv6, and another resolv.conf-style file", () => {
    const b = bench([".", "dns://10.0.0.1", "10.0.0.2:5353", "[fd00::53]:1053", "::1", "/etc/upstreams.conf"], null, {}, 1, { files: { "/etc/upstreams.conf": "# upstreams\nnameserver 192.0.2.1\nsearch x\nnameserver 192.0.2.2\n" } });
    expect(b.plugin.upstreams.map((u) => u.address.text)).toEqual(["10.0.0.1:53", "10.0.0.2:5353", "[fd00::53]:1053", "[::1]:53", "192.0.2.1:53", "192.0.2.2:53"]);
  });

  it("§4.1: `next NXDOMAIN` hands the query to the next forward of the block; the last forward returns it", () => {
    const sim = new Sim({ seed: 1 });
    const server = fakeServer(sim, { exchange: (u, q) => ({ reply: u.ip === "10.0.0.1" ? makeReply(q, { rcode: "NXDOMAIN" }) : makeReply(q, { answers: [{ type: "A", name: "x.example.com", ttl: 60, class: "IN", data: "9.9.9.9" }] }), after: MS }) });
    const d1 = directive("forward", [".", "10.0.0.1"], [directive("next", ["NXDOMAIN"], null, 2)]);
    const d2 = directive("forward", [".", "10.0.0.2"], null, 3);
    const serverDirectives = [directive("cache", ["30"], null, 4), d1, d2];
    const f1 = setup(forward, server, d1, { serverDirectives })!;
    const f2 = setup(forward, server, d2, { serverDirectives })!;
    const got: Packet[] = [];
    f1.serve(request(server, "x.example.com"), { write: (p) => got.push(p) }, (r, w) => f2.serve(r, w, () => {}));
    sim.runFor(S);
    expect(got.map(rcodeOf)).toEqual(["NOERROR"]);
    expect(server.exchanges.map((e) => e.upstream)).toEqual(["10.0.0.1:53", "10.0.0.2:53"]);
    // The last forward of the block has none after it: the NXDOMAIN goes to the client.
    const d3 = directive("forward", [".", "10.0.0.1"], [directive("next", ["NXDOMAIN"], null, 6)], 5);
    const alone = setup(forward, server, d3, { serverDirectives: [directive("cache", [], null, 4), d3] })!;
    expect((f1 as ForwardPlugin).nextIsForward).toBe(true);
    expect((alone as ForwardPlugin).nextIsForward).toBe(false);
    const got2: Packet[] = [];
    alone.serve(request(server, "x.example.com"), { write: (p) => got2.push(p) }, () => {
      throw new Error("must not reach the next plugin");
    });
    sim.runFor(S);
    expect(got2.map(rcodeOf)).toEqual(["NXDOMAIN"]);
  });
});

describe("forward transport (dns.md §4.1)", () => {
  const truncatedOverUdp: Behaviour = (query, transport) => {
    const r = makeReply(query, { answers: [{ type: "A", name: "big.example.com", ttl: 60, class: "IN", data: transport === "tcp" ? "10.9.9.9" : "10.1.1.1" }] });
    return { reply: transport === "udp" ? { ...r, flags: (r.flags ?? 0) | FLAGS.TC } : r, after: MS };
  };

  it("§4.1: by default the upstream is asked over the client's transport, and a truncated reply goes to the client as is", () => {
    const b = bench([".", "10.0.0.1"], null, { "10.0.0.1": truncatedOverUdp });
    const u = send(b, "big.example.com", "udp");
    const t = send(b, "big.example.com", "tcp");
    b.sim.runFor(S);
    expect(queries(b).map((e) => e.transport)).toEqual(["udp", "tcp"]);
    expect(hasFlag(first(u).packet, FLAGS.TC)).toBe(true);
    expect(hasFlag(first(t).packet, FLAGS.TC)).toBe(false);
  });

  it("§4.1: force_tcp asks over TCP even for UDP clients (and wins over prefer_udp)", () => {
    const b = bench([".", "10.0.0.1"], [directive("prefer_udp", [], null, 2), directive("force_tcp", [], null, 3)], { "10.0.0.1": truncatedOverUdp });
    const s = send(b, "big.example.com", "udp");
    b.sim.runFor(S);
    expect(queries(b).map((e) => e.transport)).toEqual(["tcp"]);
    expect((first(s).packet.answers![0] as { data: string }).data).toBe("10.9.9.9");
  });

  it("§4.1: prefer_udp asks over UDP even for TCP clients and retries the same upstream over TCP when the reply is truncated", () => {
    const b = bench([".", "10.0.0.1", "10.0.0.2"], [directive("prefer_udp", [], null, 2), directive("policy", ["sequential"], null, 3)], { "10.0.0.1": truncatedOverUdp });
    const s = send(b, "big.example.com", "tcp");
    b.sim.runFor(S);
    expect(queries(b).map((e) => [e.upstream, e.transport, e.at])).toEqual([
      [up("10.0.0.1"), "udp", 0],
      [up("10.0.0.1"), "tcp", MS],
    ]);
    expect(s.replies).toHaveLength(1);
    expect(hasFlag(first(s).packet, FLAGS.TC)).toBe(false);
    expect((first(s).packet.answers![0] as { data: string }).data).toBe("10.9.9.9");
  });

  it("§3.2: the client's OPT is mirrored on the reply; an upstream's OPT is not passed on to a client without EDNS", () => {
    const withOpt: Behaviour = (query) => ({ reply: makeReply(makeQuery("www.example.com", "A", { id: query.id!, ednsUdpSize: 4096 }), {}), after: MS });
    const b = bench([".", "10.0.0.1"], null, { "10.0.0.1": withOpt });
    const s = send(b);
    b.sim.runFor(S);
    expect(first(s).packet.additionals!.filter((r) => r.type === "OPT")).toEqual([]);
    const req = { ...request(b.server, "www.example.com"), query: makeQuery("www.example.com", "A", { id: 77, ednsUdpSize: 1232 }) };
    const got: Packet[] = [];
    b.plugin.serve(req, { write: (p) => got.push(p) }, () => {});
    b.sim.runFor(S);
    expect(got[0]!.id).toBe(77);
    expect(got[0]!.additionals!.filter((r) => r.type === "OPT")).toMatchObject([{ udpPayloadSize: 1232 }]);
  });
});

describe("forward setup errors", () => {
  const sixteen = Array.from({ length: 16 }, (_, i) => `10.0.1.${i + 1}`);
  const cases: [string, string[], ReturnType<typeof directive>[] | null, RegExp][] = [
    ["FROM without TO", ["."], null, /expected "forward FROM TO\.\.\."/],
    ["16 upstreams", [".", ...sixteen], null, /more than 15 TOs configured: 16/],
    ["a tls:// upstream", [".", "tls://9.9.9.9"], null, /'tls' upstreams .* not supported/],
    ["a hostname upstream", [".", "dns.google"], null, /hostname upstreams .* not supported/],
    ["a missing file", [".", "/etc/nope.conf"], null, /not an IP address or file: "\/etc\/nope.conf"/],
    ["a bad port", [".", "10.0.0.1:99999"], null, /not an IP address or file/],
    ["an empty resolv.conf", [".", "/etc/resolv.conf"], null, /no nameservers found/],
    ["the tls option", [".", "10.0.0.1"], [directive("tls", ["cert.pem", "key.pem"], null, 3)], /tls is not supported by mcsim/],
    ["an unknown policy", [".", "10.0.0.1"], [directive("policy", ["fastest"], null, 3)], /unknown policy 'fastest'/],
    ["a negative max_fails", [".", "10.0.0.1"], [directive("max_fails", ["-1"], null, 3)], /max_fails must be a whole number/],
    ["a negative max_concurrent", [".", "10.0.0.1"], [directive("max_concurrent", ["-5"], null, 3)], /max_concurrent can't be negative: -5/],
    ["failover NOERROR", [".", "10.0.0.1"], [directive("failover", ["SERVFAIL", "NOERROR"], null, 3)], /NoError cannot be used in failover/],
    ["a bogus rcode", [".", "10.0.0.1"], [directive("next", ["BOGUS"], null, 3)], /BOGUS is not a valid rcode/],
    ["force_tcp with an argument", [".", "10.0.0.1"], [directive("force_tcp", ["yes"], null, 3)], /force_tcp takes no arguments/],
    ["a bad health_check option", [".", "10.0.0.1"], [directive("health_check", ["1s", "fast"], null, 3)], /health_check: unknown option fast/],
    ["a bad health_check duration", [".", "10.0.0.1"], [directive("health_check", ["often"], null, 3)], /invalid duration/],
    ["except without names", [".", "10.0.0.1"], [directive("except", [], null, 3)], /except needs at least one name/],
    ["an unknown property", [".", "10.0.0.1"], [directive("max_fail", ["3"], null, 3)], /unknown property 'max_fail'/],
  ];
  for (const [what, args, block, message] of cases) {
    it(`rejects ${what}, naming the line and column`, () => expectSetupError(forward, args, block, message));
  }

  it("accepts the kubeadm Corefile's forward (§3.4) and the no-op connection knobs", () => {
    const b = bench([".", "/etc/resolv.conf"], [directive("max_concurrent", ["1000"], null, 2), directive("expire", ["10s"], null, 3), directive("max_idle_conns", ["4"], null, 4)], {}, 1, { resolvConfNameservers: ["10.0.0.10"] });
    expect(b.plugin.config.maxConcurrent).toBe(1000);
    expect(b.plugin.config.maxFails).toBe(2);
    expect(b.plugin.config.policy).toBe("random");
  });
});
