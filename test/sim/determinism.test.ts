import { describe, expect, it } from "vitest";
import { checkDeterminism, firstDivergence, Sim } from "../../src/index.js";

declare module "../../src/sim/trace.js" {
  interface TraceEventMap {
    "test.tick": { n: number; draw: number };
  }
}

/** A tiny world: a timer that ticks ten times and records a random draw each time. */
function world(seed: number, sink: (chunk: string) => void, leak?: () => number): void {
  const sim = new Sim({ seed, traceLevel: "full", traceSinks: [sink] });
  const rng = sim.rng.stream("ticks");
  let n = 0;
  const tick = () => {
    sim.trace.record("test.tick", { n, draw: leak ? leak() : rng.int(1000) });
    if (++n < 10) sim.after(1000, tick);
  };
  sim.at(0, tick);
  sim.runUntilIdle();
  sim.trace.flush();
}

describe("checkDeterminism", () => {
  it("finds no divergence in a world that draws only from its seeded streams", () => {
    const r = checkDeterminism((sink) => world(3, sink));
    expect(r.divergence).toBeNull();
    expect(r.trace.split("\n").filter(Boolean)).toHaveLength(11);
  });

  it("points at the first event that differs when a world leaks outside randomness", () => {
    let calls = 0;
    // Differs between the two runs from the sixth tick on, as state leaking across runs would.
    const leak = () => (++calls > 15 ? calls : 0);
    const r = checkDeterminism((sink) => world(3, sink, leak));
    expect(r.divergence).not.toBeNull();
    expect(r.divergence!.line).toBe(7);
    expect(JSON.parse(r.divergence!.first!)).toMatchObject({ t: 5000, type: "test.tick", n: 5 });
    expect(JSON.parse(r.divergence!.second!)).toMatchObject({ t: 5000, type: "test.tick", n: 5 });
  });
});

describe("firstDivergence", () => {
  it("reports a trace that ends early with null for the missing line", () => {
    expect(firstDivergence("a\nb\n", "a\nb\n")).toBeNull();
    expect(firstDivergence("a\nb\nc\n", "a\nb\n")).toEqual({ line: 3, first: "c", second: "" });
    expect(firstDivergence("a\n", "a\nb\nc")).toEqual({ line: 2, first: "", second: "b" });
    expect(firstDivergence("a", "a\nb")).toEqual({ line: 2, first: null, second: "b" });
  });
});
