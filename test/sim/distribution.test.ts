import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  DistributionError,
  MAX_SAMPLE,
  Rng,
  checkDistribution,
  constant,
  describeDistribution,
  sample,
  type Distribution,
} from "../../src/index.js";

/** Durations in realistic ranges (up to ~17 minutes), integers as scenario files give them. */
const dur = fc.integer({ min: 0, max: 1_000_000_000 });
const pos = fc.integer({ min: 1, max: 1_000_000_000 });

/** Any valid distribution, with parameters in realistic ranges. */
const distribution: fc.Arbitrary<Distribution> = fc.oneof(
  dur.map((value) => constant(value)),
  fc.tuple(dur, dur).map(([a, b]): Distribution => ({ kind: "uniform", min: Math.min(a, b), max: Math.max(a, b) })),
  fc.tuple(dur, dur).map(([mean, stddev]): Distribution => ({ kind: "normal", mean, stddev })),
  fc
    .tuple(fc.integer({ min: 1, max: 10_000_000 }), fc.double({ min: 1, max: 1_000, noNaN: true }))
    .map(([median, ratio]): Distribution => ({ kind: "lognormal", median, p99: Math.round(median * ratio) })),
  fc
    .tuple(dur, fc.option(dur, { nil: undefined }))
    .map(([a, b]): Distribution =>
      b === undefined ? { kind: "exponential", mean: a } : { kind: "exponential", mean: Math.max(a, b), min: Math.min(a, b) },
    ),
  fc
    .tuple(pos, fc.double({ min: 0.5, max: 10, noNaN: true }))
    .map(([scale, shape]): Distribution => ({ kind: "pareto", scale, shape })),
);

describe("sample", () => {
  it("caps heavy-tailed draws at MAX_SAMPLE, so that a delay is always a safe whole number", () => {
    const r = Rng.root(3);
    const heavy: Distribution = { kind: "pareto", scale: 1_000, shape: 0.01 };
    const draws = Array.from({ length: 200 }, () => sample(heavy, r));
    expect(Math.max(...draws)).toBe(MAX_SAMPLE);
    for (const d of draws) expect(Number.isSafeInteger(d) && d >= 1_000).toBe(true);
  });

  it("returns the value of a constant, drawing nothing", () => {
    const r = Rng.root(1);
    expect(sample(constant(1_234), r)).toBe(1_234);
    expect(sample(constant(0), r)).toBe(0);
    expect(r.draws).toBe(0);
  });

  it("property: every kind returns a non-negative whole number of microseconds", () => {
    fc.assert(
      fc.property(distribution, fc.nat(), (d, seed) => {
        checkDistribution(d);
        const r = Rng.root(seed);
        for (let i = 0; i < 20; i++) {
          const v = sample(d, r);
          expect(Number.isInteger(v)).toBe(true);
          expect(v).toBeGreaterThanOrEqual(0);
        }
      }),
      { numRuns: 500 },
    );
  });

  it("property: a constant with a fractional value still gives a whole number of microseconds", () => {
    fc.assert(
      fc.property(fc.double({ min: 0, max: 1e9, noNaN: true }), (value) => {
        const v = sample(checkDistribution(constant(value)), Rng.root(0));
        expect(Number.isInteger(v)).toBe(true);
        expect(Math.abs(v - value)).toBeLessThanOrEqual(0.5);
      }),
      { numRuns: 200 },
    );
  });

  it("property: samples respect each kind's bounds", () => {
    fc.assert(
      fc.property(distribution, fc.nat(), (d, seed) => {
        const r = Rng.root(seed);
        for (let i = 0; i < 20; i++) {
          const v = sample(d, r);
          switch (d.kind) {
            case "constant":
              expect(v).toBe(d.value);
              break;
            case "uniform":
              expect(v).toBeGreaterThanOrEqual(d.min);
              expect(v).toBeLessThanOrEqual(d.max);
              break;
            case "exponential":
              expect(v).toBeGreaterThanOrEqual(d.min ?? 0);
              break;
            case "pareto":
              expect(v).toBeGreaterThanOrEqual(d.scale);
              break;
            case "lognormal":
            case "normal":
              break;
          }
        }
      }),
      { numRuns: 300 },
    );
  });

  it("clamps a normal draw below zero to zero", () => {
    const r = Rng.root(3);
    const d: Distribution = { kind: "normal", mean: 0, stddev: 1_000 };
    const xs = Array.from({ length: 1_000 }, () => sample(d, r));
    expect(xs.filter((x) => x === 0).length).toBeGreaterThan(400);
    expect(Math.min(...xs)).toBe(0);
    expect(Math.max(...xs)).toBeGreaterThan(0);
  });

  it("is reproducible from the stream", () => {
    const d: Distribution = { kind: "lognormal", median: 2_000, p99: 10_000 };
    const a = Rng.root(5).stream("s");
    const b = Rng.root(5).stream("s");
    const xs = Array.from({ length: 20 }, () => sample(d, a));
    expect(Array.from({ length: 20 }, () => sample(d, b))).toEqual(xs);
    expect(new Set(xs).size).toBeGreaterThan(1);
  });

  it("exponential with a min has mean `mean` overall", () => {
    const r = Rng.root(7);
    const d: Distribution = { kind: "exponential", mean: 1_000, min: 400 };
    const xs = Array.from({ length: 20_000 }, () => sample(d, r));
    const m = xs.reduce((a, b) => a + b, 0) / xs.length;
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(400);
    expect(m).toBeGreaterThan(950);
    expect(m).toBeLessThan(1_050);
  });
});

describe("checkDistribution", () => {
  it("returns a valid distribution unchanged", () => {
    const d: Distribution = { kind: "lognormal", median: 2_000, p99: 10_000 };
    expect(checkDistribution(d)).toBe(d);
    expect(checkDistribution(constant(0))).toEqual(constant(0));
    expect(checkDistribution({ kind: "pareto", scale: 0, shape: 1 })).toBeDefined();
  });

  it("property: every generated distribution passes", () => {
    fc.assert(
      fc.property(distribution, (d) => {
        expect(checkDistribution(d)).toBe(d);
      }),
      { numRuns: 300 },
    );
  });

  it.each<[Distribution, RegExp]>([
    [constant(-1), /value must be a finite duration of 0 or more/],
    [constant(Number.NaN), /value must be/],
    [constant(Number.POSITIVE_INFINITY), /value must be/],
    [{ kind: "uniform", min: -1, max: 5 }, /min must be/],
    [{ kind: "uniform", min: 10, max: 5 }, /max must be at least min/],
    [{ kind: "normal", mean: -1, stddev: 1 }, /mean must be/],
    [{ kind: "normal", mean: 1, stddev: -1 }, /stddev must be/],
    [{ kind: "lognormal", median: 0, p99: 10 }, /median must be more than 0/],
    [{ kind: "lognormal", median: -5, p99: 10 }, /median must be/],
    [{ kind: "lognormal", median: 10, p99: 5 }, /p99 must be at least the median/],
    [{ kind: "exponential", mean: -1 }, /mean must be/],
    [{ kind: "exponential", mean: 5, min: 10 }, /mean must be at least min/],
    [{ kind: "exponential", mean: 5, min: -1 }, /min must be/],
    [{ kind: "pareto", scale: -1, shape: 1 }, /scale must be/],
    [{ kind: "pareto", scale: 1, shape: 0 }, /shape must be more than 0/],
    [{ kind: "pareto", scale: 1, shape: -2 }, /shape must be more than 0/],
    [{ kind: "pareto", scale: 1, shape: Number.NaN }, /shape must be more than 0/],
  ])("rejects %j with a DistributionError (NaN shows as null)", (d, why) => {
    expect(() => checkDistribution(d)).toThrow(DistributionError);
    expect(() => checkDistribution(d)).toThrow(why);
  });

  it("accepts the boundaries and rejects just past them", () => {
    expect(() => checkDistribution({ kind: "lognormal", median: 10, p99: 10 })).not.toThrow();
    expect(() => checkDistribution({ kind: "lognormal", median: 10, p99: 9 })).toThrow(DistributionError);
    expect(() => checkDistribution({ kind: "uniform", min: 10, max: 10 })).not.toThrow();
    expect(() => checkDistribution({ kind: "uniform", min: 10, max: 9 })).toThrow(DistributionError);
    expect(() => checkDistribution({ kind: "exponential", mean: 10, min: 10 })).not.toThrow();
    expect(() => checkDistribution({ kind: "exponential", mean: 9, min: 10 })).toThrow(DistributionError);
    expect(() => checkDistribution({ kind: "lognormal", median: 1, p99: 1 })).not.toThrow();
    expect(() => checkDistribution({ kind: "pareto", scale: 1, shape: Number.MIN_VALUE })).not.toThrow();
  });

  it("names the distribution in its error", () => {
    expect(() => checkDistribution({ kind: "lognormal", median: 10_000, p99: 2_000 })).toThrow(
      /^lognormal\(median=10ms, p99=2ms\): p99 must be at least the median$/,
    );
    try {
      checkDistribution({ kind: "uniform", min: 5, max: 1 });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DistributionError);
      expect((e as Error).name).toBe("DistributionError");
    }
  });
});

describe("describeDistribution", () => {
  it.each<[Distribution, string]>([
    [constant(2_000), "2ms"],
    [constant(0), "0s"],
    [{ kind: "uniform", min: 1_000, max: 3_000_000 }, "uniform(1ms, 3s)"],
    [{ kind: "normal", mean: 5_000, stddev: 250 }, "normal(mean=5ms, stddev=250us)"],
    [{ kind: "lognormal", median: 2_000, p99: 10_000 }, "lognormal(median=2ms, p99=10ms)"],
    [{ kind: "exponential", mean: 1_500 }, "exponential(mean=1.5ms)"],
    [{ kind: "exponential", mean: 1_500, min: 0 }, "exponential(mean=1.5ms)"],
    [{ kind: "exponential", mean: 1_500, min: 100 }, "exponential(mean=1.5ms, min=100us)"],
    [{ kind: "pareto", scale: 90_000_000, shape: 1.5 }, "pareto(scale=1m30s, shape=1.5)"],
  ])("writes %j as %j", (d, text) => {
    expect(describeDistribution(d)).toBe(text);
  });
});
