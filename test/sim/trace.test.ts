import { createHash } from "node:crypto";
import { Readable } from "node:stream";
import { describe, expect, it } from "vitest";
import fc from "fast-check";
import ndjson from "ndjson";
import { Sim, TRACE_LEVELS, Trace, VERSION, type TraceEvent, type TraceHeader, type TraceLevel } from "../../src/index.js";

// Test-only event types, added the way every layer adds its own (declaration merging).
declare module "../../src/sim/trace.js" {
  interface TraceEventMap {
    "test.ping": { b: number; a: string; c?: unknown };
    "test.empty": Record<string, never>;
    "test.any": Record<string, unknown>;
  }
}

const sha256 = (text: string): string => createHash("sha256").update(text).digest("hex");

/** A trace on a hand-driven clock, writing into `out`. */
function makeTrace(level: TraceLevel = "full", header: Partial<TraceHeader> = {}) {
  const clock = { now: 0 };
  const chunks: string[] = [];
  const trace = new Trace(
    clock,
    { scenario: "unit", seed: 7, version: "9.9.9", level, ...header },
    { sinks: [(c) => chunks.push(c)] },
  );
  return { clock, chunks, trace, text: () => chunks.join("") };
}

/** Reads NDJSON the way mcsim's tools do: through ndjson's parse stream. */
async function parseNdjson(chunks: readonly string[]): Promise<unknown[]> {
  const rows: unknown[] = [];
  for await (const row of Readable.from(chunks).pipe(ndjson.parse())) rows.push(row);
  return rows;
}

describe("Trace header", () => {
  it("is the first line, naming format, scenario, seed, version and level in that order", () => {
    const { trace, text } = makeTrace("summary", { scenario: 'east "west"', seed: 123456789 });
    trace.flush();
    expect(text()).toBe(
      '{"type":"header","format":"mcsim-trace/1","scenario":"east \\"west\\"","seed":123456789,"version":"9.9.9","level":"summary"}\n',
    );
    const header = JSON.parse(text()) as Record<string, unknown>;
    expect(Object.keys(header)).toEqual(["type", "format", "scenario", "seed", "version", "level"]);
    expect(header.scenario).toBe('east "west"');
  });

  it("records the level in force when options override the header's", () => {
    const chunks: string[] = [];
    const trace = new Trace({ now: 0 }, { scenario: "s", seed: 1, version: "v", level: "off" }, {
      level: "full",
      sinks: [(c) => chunks.push(c)],
    });
    trace.flush();
    expect(trace.level).toBe("full");
    expect(JSON.parse(chunks.join("")).level).toBe("full");
  });

  it("is written by a Sim with its name, seed and the mcsim version", () => {
    const chunks: string[] = [];
    const sim = new Sim({ seed: 99, name: "lab-1", traceLevel: "summary", traceSinks: [(c) => chunks.push(c)] });
    sim.trace.flush();
    expect(JSON.parse(chunks.join(""))).toEqual({
      type: "header",
      format: "mcsim-trace/1",
      scenario: "lab-1",
      seed: 99,
      version: VERSION,
      level: "summary",
    });
  });

  it("defaults a Sim's trace to off and its name to unnamed", () => {
    const sim = new Sim({ seed: 1 });
    expect(sim.trace.level).toBe("off");
    expect(sim.trace.header.scenario).toBe("unnamed");
  });
});

describe("Trace levels", () => {
  it.each<[TraceLevel, boolean, boolean]>([
    ["off", false, false],
    ["summary", true, false],
    ["full", true, true],
  ])("%s sets summary=%s and full=%s", (level, summary, full) => {
    const { trace } = makeTrace(level);
    expect(trace.level).toBe(level);
    expect(trace.summary).toBe(summary);
    expect(trace.full).toBe(full);
  });

  it("lists the levels least first", () => {
    expect(TRACE_LEVELS).toEqual(["off", "summary", "full"]);
  });
});

describe("Trace.record", () => {
  it("refuses, at compile time, fields named t or type, which every line already begins with", () => {
    const { trace, text } = makeTrace();
    // @ts-expect-error `type` is reserved for the event's own type
    trace.record("test.any", { type: "A" });
    // @ts-expect-error `t` is reserved for the event's time
    trace.record("test.any", { t: 5 });
    trace.record("test.any", { qtype: "A" });
    trace.flush();
    expect(text().split("\n")[3]).toBe('{"t":0,"type":"test.any","qtype":"A"}');
  });

  it("writes t, type, then the fields in the order given", () => {
    const { clock, trace, text } = makeTrace();
    clock.now = 1_500;
    trace.record("test.ping", { b: 2, a: "x", c: { z: 1, y: [null, true] } });
    trace.flush();
    const lines = text().split("\n");
    expect(lines[1]).toBe('{"t":1500,"type":"test.ping","b":2,"a":"x","c":{"z":1,"y":[null,true]}}');
    expect(Object.keys(JSON.parse(lines[1]!) as object)).toEqual(["t", "type", "b", "a", "c"]);
    expect(lines[2]).toBe("");
    expect(lines).toHaveLength(3);
  });

  it("writes an event with no fields as t and type alone", () => {
    const { clock, trace, text } = makeTrace();
    clock.now = 3;
    trace.record("test.empty", {});
    trace.flush();
    expect(text().split("\n")[1]).toBe('{"t":3,"type":"test.empty"}');
  });

  it("stamps each event with the clock's time when recorded and counts events", () => {
    const sim = new Sim({ seed: 1, traceLevel: "full" });
    const seen: number[] = [];
    sim.trace.on("test.ping", (e) => seen.push(e.t));
    for (const t of [5, 10, 10, 2_000]) sim.at(t, () => sim.trace.record("test.ping", { b: t, a: "" }));
    sim.runUntilIdle();
    expect(seen).toEqual([5, 10, 10, 2_000]);
    expect(sim.trace.count).toBe(4);
  });

  it("property: fields come back in order, with t and type first, and the text parses line by line", () => {
    const key = fc.string({ minLength: 1, maxLength: 6 }).filter((k) => k !== "t" && k !== "type" && !/^\d+$/.test(k));
    const value = fc.oneof(fc.integer(), fc.string({ maxLength: 10 }), fc.boolean(), fc.constant(null));
    const event = fc.record({
      dt: fc.nat({ max: 1_000 }),
      fields: fc.uniqueArray(fc.tuple(key, value), { maxLength: 6, selector: ([k]) => k }),
    });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (events) => {
        const { clock, trace, text } = makeTrace();
        const expected: Record<string, unknown>[] = [];
        for (const { dt, fields } of events) {
          clock.now += dt;
          const obj = Object.fromEntries(fields);
          trace.record("test.any", obj);
          expected.push({ t: clock.now, type: "test.any", ...obj });
        }
        expect(trace.digest()).toBe(sha256(text()));
        const lines = text().split("\n");
        expect(lines.pop()).toBe("");
        expect(lines).toHaveLength(events.length + 1);
        lines.slice(1).forEach((line, i) => {
          const parsed = JSON.parse(line) as Record<string, unknown>;
          expect(parsed).toEqual(expected[i]);
          expect(Object.keys(parsed)).toEqual(["t", "type", ...events[i]!.fields.map(([k]) => k)]);
        });
      }),
      { numRuns: 150 },
    );
  });
});

describe("Trace digest", () => {
  it("is the sha256 of the header alone before any event", () => {
    const { trace, text } = makeTrace();
    const d = trace.digest();
    expect(d).toMatch(/^[0-9a-f]{64}$/);
    expect(d).toBe(sha256(text()));
    expect(text().split("\n")).toHaveLength(2);
  });

  it("equals the sha256 of the concatenated sink output, at every point", () => {
    const { clock, trace, text } = makeTrace();
    for (let i = 0; i < 100; i++) {
      clock.now = i * 10;
      trace.record("test.ping", { b: i, a: `n${i}` });
      if (i % 25 === 0) expect(trace.digest()).toBe(sha256(text()));
    }
    const d = trace.digest();
    expect(d).toBe(sha256(text()));
    expect(trace.digest()).toBe(d); // asking twice changes nothing
  });

  it("does not need a sink", () => {
    const withSink = makeTrace();
    const without = new Trace({ now: 0 }, { scenario: "unit", seed: 7, version: "9.9.9", level: "full" });
    withSink.trace.record("test.ping", { b: 1, a: "a" });
    without.record("test.ping", { b: 1, a: "a" });
    expect(without.digest()).toBe(withSink.trace.digest());
  });

  it("property: the same events give the same digest, and any one change gives another", () => {
    const ev = fc.record({ t: fc.nat({ max: 100 }), b: fc.integer(), a: fc.string({ maxLength: 5 }) });
    fc.assert(
      fc.property(
        fc.array(ev, { minLength: 1, maxLength: 20 }),
        fc.nat(),
        fc.constantFrom("t", "b", "a", "drop"),
        (events, which, what) => {
          const digestOf = (list: readonly { t: number; b: number; a: string }[]) => {
            const clock = { now: 0 };
            const tr = new Trace(clock, { scenario: "p", seed: 1, version: "v", level: "full" });
            for (const e of list) {
              clock.now = e.t;
              tr.record("test.ping", { b: e.b, a: e.a });
            }
            return tr.digest();
          };
          const base = digestOf(events);
          expect(digestOf(events.map((e) => ({ ...e })))).toBe(base);
          const i = which % events.length;
          const changed = events.map((e, j) =>
            j !== i ? e : what === "t" ? { ...e, t: e.t + 1 } : what === "b" ? { ...e, b: e.b + 1 } : { ...e, a: `${e.a}!` },
          );
          const mutated = what === "drop" ? events.filter((_, j) => j !== i) : changed;
          expect(digestOf(mutated)).not.toBe(base);
        },
      ),
      { numRuns: 200 },
    );
  });

  it("changes with the header", () => {
    const a = new Trace({ now: 0 }, { scenario: "s", seed: 1, version: "v", level: "full" });
    const b = new Trace({ now: 0 }, { scenario: "s", seed: 2, version: "v", level: "full" });
    expect(a.digest()).not.toBe(b.digest());
  });
});

describe("Trace sinks", () => {
  it("receive whole lines only, in several chunks when the trace passes 64 KiB", async () => {
    const { clock, trace, chunks, text } = makeTrace();
    const pad = "x".repeat(200);
    const n = 2_000; // about 460 KB
    for (let i = 0; i < n; i++) {
      clock.now = i;
      trace.record("test.ping", { b: i, a: pad });
    }
    // Lines go out while the run goes on, not only at the end.
    expect(chunks.length).toBeGreaterThanOrEqual(3);
    trace.flush();
    expect(chunks.length).toBeGreaterThanOrEqual(5);
    for (const chunk of chunks) {
      expect(chunk.endsWith("\n")).toBe(true);
      for (const line of chunk.slice(0, -1).split("\n")) expect(() => JSON.parse(line)).not.toThrow();
      expect(chunk.length).toBeLessThan(64 * 1024 + 1_000);
    }
    expect(trace.digest()).toBe(sha256(text()));
    const rows = (await parseNdjson(chunks)) as { t?: number; type: string; b?: number }[];
    expect(rows).toHaveLength(n + 1);
    expect(rows[0]!.type).toBe("header");
    expect(rows.slice(1).map((r) => r.b)).toEqual(Array.from({ length: n }, (_, i) => i));
  });

  it("all receive the same bytes", () => {
    const a: string[] = [];
    const b: string[] = [];
    const trace = new Trace({ now: 4 }, { scenario: "s", seed: 1, version: "v", level: "full" }, {
      sinks: [(c) => a.push(c), (c) => b.push(c)],
    });
    trace.record("test.empty", {});
    trace.flush();
    expect(a.join("")).toContain('{"t":4,"type":"test.empty"}\n');
    expect(b).toEqual(a);
  });

  it("get nothing again from a flush with nothing new", () => {
    const { trace, chunks } = makeTrace();
    trace.flush();
    const n = chunks.length;
    trace.flush();
    trace.digest();
    expect(chunks.length).toBe(n);
    expect(n).toBe(1);
  });
});

describe("Trace listeners", () => {
  it("on(type) gets events of that type with t and type; onAny gets every event", () => {
    const { clock, trace } = makeTrace();
    const pings: TraceEvent<"test.ping">[] = [];
    const all: TraceEvent[] = [];
    trace.on("test.ping", (e) => pings.push(e));
    trace.onAny((e) => all.push(e));
    clock.now = 10;
    trace.record("test.ping", { b: 1, a: "one" });
    clock.now = 20;
    trace.record("test.empty", {});
    expect(pings).toEqual([{ t: 10, type: "test.ping", b: 1, a: "one" }]);
    expect(all).toEqual([
      { t: 10, type: "test.ping", b: 1, a: "one" },
      { t: 20, type: "test.empty" },
    ]);
  });

  it("only see events recorded after they were added", () => {
    const { trace } = makeTrace();
    trace.record("test.empty", {});
    const all: unknown[] = [];
    trace.onAny((e) => all.push(e));
    trace.record("test.ping", { b: 2, a: "" });
    expect(all).toHaveLength(1);
  });
});

describe("Trace as NDJSON", () => {
  it("parses line by line with ndjson into the header and the events", async () => {
    const chunks: string[] = [];
    const sim = new Sim({ seed: 5, name: "ndjson", traceLevel: "full", traceSinks: [(c) => chunks.push(c)] });
    sim.at(1, () => sim.trace.record("test.ping", { b: 1, a: "é ☃ \n \"quoted\"" }));
    sim.at(2, () => sim.trace.record("test.empty", {}));
    sim.runUntilIdle();
    sim.trace.flush();
    const rows = await parseNdjson(chunks);
    expect(rows).toEqual([
      { type: "header", format: "mcsim-trace/1", scenario: "ndjson", seed: 5, version: VERSION, level: "full" },
      { t: 1, type: "test.ping", b: 1, a: "é ☃ \n \"quoted\"" },
      { t: 2, type: "test.empty" },
    ]);
    // The digest covers the UTF-8 bytes, as sha256sum of the file would.
    expect(sim.trace.digest()).toBe(createHash("sha256").update(Buffer.from(chunks.join(""), "utf8")).digest("hex"));
  });

  it("two runs of one world and seed give the same bytes", () => {
    const run = (seed: number) => {
      const chunks: string[] = [];
      const sim = new Sim({ seed, name: "det", traceLevel: "full", traceSinks: [(c) => chunks.push(c)] });
      const rng = sim.rng.stream("ticks");
      const tick = (n: number) => {
        sim.trace.record("test.ping", { b: n, a: String(rng.int(1_000)) });
        if (n < 50) sim.after(rng.int(100), tick, n + 1);
      };
      sim.at(0, tick, 0);
      sim.runUntilIdle();
      return { digest: sim.trace.digest(), text: chunks.join("") };
    };
    const a = run(3);
    expect(run(3)).toEqual(a);
    expect(run(4).digest).not.toBe(a.digest);
  });
});
