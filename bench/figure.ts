/**
 * What a benchmark reports (DESIGN.md, 'Benchmarks'): one figure per measured quantity, as a ratio
 * to a baseline measured in the same run wherever a baseline exists, since these machines are
 * shared and noisy.
 */
export interface Figure {
  readonly bench: string;
  readonly figure: string;
  readonly value: number;
  readonly unit: string;
  readonly baseline?: string;
  readonly ratio?: number;
  /** `>=0.5` (of the ratio, when there is a baseline; else of the value). */
  readonly target?: string;
  readonly pass?: boolean;
}

/** A benchmark: a name `npm run bench -- NAME` selects, and a run that returns its figures. */
export interface Benchmark {
  readonly name: string;
  readonly description: string;
  run(): Figure[];
}

/** Checks `>=x` / `<=x` targets. */
export function meets(target: string, value: number): boolean {
  const m = /^(>=|<=)\s*([\d.e+]+)$/.exec(target);
  if (!m) throw new Error(`bad target ${target}`);
  return m[1] === ">=" ? value >= Number(m[2]) : value <= Number(m[2]);
}

/** Runs `fn` `times` times and keeps the best (highest) result: the least disturbed by other load. */
export function best(times: number, fn: () => number): number {
  let top = 0;
  for (let i = 0; i < times; i++) top = Math.max(top, fn());
  return top;
}
