/**
 * "Choosing a pattern" as a report: the streams tagged with a cross-cluster pattern (`pattern:
 * istio|dns-federation|mcs`), one row per pattern, measured over the same fault — success before,
 * during and after it, latency, and how long the pattern took to stop failing once the fault began
 * and once it was undone.
 */
import { SECOND, type Micros } from "../sim/time.js";
import type { Measurements } from "./measure.js";
import { latencyMs, type LatencyMs, type PhaseWindows } from "./report.js";
import { PATTERN_NAMES, type PatternName, type ScenarioSpec } from "./spec.js";

/** One pattern's row. */
export interface PatternReport {
  readonly pattern: PatternName;
  /** The streams tagged with it. */
  readonly streams: readonly string[];
  /** Requests or lookups after warmup. */
  readonly count: number;
  /** Success ratio before, during and after the fault; null for a phase with no action (or no fault). */
  readonly before: number | null;
  readonly during: number | null;
  readonly after: number | null;
  /** Of the successful actions after warmup. */
  readonly latencyMs: LatencyMs;
  /**
   * Seconds from the fault's start to the start of the last action that failed during it, when
   * actions succeeded again before it was undone (the pattern detected the failure and routed
   * around it); 0 when none failed; null when failures lasted as long as the fault.
   */
  readonly detectS: number | null;
  /** Seconds from the fault's end to the start of the last action that failed after it; 0 when none did; null when they still failed at the end. */
  readonly recoverS: number | null;
}

/** The patterns side by side, over one fault. */
export interface PatternsReport {
  /** The fault they are measured over: the first partition that lasts a while, else the first fault that does. */
  readonly fault: string | undefined;
  readonly rows: readonly PatternReport[];
}

/** The report of the patterns the scenario's streams are tagged with; undefined when none is. */
export function patternsReport(spec: ScenarioSpec, m: Measurements, windows: PhaseWindows): PatternsReport | undefined {
  const tagged = PATTERN_NAMES.filter((p) => spec.traffic.some((s) => s.pattern === p));
  if (tagged.length === 0) return undefined;
  const lasting = spec.faults.filter((f) => {
    const during = windows.get(f.name)?.during;
    return during !== undefined && during[0] < during[1];
  });
  const fault = (lasting.find((f) => f.action.kind === "partition") ?? lasting[0])?.name;
  const phases = fault === undefined ? undefined : windows.get(fault)!;
  const rows = tagged.map((pattern): PatternReport => {
    const indices = spec.traffic.flatMap((s, i) => (s.pattern === pattern ? [i] : []));
    const ratio = (w: readonly [Micros, Micros] | undefined) => {
      if (!w || w[0] >= w[1]) return null;
      const s = m.summariseStreams(indices, w[0], w[1]);
      return s.count === 0 ? null : s.ok / s.count;
    };
    const all = m.summariseStreams(indices, spec.warmup, Infinity);
    return {
      pattern,
      streams: indices.map((i) => spec.traffic[i]!.name),
      count: all.count,
      before: ratio(phases?.before),
      during: ratio(phases?.during),
      after: ratio(phases?.after),
      latencyMs: latencyMs(all.latency),
      detectS: phases ? stopsFailing(m, indices, phases.during) : null,
      recoverS: phases ? stopsFailing(m, indices, phases.after) : null,
    };
  });
  return { fault, rows };
}

/** Seconds from a window's start to its last failure's, when something succeeded after it; 0 with no failure, null with no success after the last one. */
function stopsFailing(m: Measurements, streams: readonly number[], [from, to]: readonly [Micros, Micros]): number | null {
  if (from >= to) return null;
  const last = m.lastFailure(streams, from, to);
  if (!last) return 0;
  return last.succeededAfter ? (last.at - from) / SECOND : null;
}
