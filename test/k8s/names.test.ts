import fc from "fast-check";
import { describe, expect, it } from "vitest";
import { randomSuffix, stableHash } from "../../src/k8s/names.js";
import { Rng } from "../../src/sim/rng.js";

/** Kubernetes' alphabet for generated names (k8s.io/apimachinery/pkg/util/rand): no vowels, no 0, 1, 3. */
const K8S_ALPHABET = "bcdfghjklmnpqrstvwxz2456789";
const onlyAlphabet = (s: string) => [...s].every((c) => K8S_ALPHABET.includes(c));

describe("randomSuffix", () => {
  it("is five characters of Kubernetes' alphabet by default, or the length asked for", () => {
    const rng = Rng.root(1).stream("names");
    for (let i = 0; i < 200; i++) {
      const s = randomSuffix(rng);
      expect(s).toHaveLength(5);
      expect(onlyAlphabet(s)).toBe(true);
    }
    expect(randomSuffix(rng, 12)).toHaveLength(12);
    expect(randomSuffix(rng, 0)).toBe("");
  });

  it("uses every letter of the alphabet about equally often", () => {
    const rng = Rng.root(2).stream("names");
    const counts = new Map<string, number>();
    const n = 27_000;
    for (let i = 0; i < n / 5; i++) for (const c of randomSuffix(rng)) counts.set(c, (counts.get(c) ?? 0) + 1);
    expect([...counts.keys()].sort().join("")).toBe([...K8S_ALPHABET].sort().join(""));
    // Chi-square with 26 degrees of freedom: 100 is far beyond any honest draw (p < 1e-9).
    const expected = n / 27;
    const chi2 = [...counts.values()].reduce((sum, c) => sum + (c - expected) ** 2 / expected, 0);
    expect(chi2).toBeLessThan(100);
  });

  it("is the same for the same stream and seed, and differs for another seed or stream", () => {
    const draw = (seed: number, stream = "names") => {
      const rng = Rng.root(seed).stream(stream);
      return Array.from({ length: 5 }, () => randomSuffix(rng));
    };
    expect(draw(1)).toEqual(draw(1));
    expect(draw(2)).not.toEqual(draw(1));
    expect(draw(1, "other")).not.toEqual(draw(1));
  });
});

describe("stableHash", () => {
  it("is a function of the text alone: no state carried from one call to the next", () => {
    fc.assert(
      fc.property(fc.string(), fc.array(fc.string(), { maxLength: 5 }), (text, others) => {
        const first = stableHash(text);
        for (const o of others) stableHash(o, 7);
        expect(stableHash(`${text}`)).toBe(first);
      }),
    );
  });

  it("is ten characters of Kubernetes' alphabet by default, or the length asked for", () => {
    fc.assert(
      fc.property(fc.string({ unit: "grapheme", maxLength: 200 }), fc.integer({ min: 1, max: 32 }), (text, length) => {
        const h = stableHash(text);
        expect(h).toHaveLength(10);
        expect(onlyAlphabet(h)).toBe(true);
        const l = stableHash(text, length);
        expect(l).toHaveLength(length);
        expect(onlyAlphabet(l)).toBe(true);
      }),
    );
  });

  it("gives different texts different hashes, almost always", () => {
    const texts = fc.sample(fc.string({ maxLength: 60 }), { numRuns: 5_000, seed: 42 });
    const distinct = [...new Set(texts)];
    const hashes = new Set(distinct.map((t) => stableHash(t)));
    // 27^10 ≈ 2e14 values: a collision among a few thousand texts would mean a broken hash.
    expect(hashes.size).toBe(distinct.length);
    // Neighbouring texts too: templates that differ by one character (an image tag).
    const tags = Array.from({ length: 2_000 }, (_, i) => `{"containers":[{"image":"nginx:1.${i}"}]}`);
    expect(new Set(tags.map((t) => stableHash(t))).size).toBe(tags.length);
  });

  it("spreads over the alphabet at every position", () => {
    const hashes = Array.from({ length: 3_000 }, (_, i) => stableHash(`template-${i}`));
    for (let pos = 0; pos < 10; pos++) {
      const used = new Set(hashes.map((h) => h[pos]));
      expect(used.size).toBeGreaterThanOrEqual(25);
    }
  });
});
