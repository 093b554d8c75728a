import { ScenarioError } from "../scenario/load.js";
import { runScenario, type ScenarioReport } from "../scenario/run.js";
import { formatDuration } from "../sim/time.js";
import { TRACE_LEVELS, type TraceHeader, type TraceLevel, type TraceSink } from "../sim/trace.js";
import { VERSION } from "../version.js";
import { EXIT, UsageError, readInput } from "./options.js";
import { ProgressBar } from "./progress.js";
import { loadFrom, type ScenarioFile } from "./scenario-file.js";

/**
 * `mcsim replay TRACE`: runs the scenario recorded in the trace's header again (its files as they
 * were, its seed, level and run options) and checks that the new trace is the same, byte for byte.
 * When it is not, it prints the first event that differs: its index, simulated time, and both lines.
 */
export function replayCommand(file: string): number {
  const recorded = readInput(file);
  const header = readHeader(recorded, file);
  const source = header.source!;
  if (header.version !== VERSION) process.stderr.write(`mcsim: the trace was written by mcsim ${header.version}; this is ${VERSION}, so events may differ\n`);
  const { scenario } = recordedScenario(header, file);
  const comparison = new TraceComparison(recorded);
  const progress = new ProgressBar({ until: source.until });
  let report: ScenarioReport;
  try {
    report = runScenario(scenario, {
      seed: header.seed,
      traceLevel: header.level,
      traceSinks: [comparison.sink],
      source,
      ...(source.until !== undefined ? { until: source.until } : {}),
      ...(source.maxEvents !== undefined ? { maxEvents: source.maxEvents } : {}),
      onProgress: (p) => {
        progress.update(p);
        // Nothing after the first difference is printed, so there is no need to run on.
        return comparison.difference ? "the replayed trace differs" : undefined;
      },
    });
  } finally {
    progress.done();
  }
  const difference = comparison.finish();
  const headerDiff = comparison.headerDifference;
  const what = `replay of ${source.file} (seed ${header.seed})`;
  if (!difference && !headerDiff) {
    process.stdout.write(`${what}: identical, ${report.trace.events.toLocaleString("en-US")} events, sha256 ${report.digest}\n`);
    return EXIT.ok;
  }
  const out: string[] = [];
  if (headerDiff) {
    out.push(`${what}: DIFFERS in the header (line 1)${difference ? "" : "; every event is identical"}`, ...bothLines(shortHeaders(headerDiff.recorded, headerDiff.replayed)));
  }
  if (difference) {
    const { line, recorded: a, replayed: b } = difference;
    const t = [a, b].map((l) => (l === undefined ? undefined : /^\{"t":(\d+),/.exec(l)?.[1])).find((x) => x !== undefined);
    out.push(`${what}: DIFFERS at event ${line} (line ${line + 1} of ${file})${t === undefined ? "" : `, simulated time ${formatDuration(Number(t))}`}`, ...bothLines([a, b]));
  }
  process.stdout.write(`${out.join("\n")}\n`);
  return EXIT.expectationFailed;
}

function bothLines([a, b]: readonly [string | undefined, string | undefined]): string[] {
  return [
    // A trace cut short (a run stopped by --max-wall, a copy interrupted) ends before the replay does.
    `recorded: ${a ?? "(the recorded trace ends here: was its run stopped by --max-wall, or the file cut short?)"}`,
    `replayed: ${b ?? "(the replayed trace ends here)"}`,
  ];
}

/** Two header lines with the scenario's files left out when they are the same: they are long, and rarely what differs. */
function shortHeaders(a: string, b: string): [string, string] {
  try {
    const [x, y] = [JSON.parse(a) as Record<string, unknown>, JSON.parse(b) as Record<string, unknown>];
    if (JSON.stringify(x.source) !== JSON.stringify(y.source)) return [a, b];
    return [JSON.stringify({ ...x, source: "(the same)" }), JSON.stringify({ ...y, source: "(the same)" })];
  } catch {
    return [a, b];
  }
}

/** The first event line that differs (1 is the first event), and what each trace has there; undefined past its end. */
interface Difference {
  readonly line: number;
  readonly recorded: string | undefined;
  readonly replayed: string | undefined;
}

/**
 * Compares a trace, as it is replayed, with the recorded text, keeping only the first difference
 * (so that a long replay holds one trace in memory, not two). The header is compared on its own,
 * so that a trace from another version (whose header says so) still has its events compared.
 */
class TraceComparison {
  /** Characters of the recorded trace matched so far, always at the start of a line. */
  private offset: number;
  private readonly recordedHeader: string;
  private headerSeen = false;
  headerDifference: { readonly recorded: string; readonly replayed: string } | undefined;
  difference: Difference | undefined;

  constructor(private readonly recorded: string) {
    const newline = recorded.indexOf("\n");
    this.recordedHeader = newline < 0 ? recorded : recorded.slice(0, newline);
    this.offset = this.recordedHeader.length + 1;
  }

  /** Takes the replayed trace, in chunks of whole lines, the header first. */
  readonly sink: TraceSink = (text) => {
    let chunk = text;
    if (!this.headerSeen) {
      this.headerSeen = true;
      const header = chunk.slice(0, chunk.indexOf("\n"));
      if (header !== this.recordedHeader) this.headerDifference = { recorded: this.recordedHeader, replayed: header };
      chunk = chunk.slice(header.length + 1);
    }
    if (this.difference || chunk === "") return;
    if (this.recorded.startsWith(chunk, this.offset)) {
      this.offset += chunk.length;
      return;
    }
    for (const replayed of chunk.slice(0, -1).split("\n")) {
      const recorded = this.nextRecorded();
      if (recorded !== replayed) {
        this.difference = { line: this.linesMatched(), recorded, replayed };
        return;
      }
      this.offset += recorded.length + 1;
    }
  };

  /** The first difference, once the replay has ended: a recorded trace may go on longer. */
  finish(): Difference | undefined {
    if (!this.difference && this.offset < this.recorded.length) this.difference = { line: this.linesMatched(), recorded: this.nextRecorded(), replayed: undefined };
    return this.difference;
  }

  private nextRecorded(): string | undefined {
    if (this.offset >= this.recorded.length) return undefined;
    const end = this.recorded.indexOf("\n", this.offset);
    return this.recorded.slice(this.offset, end < 0 ? undefined : end);
  }

  private linesMatched(): number {
    let lines = 0;
    for (let i = this.recorded.indexOf("\n"); i >= 0 && i < this.offset; i = this.recorded.indexOf("\n", i + 1)) lines++;
    return lines;
  }
}

/** The scenario in the header; a problem in it is one of the trace (edited, or from another version). */
function recordedScenario(header: TraceHeader, file: string): ScenarioFile {
  const source = header.source!;
  try {
    return loadFrom(source.file, source.files, (p) => {
      throw new UsageError(`${file}: the trace header does not hold ${p}, which the scenario names`);
    });
  } catch (e) {
    if (e instanceof ScenarioError) throw new UsageError(`${file}:1: the scenario recorded in the trace header is not valid: ${e.message}`);
    throw e;
  }
}

function readHeader(text: string, file: string): TraceHeader {
  if (text === "") throw new UsageError(`${file}: the file is empty; expected a trace written by mcsim run --trace`);
  const newline = text.indexOf("\n");
  let header: unknown;
  try {
    header = JSON.parse(newline < 0 ? text : text.slice(0, newline));
  } catch {
    throw new UsageError(`${file}:1: not an mcsim trace: the first line is not JSON`);
  }
  const h = (typeof header === "object" && header !== null ? header : {}) as Record<string, unknown>;
  if (h.type !== "header" || h.format !== "mcsim-trace/1") throw new UsageError(`${file}:1: not an mcsim trace: expected a header line with format mcsim-trace/1`);
  const source = h.source as TraceHeader["source"] | undefined;
  if (!source || typeof source.file !== "string" || typeof source.files !== "object" || typeof source.files?.[source.file] !== "string") {
    throw new UsageError(`${file}:1: the trace does not record its scenario (traces of mcsim run do; the demo's do not)`);
  }
  if (typeof h.seed !== "number" || !TRACE_LEVELS.includes(h.level as TraceLevel)) throw new UsageError(`${file}:1: the header's seed or level is missing`);
  return h as unknown as TraceHeader;
}
