import type { LatencySummary } from "../metrics/latency.js";
import { formatDuration, MILLISECOND, type Micros } from "../sim/time.js";
import type { FaultRecord } from "./faults.js";
import type { Measurements, Summary } from "./measure.js";
import type { Phase, ScenarioSpec, StreamSpec } from "./spec.js";
import type { StreamCounters } from "./traffic.js";

/** Latency percentiles in milliseconds (null when nothing succeeded). */
export interface LatencyMs {
  readonly p50: number | null;
  readonly p90: number | null;
  readonly p99: number | null;
  readonly p999: number | null;
  readonly max: number | null;
  readonly mean: number | null;
}

/** The figures of a set of actions. */
export interface Figures {
  readonly count: number;
  readonly ok: number;
  readonly failed: number;
  /** ok / count; null when there were none. */
  readonly successRatio: number | null;
  readonly latencyMs: LatencyMs;
  /** DNS queries sent per lookup, on average; null when there were none, and for requests. */
  readonly queriesPerLookup: number | null;
  /** How many ended with each code (NOERROR, NXDOMAIN, SERVFAIL, TIMEOUT, …; for requests 200, 503 UF, connect-refused, …). */
  readonly codes: Readonly<Record<string, number>>;
  /** Requests only: how many ended with each status (`200`, `503 UF`), a part of `codes`. */
  readonly statuses?: Readonly<Record<string, number>>;
  /** Requests only: how many ended in each error kind, with no status (`connect-refused`, `timeout`), the rest of `codes`. */
  readonly errors?: Readonly<Record<string, number>>;
}

/** One stream's report: the whole run after warmup, then per fault phase and per cluster pair. */
export interface StreamReport extends Figures {
  readonly name: string;
  /** What its actions are: lookups or HTTP calls. */
  readonly kind: StreamSpec["action"]["kind"];
  /** What it does, e.g. `resolve web (A+AAAA)`. */
  readonly action: string;
  readonly cluster: string;
  /** Arrivals after warmup with no running client pod to send from. */
  readonly skipped: number;
  /** Actions not finished when the run ended. */
  readonly inFlight: number;
  readonly byPhase: readonly (Figures & { readonly fault: string; readonly phase: Phase })[];
  readonly byPair: readonly (Figures & { readonly from: string; readonly to: string })[];
  /**
   * Request streams only: per fault phase, the requests each cluster served (the cluster of the
   * endpoint connected to; `-` when none was), so that a failover shows as traffic moving.
   */
  readonly servedBy?: readonly ServedBy[];
}

/** The requests of one fault phase that one cluster served. */
export interface ServedBy extends Figures {
  readonly fault: string;
  readonly phase: Phase;
  /** The serving cluster, `-` for requests no endpoint took (503 UH, a DNS failure). */
  readonly to: string;
  /** Its region (the locality of its endpoints); empty for `-`. */
  readonly region: string;
  /** Its part of the phase's requests, 0 to 1. */
  readonly share: number;
}

/** Start-time windows [from, to) of each fault's phases. */
export type PhaseWindows = ReadonlyMap<string, Readonly<Record<Phase, readonly [Micros, Micros]>>>;

/**
 * Each fault's phases, by when actions started: before it (from the end of warmup), during it
 * (until it was reverted, or the end of the run), and after. An instant fault (a kill, an apply)
 * has no during: everything from its instant on is after. A fault the run never reached has only
 * a before.
 */
export function phaseWindows(spec: ScenarioSpec, records: readonly FaultRecord[]): PhaseWindows {
  const byName = new Map(records.map((r) => [r.name, r]));
  const windows = new Map<string, Record<Phase, readonly [Micros, Micros]>>();
  for (const f of spec.faults) {
    const r = byName.get(f.name);
    const start = Math.max(f.at, spec.warmup);
    const until = !r ? Infinity : r.instant ? start : Math.max(r.until ?? Infinity, start);
    windows.set(f.name, {
      before: [spec.warmup, r ? start : Infinity],
      during: r && !r.instant ? [start, until] : [Infinity, Infinity],
      after: r && until !== Infinity ? [until, Infinity] : [Infinity, Infinity],
    });
  }
  return windows;
}

function ms(us: number): number | null {
  return Number.isNaN(us) ? null : Math.round((us / MILLISECOND) * 1000) / 1000;
}

/** Latency percentiles in milliseconds, rounded to the microsecond. */
export function latencyMs(s: LatencySummary): LatencyMs {
  return { p50: ms(s.p50), p90: ms(s.p90), p99: ms(s.p99), p999: ms(s.p999), max: ms(s.max), mean: ms(s.mean) };
}

/** The report figures of a summary of a stream's lookups or requests. */
export function figures(s: Summary, kind: StreamSpec["action"]["kind"] = "resolve"): Figures {
  const common = { count: s.count, ok: s.ok, failed: s.failed, successRatio: s.count ? s.ok / s.count : null, latencyMs: latencyMs(s.latency) };
  if (kind === "resolve") return { ...common, queriesPerLookup: s.count ? s.queries / s.count : null, codes: s.codes };
  // A request's code is its status (`503`, `503 UF`) or, with none, its error kind (`reset`).
  const statuses: Record<string, number> = {};
  const errors: Record<string, number> = {};
  for (const [code, n] of Object.entries(s.codes)) (/^\d/.test(code) ? statuses : errors)[code] = n;
  return { ...common, queriesPerLookup: null, codes: s.codes, statuses, errors };
}

/** What a stream does, in words: `resolve web (A+AAAA)`, `GET http://web/ (timeout 2s)`. */
function describeAction(a: StreamSpec["action"]): string {
  if (a.kind === "request") return `${a.method} ${a.url} (timeout ${formatDuration(a.timeout)}${a.resolver ? `, ${a.resolver}` : ""})`;
  return `resolve ${a.names.length === 1 ? a.names[0] : `one of ${a.names.length} names`} (${a.type}${a.resolver ? `, ${a.resolver}` : ""})`;
}

/** One stream's report. */
export function streamReport(
  spec: StreamSpec,
  index: number,
  m: Measurements,
  counters: StreamCounters,
  warmup: Micros,
  windows: PhaseWindows,
  regionOf: (cluster: string) => string = () => "",
): StreamReport {
  const kind = spec.action.kind;
  const byPhase: StreamReport["byPhase"][number][] = [];
  const servedBy: ServedBy[] = [];
  for (const [fault, phases] of windows) {
    for (const phase of ["before", "during", "after"] as const) {
      const [from, to] = phases[phase];
      // A phase the run never reached, or one that ended before the warmup did, has no row.
      if (from >= to) continue;
      const all = figures(m.summarise(index, from, to), kind);
      byPhase.push({ fault, phase, ...all });
      if (kind !== "request") continue;
      for (const cluster of m.destinationsOf(index, from, to)) {
        const f = figures(m.summarise(index, from, to, cluster), kind);
        servedBy.push({ fault, phase, to: cluster, region: cluster === "-" ? "" : regionOf(cluster), share: f.count / all.count, ...f });
      }
    }
  }
  const byPair = m
    .destinationsOf(index, warmup, Infinity)
    .map((to) => ({ from: spec.from.cluster, to, ...figures(m.summarise(index, warmup, Infinity, to), kind) }));
  return {
    name: spec.name,
    kind,
    action: describeAction(spec.action),
    cluster: spec.from.cluster,
    ...figures(m.summarise(index, warmup, Infinity), kind),
    skipped: counters.skipped,
    inFlight: counters.inFlight,
    byPhase,
    byPair,
    ...(kind === "request" ? { servedBy } : {}),
  };
}

/** `20s–30s`, for tables. */
export function formatWindow([from, to]: readonly [Micros, Micros]): string {
  return `${formatDuration(from)}–${to === Infinity ? "end" : formatDuration(to)}`;
}
