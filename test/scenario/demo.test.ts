import { describe, expect, it } from "vitest";
import { formatTable, millis } from "../../src/scenario/table.js";
import { runDemo } from "../../src/scenario/demo.js";
import { SECOND } from "../../src/index.js";

describe("the built-in demo", () => {
  it("gives the same report and trace digest for the same seed, and another digest for another seed", () => {
    const run = (seed: number) => runDemo({ seed, duration: 8 * SECOND, traceLevel: "full" });
    const a = run(4);
    const b = run(4);
    const c = run(5);
    expect(a.digest).toBe(b.digest);
    expect(a.rows).toEqual(b.rows);
    expect(a.traceEvents).toBeGreaterThan(1000);
    expect(c.digest).not.toBe(a.digest);
  });

  it("measures cross-region round trips of about twice the one-way cross-region latency", () => {
    const r = runDemo({ seed: 9, duration: 9 * SECOND });
    const before = r.rows.find((x) => x.phase === "before" && x.target === "remote")!;
    // DEFAULT_LINKS cross-region: lognormal median 35ms one way, so a round trip is near 70ms.
    expect(before.rtt.p50).toBeGreaterThan(65_000);
    expect(before.rtt.p50).toBeLessThan(80_000);
    const local = r.rows.find((x) => x.phase === "before" && x.target === "local")!;
    expect(local.rtt.p99).toBeLessThan(10_000);
  });

  it("puts every ping in one phase and accounts for each: answered, timed out, or in flight at the end", () => {
    const r = runDemo({ seed: 1, duration: 12 * SECOND, rate: 20 });
    for (const row of r.rows) expect(row.answered + row.timedOut).toBeLessThanOrEqual(row.sent);
    const sent = r.rows.reduce((n, row) => n + row.sent, 0);
    const settled = r.rows.reduce((n, row) => n + row.answered + row.timedOut, 0);
    // Pings sent in the last second are still waiting for their answer or timeout.
    expect(sent - settled).toBeLessThan(8 * 20);
    expect(r.partition).toEqual({ at: 4 * SECOND, until: 7 * SECOND });
  });
});

describe("report tables", () => {
  it("pads columns, right-aligns numeric ones and left-aligns text", () => {
    const t = formatTable(["NAME", "COUNT", "P50"], [["a", 1, millis(1500)], ["bbbb", 1234, millis(Number.NaN)]]);
    expect(t.split("\n")).toEqual(["NAME  COUNT    P50", "a         1  1.500", "bbbb   1234      -"]);
  });
});
