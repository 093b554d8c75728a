/**
 * The StubLookup interface itself (start / onAnswer / onTimer → actions), driven by hand.
 */

import { describe, expect, it } from "vitest";
import { MILLISECOND, SECOND } from "../../../src/sim/time.js";
import { StubLookup, resolverSettings, type SendAction, type SetTimerAction } from "../../../src/dns/resolver/index.js";
import { WORLD, noerror, podConfText, run, zoneAnswer } from "./helpers.js";

describe("StubLookup interface", () => {
  it("start → sends and one timer; an answer → more actions; done carries the result; later calls do nothing", () => {
    const ids = [0x1234, 0x5678];
    const lookup = new StubLookup(resolverSettings("glibc", podConfText()), "api.example.com.", { nextId: () => ids.shift() as number });
    const first = lookup.start(100);
    expect(first).toEqual([
      { kind: "send", tx: 1, id: 0x1234, name: "api.example.com", qtype: "A", server: "10.96.0.10", transport: "udp", recursionDesired: true },
      { kind: "send", tx: 2, id: 0x5678, name: "api.example.com", qtype: "AAAA", server: "10.96.0.10", transport: "udp", recursionDesired: true },
      { kind: "setTimer", timer: 1, at: 100 + 5 * SECOND },
    ]);
    expect(lookup.onAnswer(200, 2, zoneAnswer(WORLD, { name: "api.example.com", qtype: "AAAA" }))).toEqual([]);
    const last = lookup.onAnswer(300, 1, zoneAnswer(WORLD, { name: "api.example.com", qtype: "A" }));
    expect(last.map((a) => a.kind)).toEqual(["cancelTimer", "done"]);
    expect(lookup.done).toBe(true);
    expect(lookup.result).toMatchObject({ ok: true, startedAt: 100, finishedAt: 300 });
    expect(lookup.result?.queries.map((q) => [q.tx, q.outcome, q.receivedAt])).toEqual([
      [1, "NOERROR", 300],
      [2, "NOERROR", 200],
    ]);
    expect(lookup.onTimer(5 * SECOND + 100, 1)).toEqual([]);
    expect(lookup.onAnswer(6 * SECOND, 1, noerror())).toEqual([]);
  });

  it("a timer firing moves the lookup on; a stale or unknown timer or transmission is ignored", () => {
    const lookup = new StubLookup(resolverSettings("musl", podConfText()), "x.", { nextId: () => 1 });
    const a = lookup.start(0);
    const t = a.find((x): x is SetTimerAction => x.kind === "setTimer") as SetTimerAction;
    expect(t.at).toBe(2.5 * SECOND);
    expect(lookup.onTimer(2.5 * SECOND, 999)).toEqual([]);
    expect(lookup.onAnswer(2.5 * SECOND, 999, noerror())).toEqual([]);
    const b = lookup.onTimer(2.5 * SECOND, t.timer);
    expect(b.filter((x) => x.kind === "send").length).toBe(2);
    expect(b.at(-1)).toMatchObject({ kind: "setTimer", at: 5 * SECOND });
  });

  it("musl makes the two query IDs distinct even if nextId repeats", () => {
    const lookup = new StubLookup(resolverSettings("musl", podConfText()), "x.", { nextId: () => 42 });
    const sends = lookup.start(0).filter((x): x is SendAction => x.kind === "send");
    expect(sends.map((s) => s.id)).toEqual([42, 42 + 256]);
  });

  it("refuses time going backwards, a second start, and calls before start", () => {
    const lookup = new StubLookup(resolverSettings("go", podConfText()), "x.", { nextId: () => 1 });
    expect(() => lookup.onTimer(0, 1)).toThrow(/start\(\) first/);
    lookup.start(10 * MILLISECOND);
    expect(() => lookup.onAnswer(5 * MILLISECOND, 1, noerror())).toThrow(/time went backwards/);
    expect(() => lookup.start(20 * MILLISECOND)).toThrow(/twice/);
  });

  it("family inet sends only A, inet6 only AAAA", () => {
    expect(run("glibc", "api.example.com.", undefined, { family: "inet" }).sent.map((q) => q.qtype)).toEqual(["A"]);
    expect(run("musl", "api.example.com.", undefined, { family: "inet6" }).sent.map((q) => q.qtype)).toEqual(["AAAA"]);
    expect(run("go", "api.example.com.", undefined, { family: "inet" }).result.addresses).toEqual([{ family: 4, address: "93.184.216.34" }]);
  });

  it("/etc/hosts names and address literals send nothing; glibc/musl match the name as given, Go also with a trailing dot", () => {
    const hosts = [{ address: "10.244.1.7", names: ["web-0.web.default.svc.cluster.local", "web-0"] }];
    for (const b of ["glibc", "musl", "go"] as const) {
      const s = resolverSettings(b, podConfText(), { hosts });
      const r = run(s, "web-0");
      expect(r.sent).toEqual([]);
      expect(r.result).toMatchObject({ ok: true, source: "hosts", addresses: [{ family: 4, address: "10.244.1.7" }], canonicalName: "web-0.web.default.svc.cluster.local" });
      expect(run(s, "fd00::1").result).toMatchObject({ ok: true, source: "literal", addresses: [{ family: 6, address: "fd00::1" }] });
      expect(run(s, "web-0.").sent.length > 0).toBe(b !== "go");
    }
  });

  it("an empty name fails at once without queries", () => {
    for (const b of ["glibc", "musl", "go"] as const) {
      const r = run(b, "");
      expect(r.sent).toEqual([]);
      expect(r.result.ok).toBe(false);
    }
  });
});
