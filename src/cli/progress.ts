import type { Progress } from "../scenario/run.js";
import type { Micros } from "../sim/time.js";

/** Runs shorter than this show no progress bar. */
const SHOW_AFTER_MS = 1000;
const REDRAW_MS = 100;
const WIDTH = 30;

/** Where the bar is drawn: stderr, or a stand-in in tests. */
export interface ProgressStream {
  readonly isTTY?: boolean;
  /** The terminal's width, when known. */
  readonly columns?: number;
  write(text: string): unknown;
}

/** Options of a {@link ProgressBar}: where it draws, the environment, and a wall clock in milliseconds. */
export interface ProgressBarOptions {
  readonly stream?: ProgressStream;
  readonly env?: Readonly<Record<string, string | undefined>>;
  readonly clock?: () => number;
  /** Where the run stops when not at the scenario's end (`--until`), so that the bar fills there. */
  readonly until?: Micros;
}

/**
 * A progress bar on stderr for long runs: only on a terminal that can redraw a line, never in CI
 * or when stderr is piped (so logs and test output stay clean), and only once a run has taken a
 * second.
 */
export class ProgressBar {
  private readonly stream: ProgressStream;
  private readonly clock: () => number;
  private readonly enabled: boolean;
  private readonly started: number;
  private readonly until: Micros;
  private drawnAt = 0;
  private drawn = false;

  constructor(options: ProgressBarOptions = {}) {
    this.stream = options.stream ?? process.stderr;
    this.clock = options.clock ?? (() => performance.now());
    this.started = this.clock();
    this.until = options.until ?? Infinity;
    const env = options.env ?? process.env;
    // CI=false (or 0) is how some setups say "not CI"; TERM=dumb cannot move the cursor back.
    const ci = env.CI !== undefined && env.CI !== "" && env.CI !== "false" && env.CI !== "0";
    this.enabled = this.stream.isTTY === true && !ci && env.TERM !== "dumb";
  }

  /** Wall milliseconds since the run started. */
  elapsed(): number {
    return this.clock() - this.started;
  }

  update(p: Progress): void {
    if (!this.enabled) return;
    const now = this.elapsed();
    if (now < SHOW_AFTER_MS || now - this.drawnAt < REDRAW_MS) return;
    this.drawnAt = now;
    this.drawn = true;
    const end = Math.min(p.end, this.until);
    const fraction = end > 0 ? Math.min(1, p.now / end) : 1;
    const filled = Math.round(fraction * WIDTH);
    const speed = p.now / 1e6 / (now / 1000);
    const text = `[${"#".repeat(filled)}${".".repeat(WIDTH - filled)}] ${(p.now / 1e6).toFixed(0)}s/${(end / 1e6).toFixed(0)}s simulated · ${p.events.toLocaleString("en-US")} events · ${speed.toFixed(1)}x real time`;
    // A line wider than the terminal wraps, and \r then returns only to the start of its last part.
    const fits = this.stream.columns ? text.slice(0, this.stream.columns - 1) : text;
    this.stream.write(`\r${fits}\x1b[K`);
  }

  /** Clears the bar, if one was drawn, so that what follows starts on a clean line. */
  done(): void {
    if (this.drawn) this.stream.write("\r\x1b[K");
    this.drawn = false;
  }
}
