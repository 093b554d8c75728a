/**
 * glibc's outcomes and timings (dns.md §5.2): which errors continue the search walk, the final
 * error, per-server timeouts, SERVFAIL retries, late replies, the single-request fallback, TC.
 */

import { describe, expect, it } from "vitest";
import { MILLISECOND, SECOND } from "../../../src/sim/time.js";
import { StubLookup, driveLookup } from "../../../src/dns/resolver/index.js";
import { NXDOMAIN, REFUSED, SERVFAIL, WORLD, noerror, pairs, podConfText, run, settingsFor, zoneAnswer } from "./helpers.js";

const ms = MILLISECOND;
const S = (n: string): string[] => [`${n}.default.svc.cluster.local`, `${n}.svc.cluster.local`, `${n}.cluster.local`];

describe("glibc (§5.2)", () => {
  it("§5.2 NXDOMAIN everywhere: walks every candidate, HOST_NOT_FOUND → EAI_NONAME", () => {
    const r = run("glibc", "nope");
    expect(r.seq).toEqual(pairs(...S("nope"), "nope"));
    expect(r.result).toMatchObject({ ok: false, error: "not-found", hErrno: "HOST_NOT_FOUND", code: "EAI_NONAME", message: "Name or service not known" });
  });

  it("§5.3 example: pod in `foo` resolving `default`: NODATA at default.svc.cluster.local does not stop glibc, which reports NO_DATA", () => {
    const r = run("glibc", "default", undefined, { text: podConfText("foo") });
    expect(r.seq).toEqual(pairs("default.foo.svc.cluster.local", "default.svc.cluster.local", "default.cluster.local", "default"));
    expect(r.result).toMatchObject({ ok: false, error: "no-data", hErrno: "NO_DATA", code: "EAI_NODATA" });
  });

  it("§5.2 final error: when the name was tried as is first, its error is reported (NXDOMAIN) even after a NODATA", () => {
    // 5 dots: as is first (NXDOMAIN), then search; the second candidate exists without addresses.
    const n = "a.b.c.d.e.f";
    const world = { ...WORLD, [`${n}.svc.cluster.local`]: {} };
    const r = run("glibc", n, (q) => ({ response: zoneAnswer(world, q), delay: ms }));
    expect(r.seq).toEqual(pairs(n, ...S(n)));
    expect(r.result.hErrno).toBe("HOST_NOT_FOUND");
  });

  it("§5.2 one nameserver, timeout 5 s, 2 attempts, nothing answers: 10 s per candidate; a timeout stops the walk, the name as is is still tried", () => {
    const r = run("glibc", "web", () => "drop");
    expect(r.sent.map((q) => [q.name, q.qtype, q.at])).toEqual([
      ["web.default.svc.cluster.local", "A", 0],
      ["web.default.svc.cluster.local", "AAAA", 0],
      ["web.default.svc.cluster.local", "A", 5 * SECOND],
      ["web.default.svc.cluster.local", "AAAA", 5 * SECOND],
      ["web", "A", 10 * SECOND],
      ["web", "AAAA", 10 * SECOND],
      ["web", "A", 15 * SECOND],
      ["web", "AAAA", 15 * SECOND],
    ]);
    expect(r.result).toMatchObject({ ok: false, error: "try-again", hErrno: "TRY_AGAIN", code: "EAI_AGAIN", finishedAt: 20 * SECOND });
    expect(r.result.queries.every((q) => q.outcome === "timeout")).toBe(true);
  });

  it("§5.2 three dead nameservers: waits 5 s, 10/3 → 3 s, 20/3 → 6 s per round, 2 rounds: 28 s per candidate", () => {
    const text = "search default.svc.cluster.local\nnameserver 10.0.0.1\nnameserver 10.0.0.2\nnameserver 10.0.0.3\noptions ndots:5\n";
    const r = run("glibc", "a.b.c.d.e.f", () => "drop", { text });
    const firstName = r.sent.filter((q) => q.name === "a.b.c.d.e.f" && q.qtype === "A");
    expect(firstName.map((q) => [q.server, q.at / SECOND])).toEqual([
      ["10.0.0.1", 0],
      ["10.0.0.2", 5],
      ["10.0.0.3", 8],
      ["10.0.0.1", 14],
      ["10.0.0.2", 19],
      ["10.0.0.3", 22],
    ]);
    // As is first timed out (28 s), then the one search domain (28 s): the walk stops there.
    expect(r.result.finishedAt).toBe(56 * SECOND);
    expect(r.result.hErrno).toBe("TRY_AGAIN");
  });

  it("§5.2 options timeout:2 attempts:3: three tries of 2 s each per candidate", () => {
    const r = run("glibc", "x.", () => "drop", { text: podConfText("default", ["timeout:2", "attempts:3"]) });
    expect(r.sent.filter((q) => q.qtype === "A").map((q) => q.at / SECOND)).toEqual([0, 2, 4]);
    expect(r.result.finishedAt).toBe(6 * SECOND);
  });

  it("§5.2 SERVFAIL: retried at once on every attempt, then the walk continues; final TRY_AGAIN", () => {
    const r = run("glibc", "web", () => ({ response: SERVFAIL, delay: ms }));
    // 4 candidates × 2 attempts × A+AAAA.
    expect(r.sent.length).toBe(16);
    expect([...new Set(r.sent.map((q) => q.name))]).toEqual([...S("web"), "web"]);
    expect(r.result).toMatchObject({ hErrno: "TRY_AGAIN", code: "EAI_AGAIN" });
    expect(r.result.finishedAt).toBe(8 * ms);
  });

  it("§5.2 REFUSED: retried like SERVFAIL, but it stops the walk (the name as is is still tried)", () => {
    const r = run("glibc", "web", () => ({ response: REFUSED, delay: ms }));
    expect([...new Set(r.sent.map((q) => q.name))]).toEqual(["web.default.svc.cluster.local", "web"]);
    expect(r.sent.length).toBe(8);
    expect(r.result.code).toBe("EAI_AGAIN");
  });

  it("§5.2 SERVFAIL from the first server, answer from the second: moves to the next server as soon as both replies are bad", () => {
    const text = "nameserver 10.0.0.1\nnameserver 10.0.0.2\n";
    const r = run("glibc", "api.example.com", (q) => ({ response: q.server === "10.0.0.1" ? SERVFAIL : zoneAnswer(WORLD, q), delay: ms }), { text });
    expect(r.sent.map((q) => [q.server, q.at])).toEqual([
      ["10.0.0.1", 0],
      ["10.0.0.1", 0],
      ["10.0.0.2", ms],
      ["10.0.0.2", ms],
    ]);
    expect(r.result.ok).toBe(true);
  });

  it("§5.2 a reply late for the first try is accepted during the second (same socket, same ID)", () => {
    const r = run("glibc", "api.example.com.", (q) => ({ response: zoneAnswer(WORLD, q), delay: 6 * SECOND }));
    expect(r.sent.map((q) => q.at)).toEqual([0, 0, 5 * SECOND, 5 * SECOND]);
    expect(r.sent[0]?.id).toBe(r.sent[2]?.id);
    expect(r.result.ok).toBe(true);
    expect(r.result.finishedAt).toBe(6 * SECOND);
  });

  it("§5.2 A answered, AAAA lost: after 5 s glibc retries in single-request mode (A, then AAAA after A's reply)", () => {
    const r = run("glibc", "api.example.com.", (q, _now, i) => (i === 1 ? "drop" : { response: zoneAnswer(WORLD, q), delay: ms }));
    expect(r.sent.map((q) => [q.qtype, q.at])).toEqual([
      ["A", 0],
      ["AAAA", 0],
      ["A", 5 * SECOND],
      ["AAAA", 5 * SECOND + ms],
    ]);
    expect(r.result.ok).toBe(true);
    expect(r.result.addresses.length).toBe(2);
  });

  it("§5.2 options single-request: A and AAAA sent one after the other from the start", () => {
    const r = run("glibc", "api.example.com.", undefined, { text: podConfText("default", ["single-request"]) });
    expect(r.sent.map((q) => [q.qtype, q.at])).toEqual([
      ["A", 0],
      ["AAAA", ms],
    ]);
  });

  it("§5.2 TC: both queries are sent again over TCP to the same server", () => {
    const r = run("glibc", "api.example.com.", (q) => ({
      response: q.transport === "udp" && q.qtype === "A" ? { ...zoneAnswer(WORLD, q), truncated: true } : zoneAnswer(WORLD, q),
      delay: ms,
    }));
    expect(r.sent.map((q) => [q.qtype, q.transport])).toEqual([
      ["A", "udp"],
      ["AAAA", "udp"],
      ["A", "tcp"],
      ["AAAA", "tcp"],
    ]);
    expect(r.result.ok).toBe(true);
    expect(r.result.queries[0]?.truncated).toBe(true);
  });

  it("§5.2 no EDNS unless options edns0", () => {
    expect(run("glibc", "api.example.com.").sent[0]?.ednsUdpSize).toBeUndefined();
    expect(run("glibc", "api.example.com.", undefined, { text: podConfText("default", ["edns0"]) }).sent[0]?.ednsUdpSize).toBe(1200);
  });

  it("§5.2 one reply SERVFAIL, the other with addresses: success with those addresses", () => {
    const r = run("glibc", "api.example.com.", (q) => ({ response: q.qtype === "AAAA" ? SERVFAIL : zoneAnswer(WORLD, q), delay: ms }));
    expect(r.result.ok).toBe(true);
    expect(r.result.addresses).toEqual([{ family: 4, address: "93.184.216.34" }]);
  });

  it("§5.2 no-tld-query: a dotless name is not tried as is", () => {
    const r = run("glibc", "web", () => ({ response: NXDOMAIN, delay: ms }), { text: podConfText("default", ["no-tld-query"]) });
    expect([...new Set(r.sent.map((q) => q.name))]).toEqual(S("web"));
  });

  it("§5.2 CNAME chain: canonical name and addresses", () => {
    const r = run("glibc", "www.example.org.", (q) => ({
      response: noerror([
        { type: "CNAME", name: "www.example.org", data: "edge.cdn.net", ttl: 60 },
        ...(q.qtype === "A" ? [{ type: "A", name: "edge.cdn.net", data: "1.2.3.4", ttl: 60 }] : []),
      ]),
      delay: ms,
    }));
    expect(r.result).toMatchObject({ ok: true, canonicalName: "edge.cdn.net", addresses: [{ family: 4, address: "1.2.3.4" }] });
  });

  it("an address literal or an /etc/hosts name sends nothing", () => {
    expect(run("glibc", "10.1.2.3").sent).toEqual([]);
    expect(run("glibc", "10.1.2.3").result).toMatchObject({ ok: true, source: "literal" });
  });

  it("§5.2 A and AAAA that drew the same ID: send_dg matches each reply to its query by question (res_queriesmatch), so the AAAA reply coming first does not take the A query's place", () => {
    for (const [first, second] of [["AAAA", "A"], ["A", "AAAA"]] as const) {
      const lookup = new StubLookup(settingsFor("glibc"), "myservice", { nextId: () => 4242 });
      const result = driveLookup(lookup, (q) => ({ response: zoneAnswer(WORLD, q), delay: q.qtype === first ? ms : 2 * ms }));
      expect(result.queries.map((q) => [q.qtype, q.id, q.outcome])).toEqual([["A", 4242, "NOERROR"], ["AAAA", 4242, "NOERROR"]]);
      expect(result, `${first} reply first, then ${second}`).toMatchObject({ ok: true, addresses: [{ family: 4, address: "10.96.1.1" }] });
    }
  });
});
