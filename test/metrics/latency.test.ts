import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { LatencyRecorder } from "../../src/index.js";

describe("LatencyRecorder", () => {
  it("answers nearest-rank percentiles exactly", () => {
    const r = new LatencyRecorder();
    for (let v = 100; v >= 1; v--) r.record(v);
    expect(r.count).toBe(100);
    expect(r.percentile(0.5)).toBe(50);
    expect(r.percentile(0.99)).toBe(99);
    expect(r.percentile(1)).toBe(100);
    expect(r.percentile(0.001)).toBe(1);
    expect(r.summary()).toEqual({ count: 100, min: 1, mean: 50.5, p50: 50, p90: 90, p99: 99, p999: 100, max: 100 });
  });

  it("gives NaN figures when empty and rejects quantiles outside (0, 1]", () => {
    const r = new LatencyRecorder();
    expect(r.summary().count).toBe(0);
    expect(r.summary().p50).toBeNaN();
    expect(() => r.percentile(0)).toThrow(RangeError);
    expect(() => r.percentile(1.5)).toThrow(RangeError);
  });

  it("keeps recording after a summary, and grows past its first buffer", () => {
    const r = new LatencyRecorder();
    for (let i = 0; i < 5000; i++) r.record(i);
    expect(r.percentile(1)).toBe(4999);
    r.record(1_000_000);
    expect(r.summary().max).toBe(1_000_000);
    expect(r.count).toBe(5001);
  });

  it("property: the q-percentile has at least q of the values at or below it, and is a recorded value", () => {
    fc.assert(
      fc.property(fc.array(fc.integer({ min: 0, max: 1e9 }), { minLength: 1, maxLength: 300 }), fc.double({ min: 0.001, max: 1, noNaN: true }), (values, q) => {
        const r = new LatencyRecorder();
        for (const v of values) r.record(v);
        const p = r.percentile(q);
        expect(values).toContain(p);
        expect(values.filter((v) => v <= p).length).toBeGreaterThanOrEqual(Math.ceil(q * values.length));
        expect(values.filter((v) => v < p).length).toBeLessThan(Math.ceil(q * values.length));
      }),
    );
  });
});
