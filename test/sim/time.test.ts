import { describe, expect, it } from "vitest";
import fc from "fast-check";
import {
  DURATION_FORMS,
  DurationError,
  HOUR,
  MICROSECOND,
  MILLISECOND,
  MINUTE,
  SECOND,
  formatDuration,
  ms,
  parseDuration,
  seconds,
} from "../../src/index.js";

describe("time units", () => {
  it("are integer microseconds", () => {
    expect([MICROSECOND, MILLISECOND, SECOND, MINUTE, HOUR]).toEqual([1, 1_000, 1_000_000, 60_000_000, 3_600_000_000]);
  });

  it("ms() and seconds() convert to whole microseconds", () => {
    expect(ms(1.5)).toBe(1_500);
    expect(ms(0.0004)).toBe(0);
    expect(seconds(2)).toBe(2_000_000);
    expect(seconds(0.25)).toBe(250_000);
  });
});

describe("parseDuration", () => {
  it.each([
    ["250us", 250],
    ["1.5ms", 1_500],
    ["2s", 2_000_000],
    ["5m", 300_000_000],
    ["1h", 3_600_000_000],
    ["1m30s", 90_000_000],
    ["1h2m3s4ms5us", 3_723_004_005],
    ["0", 0],
    ["0s", 0],
    ["7\u00b5s", 7], // MICRO SIGN, as Go writes it
    [".5ms", 500],
    ["0.000001s", 1],
    ["1.1ms", 1_100],
  ])("reads %j as %d us", (input, expected) => {
    expect(parseDuration(input)).toBe(expected);
  });

  it("accepts both micro signs, as Go's time.ParseDuration does (U+00B5 and U+03BC)", () => {
    expect(parseDuration("3\u00b5s")).toBe(3);
    expect(parseDuration("3\u03bcs")).toBe(3);
  });

  it.each([
    ["", "empty"],
    ["5", "no unit"],
    ["-1s", "negative"],
    ["1.5us", "finer than"],
    ["abc", "cannot read"],
    ["1x", "cannot read"],
    ["1s2", "no unit"],
    ["1 s", "cannot read"],
    ["s", "cannot read"],
  ])("rejects %j (%s) with a DurationError naming the input and the accepted forms", (input, problem) => {
    let caught: unknown;
    try {
      parseDuration(input);
    } catch (e) {
      caught = e;
    }
    expect(caught).toBeInstanceOf(DurationError);
    const err = caught as DurationError;
    expect(err.name).toBe("DurationError");
    expect(err.input).toBe(input);
    expect(err.message).toContain(JSON.stringify(input));
    expect(err.message).toContain(DURATION_FORMS);
    expect(err.problem).toContain(problem);
  });

  it("rejects a duration beyond the safe integer range", () => {
    expect(() => parseDuration("99999999999999999h")).toThrow(DurationError);
    expect(() => parseDuration("99999999999999999h")).toThrow(/too long/);
  });

  it("property: any sum of well-formed parts parses to the sum of their values", () => {
    const unit = fc.constantFrom(
      ["us", MICROSECOND] as const,
      ["ms", MILLISECOND] as const,
      ["s", SECOND] as const,
      ["m", MINUTE] as const,
      ["h", HOUR] as const,
    );
    const part = fc.tuple(fc.integer({ min: 0, max: 100_000 }), unit);
    fc.assert(
      fc.property(fc.array(part, { minLength: 1, maxLength: 5 }), (parts) => {
        const text = parts.map(([n, [u]]) => `${n}${u}`).join("");
        const expected = parts.reduce((sum, [n, [, v]]) => sum + n * v, 0);
        expect(parseDuration(text)).toBe(expected);
      }),
      { numRuns: 300 },
    );
  });
});

describe("formatDuration", () => {
  it.each([
    [0, "0s"],
    [250, "250us"],
    [1_500, "1.5ms"],
    [2_000_000, "2s"],
    [2_000_001, "2.000001s"],
    [300_000_000, "5m"],
    [5_400_000_000, "1h30m"],
    [3_600_000_001, "1h1us"],
    [90_000_000, "1m30s"],
  ])("writes %d us as %j", (us, text) => {
    expect(formatDuration(us)).toBe(text);
  });

  it("writes negative durations with a sign", () => {
    expect(formatDuration(-1_500)).toBe("-1.5ms");
  });

  it("property: parseDuration(formatDuration(x)) === x for every whole duration up to 10^12 us", () => {
    fc.assert(
      fc.property(
        fc.oneof(
          fc.integer({ min: 0, max: 1_000_000_000_000 }),
          fc.integer({ min: 0, max: 100 * SECOND }),
          fc.integer({ min: 0, max: 2 * MILLISECOND }),
        ),
        (us) => {
          expect(parseDuration(formatDuration(us))).toBe(us);
        },
      ),
      { numRuns: 2_000 },
    );
  });
});
