import { describe, expect, it } from "vitest";
import fc from "fast-check";
import { Rng, SeedError } from "../../src/index.js";

const draw = (rng: Rng, n: number): number[] => Array.from({ length: n }, () => rng.nextUint32());

/** The value at quantile q of sorted values. */
const quantile = (sorted: readonly number[], q: number): number => sorted[Math.floor(q * (sorted.length - 1))]!;
const mean = (xs: readonly number[]): number => xs.reduce((a, b) => a + b, 0) / xs.length;
const stddev = (xs: readonly number[]): number => {
  const m = mean(xs);
  return Math.sqrt(xs.reduce((a, b) => a + (b - m) ** 2, 0) / (xs.length - 1));
};

describe("Rng.root", () => {
  it("gives the same sequence for the same seed and name", () => {
    expect(draw(Rng.root(42).stream("link/a/b"), 50)).toEqual(draw(Rng.root(42).stream("link/a/b"), 50));
    expect(draw(Rng.root(42), 50)).toEqual(draw(Rng.root(42), 50));
  });

  it("gives different sequences for different seeds", () => {
    expect(draw(Rng.root(1).stream("x"), 8)).not.toEqual(draw(Rng.root(2).stream("x"), 8));
    expect(draw(Rng.root(0), 8)).not.toEqual(draw(Rng.root(1), 8));
  });

  it("accepts 0 and the largest safe integer", () => {
    expect(Rng.root(0).seed).toBe(0);
    expect(Rng.root(Number.MAX_SAFE_INTEGER).seed).toBe(Number.MAX_SAFE_INTEGER);
  });

  it.each([-1, 1.5, Number.NaN, Number.POSITIVE_INFINITY, Number.MAX_SAFE_INTEGER + 1])(
    "rejects seed %s with a SeedError",
    (seed) => {
      expect(() => Rng.root(seed)).toThrow(SeedError);
      expect(() => Rng.root(seed)).toThrow(/invalid seed/);
    },
  );

  it("rejects non-number seeds at run time", () => {
    expect(() => Rng.root("7" as unknown as number)).toThrow(SeedError);
  });
});

describe("Rng.stream", () => {
  it("returns the same object for the same name", () => {
    const root = Rng.root(3);
    const a = root.stream("a");
    expect(root.stream("a")).toBe(a);
    expect(root.stream("b")).not.toBe(a);
  });

  it("shares the sequence between two places that ask for one name", () => {
    const root = Rng.root(3);
    const first = root.stream("shared").nextUint32();
    const second = root.stream("shared").nextUint32();
    const fresh = Rng.root(3).stream("shared");
    expect([first, second]).toEqual(draw(fresh, 2));
  });

  it("gives different sequences for different names", () => {
    const root = Rng.root(9);
    expect(draw(root.stream("a"), 8)).not.toEqual(draw(root.stream("b"), 8));
    expect(draw(root.stream("a"), 8)).not.toEqual(draw(root, 8));
  });

  it("names children with '/': a/b is stream('a').stream('b')", () => {
    const root = Rng.root(11);
    const child = root.stream("a").stream("b");
    expect(child.name).toBe("a/b");
    expect(root.stream("a/b")).toBe(child);
    expect(draw(child, 10)).toEqual(draw(Rng.root(11).stream("a/b"), 10));
    expect(draw(Rng.root(11).stream("a").stream("b"), 10)).not.toEqual(draw(Rng.root(11).stream("a"), 10));
  });

  it("property: draws from one stream never change another's (stream independence)", () => {
    fc.assert(
      fc.property(
        fc.nat({ max: 1_000_000 }),
        fc.string({ minLength: 1, maxLength: 8 }),
        fc.array(fc.record({ other: fc.string({ maxLength: 8 }), n: fc.nat({ max: 20 }) }), { maxLength: 10 }),
        (seed, name, interference) => {
          const expected = draw(Rng.root(seed).stream(name), 16);
          const root = Rng.root(seed);
          const b = root.stream(name);
          const got: number[] = [];
          for (const { other, n } of interference) {
            // Create other streams (siblings and their children), draw from them and from the root,
            // and interleave draws from b. A stream that *is* b by name is b, so skip it.
            const sibling = root.stream(other);
            const child = sibling.stream("child");
            if (sibling !== b) draw(sibling, n);
            if (child !== b) draw(child, n % 3);
            draw(root, n % 2);
            if (got.length < 16) got.push(b.nextUint32());
          }
          while (got.length < 16) got.push(b.nextUint32());
          expect(got).toEqual(expected);
        },
      ),
      { numRuns: 200 },
    );
  });
});

describe("Rng draws", () => {
  it("counts draws and starts each stream at 0", () => {
    const r = Rng.root(5).stream("count");
    expect(r.draws).toBe(0);
    r.next();
    r.int(10);
    r.normal(0, 1); // two draws
    expect(r.draws).toBe(4);
  });

  it("property: next() is in [0, 1) and int(n) is a whole number in [0, n)", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: 1, max: 2 ** 31 }), (seed, n) => {
        const r = Rng.root(seed);
        for (let i = 0; i < 50; i++) {
          const x = r.next();
          expect(x).toBeGreaterThanOrEqual(0);
          expect(x).toBeLessThan(1);
          const k = r.int(n);
          expect(Number.isInteger(k)).toBe(true);
          expect(k).toBeGreaterThanOrEqual(0);
          expect(k).toBeLessThan(n);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("int(n) reaches every value of a small range", () => {
    const r = Rng.root(1);
    const seen = new Set<number>();
    for (let i = 0; i < 200; i++) seen.add(r.int(6));
    expect([...seen].sort()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it("property: uniform(min, max) is in [min, max)", () => {
    fc.assert(
      fc.property(fc.nat(), fc.integer({ min: -1000, max: 1000 }), fc.integer({ min: 1, max: 1000 }), (seed, min, width) => {
        const r = Rng.root(seed);
        for (let i = 0; i < 20; i++) {
          const x = r.uniform(min, min + width);
          expect(x).toBeGreaterThanOrEqual(min);
          expect(x).toBeLessThan(min + width);
        }
      }),
      { numRuns: 100 },
    );
  });

  it("bernoulli(0) and bernoulli(1) draw nothing", () => {
    const r = Rng.root(2).stream("b");
    for (let i = 0; i < 10; i++) {
      expect(r.bernoulli(0)).toBe(false);
      expect(r.bernoulli(1)).toBe(true);
    }
    expect(r.draws).toBe(0);
    r.bernoulli(0.5);
    expect(r.draws).toBe(1);
  });

  it("bernoulli(p) is true about p of the time", () => {
    const r = Rng.root(8).stream("bern");
    let hits = 0;
    for (let i = 0; i < 20_000; i++) if (r.bernoulli(0.3)) hits++;
    expect(hits / 20_000).toBeGreaterThan(0.28);
    expect(hits / 20_000).toBeLessThan(0.32);
  });

  it("lognormal(median, p99) has about that median and p99", () => {
    const r = Rng.root(21).stream("lognormal");
    const xs = Array.from({ length: 20_000 }, () => r.lognormal(2_000, 10_000)).sort((a, b) => a - b);
    expect(quantile(xs, 0.5)).toBeGreaterThan(2_000 * 0.9);
    expect(quantile(xs, 0.5)).toBeLessThan(2_000 * 1.1);
    expect(quantile(xs, 0.99)).toBeGreaterThan(10_000 * 0.9);
    expect(quantile(xs, 0.99)).toBeLessThan(10_000 * 1.1);
    expect(xs[0]).toBeGreaterThan(0);
  });

  it("lognormal with p99 equal to the median is constant", () => {
    const r = Rng.root(21).stream("flat");
    for (let i = 0; i < 10; i++) expect(r.lognormal(500, 500)).toBeCloseTo(500, 9);
  });

  it("exponential(mean) has about that mean and is never negative", () => {
    const r = Rng.root(22).stream("exp");
    const xs = Array.from({ length: 20_000 }, () => r.exponential(1_000));
    expect(Math.min(...xs)).toBeGreaterThanOrEqual(0);
    expect(mean(xs)).toBeGreaterThan(950);
    expect(mean(xs)).toBeLessThan(1_050);
  });

  it("pareto(scale, shape) is never below scale and has the right median", () => {
    const r = Rng.root(23).stream("pareto");
    const xs = Array.from({ length: 20_000 }, () => r.pareto(100, 2)).sort((a, b) => a - b);
    expect(xs[0]).toBeGreaterThanOrEqual(100);
    // Median of Pareto(scale, shape) is scale * 2^(1/shape).
    const median = 100 * Math.SQRT2;
    expect(quantile(xs, 0.5)).toBeGreaterThan(median * 0.95);
    expect(quantile(xs, 0.5)).toBeLessThan(median * 1.05);
  });

  it("normal(mean, sd) has about that mean and standard deviation", () => {
    const r = Rng.root(24).stream("normal");
    const xs = Array.from({ length: 20_000 }, () => r.normal(50, 10));
    expect(mean(xs)).toBeGreaterThan(49.5);
    expect(mean(xs)).toBeLessThan(50.5);
    expect(stddev(xs)).toBeGreaterThan(9.5);
    expect(stddev(xs)).toBeLessThan(10.5);
    expect(xs.every(Number.isFinite)).toBe(true);
  });

  it("pick chooses an element and rejects an empty array", () => {
    const r = Rng.root(4);
    const items = ["a", "b", "c"];
    const seen = new Set<string>();
    for (let i = 0; i < 100; i++) seen.add(r.pick(items));
    expect([...seen].sort()).toEqual(items);
    expect(() => r.pick([])).toThrow(RangeError);
  });

  it("property: shuffle returns the same array, permuted", () => {
    fc.assert(
      fc.property(fc.nat(), fc.array(fc.integer(), { maxLength: 60 }), (seed, items) => {
        const copy = [...items];
        const out = Rng.root(seed).shuffle(copy);
        expect(out).toBe(copy);
        expect([...out].sort((a, b) => a - b)).toEqual([...items].sort((a, b) => a - b));
      }),
      { numRuns: 200 },
    );
  });

  it("shuffle gives every permutation about equally often", () => {
    const r = Rng.root(12).stream("shuffle");
    const counts = new Map<string, number>();
    for (let i = 0; i < 6_000; i++) {
      const key = r.shuffle([0, 1, 2]).join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect([...counts.keys()].sort()).toEqual(["012", "021", "102", "120", "201", "210"]);
    for (const n of counts.values()) {
      expect(n).toBeGreaterThan(800);
      expect(n).toBeLessThan(1_200);
    }
  });

  it("shuffle is seeded and actually moves things", () => {
    const base = Array.from({ length: 20 }, (_, i) => i);
    const a = Rng.root(6).shuffle([...base]);
    expect(Rng.root(6).shuffle([...base])).toEqual(a);
    expect(a).not.toEqual(base);
  });
});
