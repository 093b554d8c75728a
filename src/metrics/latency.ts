/**
 * Latency recording with exact percentiles. Values are kept (8 bytes each) and sorted once when
 * a summary is asked for, so percentiles are exact and the same on every machine: no bucketing
 * error to explain in a paper. A million samples cost 8 MB.
 */

/** The figures people quote for a latency distribution, in the unit recorded (microseconds in mcsim). */
export interface LatencySummary {
  readonly count: number;
  readonly min: number;
  readonly mean: number;
  readonly p50: number;
  readonly p90: number;
  readonly p99: number;
  readonly p999: number;
  readonly max: number;
}

/** Records values and answers percentiles exactly. */
export class LatencyRecorder {
  private values: Float64Array;
  private n = 0;
  private sorted = true;
  private sum = 0;

  /** `capacity`: how many values to make room for at first (more are taken all the same). */
  constructor(capacity = 1024) {
    this.values = new Float64Array(Math.max(1, capacity));
  }

  /** Adds one value. */
  record(value: number): void {
    if (this.n === this.values.length) {
      const bigger = new Float64Array(this.values.length * 2);
      bigger.set(this.values);
      this.values = bigger;
    }
    this.values[this.n++] = value;
    this.sum += value;
    this.sorted = false;
  }

  /** How many values were recorded. */
  get count(): number {
    return this.n;
  }

  /**
   * The q-quantile, 0 < q <= 1, by the nearest-rank method: the smallest recorded value such that
   * at least q of all values are at or below it. NaN when nothing was recorded.
   */
  percentile(q: number): number {
    if (!(q > 0 && q <= 1)) throw new RangeError(`a quantile must be in (0, 1], got ${q}`);
    if (this.n === 0) return Number.NaN;
    const v = this.sortedValues();
    return v[Math.max(0, Math.ceil(q * this.n) - 1)]!;
  }

  /** Count, min, mean, p50, p90, p99, p99.9 and max (NaN for all but count when empty). */
  summary(): LatencySummary {
    if (this.n === 0) {
      const nan = Number.NaN;
      return { count: 0, min: nan, mean: nan, p50: nan, p90: nan, p99: nan, p999: nan, max: nan };
    }
    const v = this.sortedValues();
    return {
      count: this.n,
      min: v[0]!,
      mean: this.sum / this.n,
      p50: this.percentile(0.5),
      p90: this.percentile(0.9),
      p99: this.percentile(0.99),
      p999: this.percentile(0.999),
      max: v[this.n - 1]!,
    };
  }

  private sortedValues(): Float64Array {
    const v = this.values.subarray(0, this.n);
    if (!this.sorted) {
      v.sort();
      this.sorted = true;
    }
    return v;
  }
}
