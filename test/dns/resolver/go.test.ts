/**
 * Go's outcomes and timings (dns.md §5.4): per name, A and AAAA in parallel, `attempts` rounds over
 * the servers with `timeout` each; the walk goes on past every error; TC → TCP.
 */

import { describe, expect, it } from "vitest";
import { MILLISECOND, SECOND } from "../../../src/sim/time.js";
import { readGoSettings } from "../../../src/dns/resolver/index.js";
import { REFUSED, SERVFAIL, WORLD, pairs, podConfText, run, zoneAnswer } from "./helpers.js";

const ms = MILLISECOND;
const S = (n: string): string[] => [`${n}.default.svc.cluster.local`, `${n}.svc.cluster.local`, `${n}.cluster.local`];

describe("go (§5.4)", () => {
  it("§5.3 example for Go: NODATA is 'no such host' for that name and the walk goes on", () => {
    const r = run("go", "default", undefined, { text: podConfText("foo") });
    expect(r.seq).toEqual(pairs("default.foo.svc.cluster.local", "default.svc.cluster.local", "default.cluster.local", "default"));
    expect(r.result).toMatchObject({ ok: false, error: "not-found", code: "no such host", message: "lookup default on 10.96.0.10:53: no such host" });
  });

  it("§5.4 nothing answers: 2 attempts × 5 s per name (A and AAAA in parallel), and the walk continues: 40 s for 4 names", () => {
    const r = run("go", "web", () => "drop");
    expect(r.sent.filter((q) => q.qtype === "A").map((q) => [q.name, q.at / SECOND])).toEqual([
      ["web.default.svc.cluster.local", 0],
      ["web.default.svc.cluster.local", 5],
      ["web.svc.cluster.local", 10],
      ["web.svc.cluster.local", 15],
      ["web.cluster.local", 20],
      ["web.cluster.local", 25],
      ["web", 30],
      ["web", 35],
    ]);
    expect(r.sent.length).toBe(16);
    expect(r.result).toMatchObject({ error: "try-again", code: "i/o timeout", finishedAt: 40 * SECOND });
  });

  it("§5.4 every exchange uses a new ID", () => {
    const r = run("go", "x.", () => "drop");
    expect(new Set(r.sent.map((q) => q.id)).size).toBe(4);
  });

  it("§5.4 SERVFAIL: next server/attempt at once, walk continues; the error for the name itself is reported", () => {
    const r = run("go", "web", () => ({ response: SERVFAIL, delay: ms }));
    expect(r.sent.length).toBe(16);
    expect([...new Set(r.sent.map((q) => q.name))]).toEqual([...S("web"), "web"]);
    expect(r.result).toMatchObject({ error: "try-again", message: "lookup web on 10.96.0.10:53: server misbehaving" });
  });

  it("§5.4 REFUSED: 'server misbehaving', not temporary", () => {
    const r = run("go", "x.", () => ({ response: REFUSED, delay: ms }));
    expect(r.result).toMatchObject({ error: "fail", code: "server misbehaving" });
  });

  it("§5.4 one of A/AAAA with addresses is enough; the other's NODATA is ignored", () => {
    const r = run("go", "myservice");
    expect(r.result).toMatchObject({ ok: true, addresses: [{ family: 4, address: "10.96.1.1" }] });
  });

  it("§5.4 A and AAAA are independent: a lost AAAA is retried by its own goroutine while A is done", () => {
    const r = run("go", "api.example.com.", (q, _now, i) => (i === 1 ? "drop" : { response: zoneAnswer(WORLD, q), delay: ms }));
    expect(r.sent.map((q) => [q.qtype, q.at])).toEqual([
      ["A", 0],
      ["AAAA", 0],
      ["AAAA", 5 * SECOND],
    ]);
    expect(r.result.ok).toBe(true);
    expect(r.result.finishedAt).toBe(5 * SECOND + ms);
  });

  it("§5.4 TC → the same exchange again over TCP (same ID)", () => {
    const r = run("go", "api.example.com.", (q) => ({
      response: q.transport === "udp" && q.qtype === "A" ? { ...zoneAnswer(WORLD, q), truncated: true } : zoneAnswer(WORLD, q),
      delay: ms,
    }));
    const a = r.sent.filter((q) => q.qtype === "A");
    expect(a.map((q) => q.transport)).toEqual(["udp", "tcp"]);
    expect(a[0]?.id).toBe(a[1]?.id);
    expect(r.result.ok).toBe(true);
  });

  it("§5.4 Go sends EDNS0 with a 1232-byte UDP size", () => {
    expect(run("go", "api.example.com.").sent[0]?.ednsUdpSize).toBe(1232);
  });

  it("§5.4 two servers: tried in order for each attempt", () => {
    const text = "nameserver 10.0.0.1\nnameserver 10.0.0.2\n";
    const r = run("go", "x.", () => "drop", { text });
    expect(r.sent.filter((q) => q.qtype === "A").map((q) => [q.server, q.at / SECOND])).toEqual([
      ["10.0.0.1", 0],
      ["10.0.0.2", 5],
      ["10.0.0.1", 10],
      ["10.0.0.2", 15],
    ]);
  });

  it("§5.4 single-request: A, then AAAA", () => {
    const r = run("go", "api.example.com.", undefined, { text: podConfText("default", ["single-request"]) });
    expect(r.sent.map((q) => [q.qtype, q.at])).toEqual([
      ["A", 0],
      ["AAAA", ms],
    ]);
  });

  it("§5.4 resolv.conf: search domains rooted, `.` skipped, timeout/attempts at least 1, ndots ≤ 15", () => {
    const s = readGoSettings("search a.example . b.example.\nnameserver 10.0.0.1\noptions ndots:30 timeout:0 attempts:0 use-vc\n");
    expect(s.search).toEqual(["a.example.", "b.example."]);
    expect([s.ndots, s.timeout, s.attempts, s.useTCP]).toEqual([15, 1, 1, true]);
  });
});
