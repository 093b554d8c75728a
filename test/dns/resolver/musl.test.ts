/**
 * musl's outcomes and timings (dns.md §5.3): the walk stops on NODATA and on SERVFAIL/timeouts with
 * EAI_AGAIN; resends to all nameservers every 2.5 s within a 5 s budget; SERVFAIL → immediate
 * resend; REFUSED ignored; TC → TCP from 1.2.4; long resolv.conf lines ignored.
 */

import { describe, expect, it } from "vitest";
import { MILLISECOND, SECOND } from "../../../src/sim/time.js";
import { candidateNames, muslFeatures, readMuslSettings } from "../../../src/dns/resolver/index.js";
import { NXDOMAIN, REFUSED, SERVFAIL, WORLD, pairs, podConfText, run, zoneAnswer } from "./helpers.js";

const ms = MILLISECOND;

describe("musl (§5.3)", () => {
  it("§5.3 example: pod in `foo` resolving `default`: NODATA at default.svc.cluster.local stops the walk with EAI_NODATA", () => {
    const r = run("musl", "default", undefined, { text: podConfText("foo") });
    expect(r.seq).toEqual(pairs("default.foo.svc.cluster.local", "default.svc.cluster.local"));
    expect(r.result).toMatchObject({ ok: false, error: "no-data", code: "EAI_NODATA", message: "Name has no usable address" });
  });

  it("§5.3 NXDOMAIN everywhere: every candidate, then EAI_NONAME (Name does not resolve)", () => {
    const r = run("musl", "nope");
    expect(r.sent.length).toBe(8);
    expect(r.result).toMatchObject({ code: "EAI_NONAME", message: "Name does not resolve", error: "not-found" });
  });

  it("§5.3 nothing answers: resend every 2.5 s, give up after 5 s with EAI_AGAIN and stop the walk", () => {
    const r = run("musl", "web", () => "drop");
    expect(r.sent.map((q) => [q.name, q.qtype, q.at])).toEqual([
      ["web.default.svc.cluster.local", "A", 0],
      ["web.default.svc.cluster.local", "AAAA", 0],
      ["web.default.svc.cluster.local", "A", 2.5 * SECOND],
      ["web.default.svc.cluster.local", "AAAA", 2.5 * SECOND],
    ]);
    expect(r.result).toMatchObject({ ok: false, error: "try-again", code: "EAI_AGAIN", message: "Try again", finishedAt: 5 * SECOND });
  });

  it("§5.3 queries go to all nameservers at once, A then AAAA, with one ID per query type", () => {
    const text = "search default.svc.cluster.local\nnameserver 10.0.0.1\nnameserver 10.0.0.2\noptions ndots:5\n";
    const r = run("musl", "api.example.com.", undefined, { text });
    expect(r.sent.map((q) => [q.qtype, q.server, q.at])).toEqual([
      ["A", "10.0.0.1", 0],
      ["A", "10.0.0.2", 0],
      ["AAAA", "10.0.0.1", 0],
      ["AAAA", "10.0.0.2", 0],
    ]);
    expect(r.sent[0]?.id).toBe(r.sent[1]?.id);
    expect(r.sent[0]?.id).not.toBe(r.sent[2]?.id);
    expect(r.result.ok).toBe(true);
  });

  it("§5.3 only the unanswered query is resent after 2.5 s", () => {
    const r = run("musl", "api.example.com.", (q, _now, i) => (i === 1 ? "drop" : { response: zoneAnswer(WORLD, q), delay: ms }));
    expect(r.sent.map((q) => [q.qtype, q.at])).toEqual([
      ["A", 0],
      ["AAAA", 0],
      ["AAAA", 2.5 * SECOND],
    ]);
    expect(r.result.ok).toBe(true);
    expect(r.result.finishedAt).toBe(2.5 * SECOND + ms);
  });

  it("§5.3 options timeout:3 attempts:3: resend every 1 s, budget 3 s", () => {
    const r = run("musl", "x.", () => "drop", { text: podConfText("default", ["timeout:3", "attempts:3"]) });
    expect(r.sent.filter((q) => q.qtype === "A").map((q) => q.at / SECOND)).toEqual([0, 1, 2]);
    expect(r.result.finishedAt).toBe(3 * SECOND);
  });

  it("§5.3 SERVFAIL: resent at once (at most 2 × queries per round), otherwise ignored: blocks 5 s, EAI_AGAIN, walk stops", () => {
    const r = run("musl", "web", () => ({ response: SERVFAIL, delay: ms }));
    expect(new Set(r.sent.map((q) => q.name))).toEqual(new Set(["web.default.svc.cluster.local"]));
    // Each round: 2 sends + 4 immediate resends.
    expect(r.sent.map((q) => q.at)).toEqual([0, 0, ms, ms, 2 * ms, 2 * ms, 2.5 * SECOND, 2.5 * SECOND, 2.5 * SECOND + ms, 2.5 * SECOND + ms, 2.5 * SECOND + 2 * ms, 2.5 * SECOND + 2 * ms]);
    expect(r.result).toMatchObject({ code: "EAI_AGAIN", finishedAt: 5 * SECOND });
  });

  it("§5.3 REFUSED is ignored like a dead server: 5 s, EAI_AGAIN, walk stops", () => {
    const r = run("musl", "web", () => ({ response: REFUSED, delay: ms }));
    expect(r.sent.length).toBe(4);
    expect(r.result).toMatchObject({ code: "EAI_AGAIN", finishedAt: 5 * SECOND });
    expect(r.result.queries[0]?.discarded).toBe("REFUSED: ignored");
  });

  it("§5.3 a REFUSED from one server does not hide the answer of another", () => {
    const text = "nameserver 10.0.0.1\nnameserver 10.0.0.2\n";
    const r = run("musl", "api.example.com", (q) => ({ response: q.server === "10.0.0.1" ? REFUSED : zoneAnswer(WORLD, q), delay: q.server === "10.0.0.1" ? ms : 2 * ms }), { text });
    expect(r.result.ok).toBe(true);
    expect(r.result.finishedAt).toBe(2 * ms);
  });

  it("§5.3 A answered, AAAA SERVFAIL-then-timeout: EAI_AGAIN even though A had an address (musl ≥ 1.2.2)", () => {
    const r = run("musl", "api.example.com.", (q) => ({ response: q.qtype === "AAAA" ? SERVFAIL : zoneAnswer(WORLD, q), delay: ms }));
    expect(r.result.code).toBe("EAI_AGAIN");
  });

  it("§5.3 musl < 1.2.2 decides on the A reply: the same case succeeds", () => {
    const r = run("musl", "api.example.com.", (q) => ({ response: q.qtype === "AAAA" ? SERVFAIL : zoneAnswer(WORLD, q), delay: ms }), { muslVersion: "1.2.1" });
    expect(r.result.ok).toBe(true);
  });

  it("§5.3 TC → TCP retry (musl ≥ 1.2.4), for the truncated query only, to the server that answered", () => {
    const respond = (q: { name: string; qtype: string; transport: string }) => ({
      response: q.transport === "udp" && q.qtype === "A" ? { ...zoneAnswer(WORLD, q), answers: [], truncated: true } : zoneAnswer(WORLD, q),
      delay: ms,
    });
    const r = run("musl", "api.example.com.", respond, { muslVersion: "1.2.4" });
    expect(r.sent.map((q) => [q.qtype, q.transport, q.at])).toEqual([
      ["A", "udp", 0],
      ["AAAA", "udp", 0],
      ["A", "tcp", ms],
    ]);
    expect(r.result.addresses).toContainEqual({ family: 4, address: "93.184.216.34" });
  });

  it("§5.3 TC before musl 1.2.4: the truncated reply is used as it is (no TCP)", () => {
    const respond = (q: { name: string; qtype: string; transport: string }) => ({
      response: q.qtype === "A" ? { ...zoneAnswer(WORLD, q), truncated: true } : zoneAnswer(WORLD, q),
      delay: ms,
    });
    const r = run("musl", "api.example.com.", respond, { muslVersion: "1.2.3" });
    expect(r.sent.every((q) => q.transport === "udp")).toBe(true);
    expect(r.sent.length).toBe(2);
    expect(r.result.ok).toBe(true);
    expect(muslFeatures("1.2.3").tcpFallback).toBe(false);
    expect(muslFeatures("1.2.5").tcpFallback).toBe(true);
  });

  it("§5.3 no EDNS: queries carry no OPT record", () => {
    expect(run("musl", "api.example.com.").sent[0]?.ednsUdpSize).toBeUndefined();
  });

  it("§5.3 resolv.conf: a search line longer than 254 characters is ignored whole (256-byte line buffer)", () => {
    const long = Array.from({ length: 12 }, (_, i) => `d${i}.very-long-node-search-domain.example`);
    const text = `search default.svc.cluster.local svc.cluster.local cluster.local ${long.join(" ")}\nnameserver 10.96.0.10\noptions ndots:5\n`;
    const s = readMuslSettings(text);
    expect(s.search).toEqual([]);
    expect(candidateNames(s, "web")).toEqual(["web"]);
    const short = readMuslSettings(podConfText());
    expect(short.search).toEqual(["default.svc.cluster.local", "svc.cluster.local", "cluster.local"]);
  });

  it("§5.3 resolv.conf options: ndots ≤ 15, attempts ≤ 10, timeout ≤ 60; other options ignored", () => {
    const s = readMuslSettings("nameserver 1.1.1.1\noptions ndots:20 attempts:11 timeout:99 single-request edns0\n");
    expect([s.ndots, s.attempts, s.timeout]).toEqual([15, 10, 60]);
  });

  it("§5.3 a late reply for a previous candidate is dropped (new socket per candidate)", () => {
    // First candidate: A NXDOMAIN at 1 ms; AAAA's first reply comes only at 3 s, but musl resent
    // AAAA at 2.5 s and that answer moved it on. Later candidates answer after 1 s, so the lookup is
    // still running when the late reply arrives.
    const r = run("musl", "nope", (q, _now, i) => ({ response: NXDOMAIN, delay: i === 1 ? 3 * SECOND : i < 3 ? ms : SECOND }));
    const late = r.result.queries[1];
    expect(late).toMatchObject({ outcome: "NXDOMAIN", receivedAt: 3 * SECOND, discarded: "socket closed" });
    expect(r.result.code).toBe("EAI_NONAME");
    expect(r.sent.length).toBe(9);
  });
});
