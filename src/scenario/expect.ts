import type { Micros } from "../sim/time.js";
import { MILLISECOND } from "../sim/time.js";
import type { Measurements } from "./measure.js";
import type { PhaseWindows } from "./report.js";
import type { ExpectationSpec, ScenarioSpec } from "./spec.js";

/** An expectation's verdict, with what was measured. */
export interface ExpectationResult {
  readonly description: string;
  readonly pass: boolean;
  /** The measured value (a latency in ms, a ratio, a count), or null when there was nothing to measure. */
  readonly measured: number | null;
  /** The measured value in words, with how many actions it covers. */
  readonly detail: string;
}

/** Checks one expectation over the actions of its stream started in its window. */
export function evaluate(e: ExpectationSpec, spec: ScenarioSpec, m: Measurements, windows: PhaseWindows): ExpectationResult {
  const stream = spec.traffic.findIndex((s) => s.name === e.stream);
  const [from, to] = windowOf(e, spec, windows);
  const s = m.summarise(stream, from, to, e.to?.cluster);
  const verdict = (measured: number | null, pass: boolean, detail: string): ExpectationResult => ({ description: e.description, pass, measured, detail });
  const inRange = (v: number, c: { atLeast?: number; atMost?: number }) => (c.atLeast === undefined || v >= c.atLeast) && (c.atMost === undefined || v <= c.atMost);
  const c = e.check;
  const of = `of ${s.count} action${s.count === 1 ? "" : "s"}`;
  switch (c.kind) {
    case "latency": {
      if (s.ok === 0) return verdict(null, false, `no successful action ${of} to measure`);
      const v = s.percentile(c.percentile / 100);
      const pass = (c.below === undefined || v < c.below) && (c.above === undefined || v > c.above);
      return verdict(v / MILLISECOND, pass, `${v / MILLISECOND}ms over ${s.ok} successful ${of}`);
    }
    case "successRatio": {
      if (s.count === 0) return verdict(null, false, "no action in the window");
      const v = s.ok / s.count;
      return verdict(v, inRange(v, c), `${s.ok}/${s.count} = ${v.toFixed(4)}`);
    }
    case "count":
      return verdict(s.count, inRange(s.count, c), `${s.count}`);
    case "rcode": {
      const v = s.codes[c.code] ?? 0;
      return verdict(v, inRange(v, c), `${v} ${of}`);
    }
    case "status": {
      const v = statusCount(s.codes, c.code);
      return verdict(v, inRange(v, c), `${v} ${of}`);
    }
    case "error": {
      const v = s.codes[c.error] ?? 0;
      return verdict(v, inRange(v, c), `${v} ${of}`);
    }
    case "queriesPerLookup": {
      if (s.count === 0) return verdict(null, false, "no lookup in the window");
      const v = s.queries / s.count;
      return verdict(v, inRange(v, c), `${s.queries} queries ${of} = ${v.toFixed(3)}`);
    }
  }
}

/** The calls that ended with a status, whichever proxy's flag the code carries (`503` and `503 UF` are both 503s). */
function statusCount(codes: Readonly<Record<string, number>>, status: number): number {
  const plain = String(status);
  let n = 0;
  for (const [code, k] of Object.entries(codes)) if (code === plain || code.startsWith(`${plain} `)) n += k;
  return n;
}

/** The start-time window [from, to) an expectation looks at. */
function windowOf(e: ExpectationSpec, spec: ScenarioSpec, windows: PhaseWindows): readonly [Micros, Micros] {
  const w = e.window;
  if (w.kind === "run") return [spec.warmup, Infinity];
  if (w.kind === "window") return [w.from, w.to];
  return windows.get(w.fault)![w.phase];
}
