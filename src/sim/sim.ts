import { Rng, type Seed } from "./rng.js";
import { Scheduler } from "./scheduler.js";
import { Trace, type TraceLevel, type TraceSink, type TraceSource } from "./trace.js";
import { VERSION } from "../version.js";

/** Options of a {@link Sim}. */
export interface SimOptions {
  /** The world's seed; every random draw derives from it. */
  readonly seed: Seed;
  /** The name written in the trace header; default `unnamed`. */
  readonly name?: string;
  /** See {@link SchedulerOptions.maxEvents}. */
  readonly maxEvents?: number;
  /** What the trace records; default `off`. */
  readonly traceLevel?: TraceLevel;
  /** Where the trace's NDJSON bytes go. */
  readonly traceSinks?: readonly TraceSink[];
  /** What the run was made from, written in the trace header. */
  readonly source?: TraceSource;
}

/**
 * A world's kernel: the event loop and clock ({@link Scheduler}), the root of its seeded random
 * streams, and its trace. Every actor and the network hang off one `Sim`.
 */
export class Sim extends Scheduler {
  readonly seed: Seed;
  readonly name: string;
  /** The root random stream; take named streams from it with `rng.stream(name)`. */
  readonly rng: Rng;
  readonly trace: Trace;

  constructor(options: SimOptions) {
    super(options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents });
    this.seed = options.seed;
    this.name = options.name ?? "unnamed";
    this.rng = Rng.root(options.seed);
    this.trace = new Trace(
      this,
      {
        scenario: this.name,
        seed: options.seed,
        version: VERSION,
        level: options.traceLevel ?? "off",
        ...(options.source ? { source: options.source } : {}),
      },
      { sinks: options.traceSinks ?? [] },
    );
  }
}
