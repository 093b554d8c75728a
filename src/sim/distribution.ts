import type { Rng } from "./rng.js";
import { formatDuration, type Micros } from "./time.js";

/**
 * A distribution of durations, as plain data so that it can come from a scenario file, be
 * printed in a report and be compared. All figures are in microseconds.
 */
export type Distribution =
  | { readonly kind: "constant"; readonly value: Micros }
  | { readonly kind: "uniform"; readonly min: Micros; readonly max: Micros }
  | { readonly kind: "normal"; readonly mean: Micros; readonly stddev: Micros }
  | { readonly kind: "lognormal"; readonly median: Micros; readonly p99: Micros }
  | { readonly kind: "exponential"; readonly mean: Micros; readonly min?: Micros }
  | { readonly kind: "pareto"; readonly scale: Micros; readonly shape: number };

/** A distribution's parameters are out of range. */
export class DistributionError extends Error {
  override readonly name = "DistributionError";
}

/** The same value every time. */
export const constant = (value: Micros): Distribution => ({ kind: "constant", value });

/**
 * Checks a distribution's parameters and returns it unchanged.
 *
 * @throws DistributionError naming the parameter that is out of range.
 */
export function checkDistribution(d: Distribution): Distribution {
  const bad = (why: string): never => {
    throw new DistributionError(`${describeDistribution(d)}: ${why}`);
  };
  const nonNegative = (name: string, v: number) => {
    if (!Number.isFinite(v) || v < 0) bad(`${name} must be a finite duration of 0 or more`);
  };
  switch (d.kind) {
    case "constant":
      nonNegative("value", d.value);
      break;
    case "uniform":
      nonNegative("min", d.min);
      nonNegative("max", d.max);
      if (d.max < d.min) bad("max must be at least min");
      break;
    case "normal":
      nonNegative("mean", d.mean);
      nonNegative("stddev", d.stddev);
      break;
    case "lognormal":
      nonNegative("median", d.median);
      nonNegative("p99", d.p99);
      if (d.median <= 0) bad("median must be more than 0");
      if (d.p99 < d.median) bad("p99 must be at least the median");
      break;
    case "exponential":
      nonNegative("mean", d.mean);
      nonNegative("min", d.min ?? 0);
      if (d.mean < (d.min ?? 0)) bad("mean must be at least min");
      break;
    case "pareto":
      nonNegative("scale", d.scale);
      if (!(d.shape > 0)) bad("shape must be more than 0");
      break;
  }
  return d;
}

/**
 * The longest duration a draw returns, about 4.5 years: heavy tails (a pareto with a tiny shape)
 * can draw more than a safe integer, and a delay that long means "never" in any run anyway.
 */
export const MAX_SAMPLE: Micros = 2 ** 47;

/**
 * Draws one duration: a whole number of microseconds, never negative (a normal draw below zero
 * is clamped to zero, as a delay cannot be negative) and never above {@link MAX_SAMPLE}.
 */
export function sample(d: Distribution, rng: Rng): Micros {
  let v: number;
  switch (d.kind) {
    case "constant":
      v = d.value;
      break;
    case "uniform":
      v = rng.uniform(d.min, d.max);
      break;
    case "normal":
      v = rng.normal(d.mean, d.stddev);
      break;
    case "lognormal":
      v = rng.lognormal(d.median, d.p99);
      break;
    case "exponential": {
      const min = d.min ?? 0;
      v = min + rng.exponential(d.mean - min);
      break;
    }
    case "pareto":
      v = rng.pareto(d.scale, d.shape);
      break;
  }
  return v > 0 ? (v < MAX_SAMPLE ? Math.round(v) : MAX_SAMPLE) : 0;
}

/** The distribution in the notation people write: `lognormal(median=2ms, p99=10ms)`. */
export function describeDistribution(d: Distribution): string {
  const f = formatDuration;
  switch (d.kind) {
    case "constant":
      return f(d.value);
    case "uniform":
      return `uniform(${f(d.min)}, ${f(d.max)})`;
    case "normal":
      return `normal(mean=${f(d.mean)}, stddev=${f(d.stddev)})`;
    case "lognormal":
      return `lognormal(median=${f(d.median)}, p99=${f(d.p99)})`;
    case "exponential":
      return d.min ? `exponential(mean=${f(d.mean)}, min=${f(d.min)})` : `exponential(mean=${f(d.mean)})`;
    case "pareto":
      return `pareto(scale=${f(d.scale)}, shape=${d.shape})`;
  }
}
