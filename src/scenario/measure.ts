import { LatencyRecorder, type LatencySummary } from "../metrics/latency.js";
import type { Micros } from "../sim/time.js";

/**
 * Every finished action of a run, kept column by column (a million lookups cost tens of MB, not
 * a million objects), so that any window, phase or cluster pair can be summarised afterwards.
 */
export class Measurements {
  /** Codes (`NOERROR`, `NXDOMAIN`, `TIMEOUT`, …) and destination clusters, by first appearance. */
  readonly codes: string[] = [];
  readonly destinations: string[] = [];
  private readonly codeIndex = new Map<string, number>();
  private readonly destinationIndex = new Map<string, number>();
  private capacity = 1024;
  private n = 0;
  private started = new Float64Array(this.capacity);
  private latency = new Float64Array(this.capacity);
  private ok = new Uint8Array(this.capacity);
  private code = new Uint16Array(this.capacity);
  private queries = new Uint16Array(this.capacity);
  private destination = new Uint16Array(this.capacity);
  /** Each stream's rows, in order: a report summarises one stream at a time, many times over. */
  private readonly rows: { index: Int32Array; n: number }[] = [];
  /**
   * What {@link summarise} and {@link rowsIn} gave, by their arguments, with the number of actions
   * recorded then: a report asks for the same ones more than once (a stream's window for its
   * summary, its pairs and its only pair's summary), and each is made once while nothing is
   * recorded, since sorting the latencies and selecting the rows are most of a report.
   */
  private readonly summaries = new Map<string, { readonly n: number; readonly value: Summary }>();
  private readonly selections = new Map<string, { readonly n: number; readonly value: Int32Array }>();

  /** How many actions were recorded. */
  get count(): number {
    return this.n;
  }

  /** Records one finished action of stream `stream` (its index). */
  record(stream: number, startedAt: Micros, latency: Micros, ok: boolean, code: string, queries: number, destination: string): void {
    if (this.n === this.capacity) this.grow();
    const i = this.n++;
    this.started[i] = startedAt;
    this.latency[i] = latency;
    this.ok[i] = ok ? 1 : 0;
    this.code[i] = indexOf(this.codes, this.codeIndex, code);
    this.queries[i] = Math.min(queries, 65_535);
    this.destination[i] = indexOf(this.destinations, this.destinationIndex, destination);
    const rows = (this.rows[stream] ??= { index: new Int32Array(256), n: 0 });
    if (rows.n === rows.index.length) rows.index = grown(rows.index, rows.n * 2);
    rows.index[rows.n++] = i;
  }

  /** The rows of one stream. */
  private rowsOf(stream: number): Int32Array {
    const rows = this.rows[stream];
    return rows ? rows.index.subarray(0, rows.n) : new Int32Array(0);
  }

  /** Summarises the actions of one stream started in [from, to) and, when given, bound for `destination`. */
  summarise(stream: number, from: Micros, to: Micros, destination?: string): Summary {
    // -1: every destination; a destination never seen matches nothing (its index is -1 too, so use NaN).
    const only = destination === undefined ? -1 : (this.destinationIndex.get(destination) ?? Number.NaN);
    return this.kept(this.summaries, `${stream} ${from} ${to} ${only}`, () => this.summariseRows(stream, from, to, only));
  }

  /** `make()`, kept under `key` in `memo` until another action is recorded. */
  private kept<T>(memo: Map<string, { readonly n: number; readonly value: T }>, key: string, make: () => T): T {
    const known = memo.get(key);
    if (known !== undefined && known.n === this.n) return known.value;
    const value = make();
    memo.set(key, { n: this.n, value });
    return value;
  }

  /** The rows of one stream started in [from, to) and, unless `only` is -1, bound for destination `only`. */
  private rowsIn(stream: number, from: Micros, to: Micros, only: number): Int32Array {
    return this.kept(this.selections, `${stream} ${from} ${to} ${only}`, () => this.select(this.rowsOf(stream), from, to, only));
  }

  /** {@link summarise}, from the rows, for the destination index `only` (-1: all). */
  private summariseRows(stream: number, from: Micros, to: Micros, only: number): Summary {
    const selected = this.rowsIn(stream, from, to, only);
    // One destination's rows are all the window's when it is the window's only destination.
    if (only !== -1 && selected.length === this.rowsIn(stream, from, to, -1).length) return this.summarise(stream, from, to);
    return this.summaryOf(selected);
  }

  /** Summarises the actions of several streams started in [from, to), as one set. */
  summariseStreams(streams: readonly number[], from: Micros, to: Micros): Summary {
    if (streams.length === 1) return this.summarise(streams[0]!, from, to);
    return this.summaryOf(this.rowsOfStreams(streams, from, to));
  }

  /**
   * Of the actions of several streams started in [from, to), when the last failed one started
   * and whether any started after it succeeded; undefined when none failed.
   */
  lastFailure(streams: readonly number[], from: Micros, to: Micros): { readonly at: Micros; readonly succeededAfter: boolean } | undefined {
    const rows = this.rowsOfStreams(streams, from, to);
    let at = -1;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k]!;
      if (this.ok[i] === 0 && this.started[i]! > at) at = this.started[i]!;
    }
    if (at < 0) return undefined;
    let succeededAfter = false;
    for (let k = 0; k < rows.length && !succeededAfter; k++) succeededAfter = this.ok[rows[k]!] === 1 && this.started[rows[k]!]! > at;
    return { at, succeededAfter };
  }

  /** The rows of several streams started in [from, to), one stream's after another's. */
  private rowsOfStreams(streams: readonly number[], from: Micros, to: Micros): Int32Array {
    const parts = streams.map((s) => this.rowsIn(s, from, to, -1));
    const out = new Int32Array(parts.reduce((n, p) => n + p.length, 0));
    let n = 0;
    for (const p of parts) {
      out.set(p, n);
      n += p.length;
    }
    return out;
  }

  /** The summary of a set of rows. */
  private summaryOf(selected: Int32Array): Summary {
    const latency = new LatencyRecorder(this.countOk(selected));
    // Codes counted by index, then named in the order they first appear among these rows.
    const perCode = new Uint32Array(this.codes.length);
    const order: number[] = [];
    const queries = this.tally(selected, latency, perCode, order);
    const codes: Record<string, number> = {};
    for (const code of order) codes[this.codes[code]!] = perCode[code]!;
    const count = selected.length;
    const ok = latency.count;
    return { count, ok, failed: count - ok, latency: latency.summary(), percentile: (q) => latency.percentile(q), codes, queries };
  }

  // Each loop over a stream's rows is a function of its own, which reads every column it tests on
  // every row: run a few times over many rows, a loop is compiled while it runs, and code after it
  // that had not run yet would be compiled without knowing its types, then thrown away when reached.

  /** Of `rows`, those started in [from, to) and, unless `only` is -1, bound for destination `only`. */
  private select(rows: Int32Array, from: Micros, to: Micros, only: number): Int32Array {
    const out = new Int32Array(rows.length);
    let n = 0;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k]!;
      const t = this.started[i]!;
      const d = this.destination[i]!;
      if (t >= from && t < to && (only === -1 || d === only)) out[n++] = i;
    }
    return out.subarray(0, n);
  }

  /** Appends to `order` the destinations of `rows`, each once, in order of first appearance. */
  private firstDestinations(rows: Int32Array, order: number[]): void {
    const seen = new Uint8Array(this.destinations.length);
    for (let k = 0; k < rows.length; k++) {
      const d = this.destination[rows[k]!]!;
      if (seen[d] === 0) {
        seen[d] = 1;
        order.push(d);
      }
    }
  }

  /** How many of `rows` succeeded. */
  private countOk(rows: Int32Array): number {
    let ok = 0;
    for (let k = 0; k < rows.length; k++) ok += this.ok[rows[k]!]!;
    return ok;
  }

  /** Records the latencies of the successful `rows` and counts their codes (`order`: by first appearance); returns their queries. */
  private tally(rows: Int32Array, latency: LatencyRecorder, perCode: Uint32Array, order: number[]): number {
    let queries = 0;
    for (let k = 0; k < rows.length; k++) {
      const i = rows[k]!;
      const code = this.code[i]!;
      queries += this.queries[i]!;
      if (perCode[code] === 0) order.push(code);
      perCode[code] = perCode[code]! + 1;
      if (this.ok[i]) latency.record(this.latency[i]!);
    }
    return queries;
  }

  /** The destination clusters of one stream's actions started in [from, to), in order of first appearance. */
  destinationsOf(stream: number, from: Micros, to: Micros): string[] {
    const order: number[] = [];
    this.firstDestinations(this.rowsIn(stream, from, to, -1), order);
    return order.map((d) => this.destinations[d]!);
  }

  private grow(): void {
    const c = (this.capacity *= 2);
    this.started = grown(this.started, c);
    this.latency = grown(this.latency, c);
    this.ok = grown(this.ok, c);
    this.code = grown(this.code, c);
    this.queries = grown(this.queries, c);
    this.destination = grown(this.destination, c);
  }
}

/** A copy of `a` with room for `capacity` values. */
function grown<T extends Float64Array | Int32Array | Uint16Array | Uint8Array>(a: T, capacity: number): T {
  const b = new (a.constructor as new (n: number) => T)(capacity);
  b.set(a);
  return b;
}

/** What a set of actions measured. */
export interface Summary {
  readonly count: number;
  readonly ok: number;
  readonly failed: number;
  /** Of successful actions, in microseconds. */
  readonly latency: LatencySummary;
  /** Any quantile (0 < q <= 1) of the same latencies; NaN when none succeeded. */
  readonly percentile: (q: number) => number;
  /** How many ended with each code. */
  readonly codes: Readonly<Record<string, number>>;
  /** DNS queries sent, in total. */
  readonly queries: number;
}

function indexOf(names: string[], index: Map<string, number>, name: string): number {
  let i = index.get(name);
  if (i === undefined) {
    i = names.length;
    names.push(name);
    index.set(name, i);
  }
  return i;
}
