import { createHash, type Hash } from "node:crypto";
import { EventEmitter } from "eventemitter3";
import type { Micros } from "./time.js";

/**
 * How much a run records. `summary`: what a person reads to follow a run (faults, lifecycle,
 * each resolution). `full`: also every message sent, delivered and dropped.
 */
export type TraceLevel = "off" | "summary" | "full";

/** The trace levels, least first. */
export const TRACE_LEVELS: readonly TraceLevel[] = ["off", "summary", "full"];

/**
 * The typed events of the trace, by type name. Each layer adds its own events to this map with
 * TypeScript's declaration merging (`declare module "…/sim/trace.js" { interface TraceEventMap … }`),
 * so the kernel knows nothing of networks or DNS and every `record` call is still type-checked.
 */
// eslint-disable-next-line @typescript-eslint/no-empty-interface
export interface TraceEventMap {}

/** One trace event as it appears in the NDJSON file and reaches listeners: time, type, then its fields. */
export type TraceEvent<K extends keyof TraceEventMap = keyof TraceEventMap> = {
  readonly t: Micros;
  readonly type: K;
} & TraceEventMap[K];

/** The first line of every trace file. */
export interface TraceHeader {
  /** The scenario's name (or the demo's). */
  readonly scenario: string;
  /** The world's seed. */
  readonly seed: number;
  /** The mcsim version that wrote it. */
  readonly version: string;
  /** The level the trace was recorded at. */
  readonly level: TraceLevel;
  /** What the run was made from, so that `mcsim replay` can run it again from the trace alone. */
  readonly source?: TraceSource;
}

/** The scenario a trace was recorded from: its file's name and the text of it and every file it read. */
export interface TraceSource {
  /** The scenario file, as it was named on the command line. */
  readonly file: string;
  /** File name → text: the scenario file and each manifest or Corefile it names. */
  readonly files: Readonly<Record<string, string>>;
  /** Run options that change the trace, as given: `--until` (microseconds) and `--max-events`. */
  readonly until?: number;
  readonly maxEvents?: number;
}

/** Receives the serialized trace, in chunks of whole NDJSON lines. */
export type TraceSink = (chunk: string) => void;

/** Options of a {@link Trace}. */
export interface TraceOptions {
  /** What to record; default `off`. */
  readonly level?: TraceLevel;
  /** Where the NDJSON bytes go (a file, a buffer); the digest is computed whether or not there are sinks. */
  readonly sinks?: readonly TraceSink[];
}

/** Lines are handed to sinks and the digest in chunks of about this many characters. */
const CHUNK = 64 * 1024;

type Listener = (event: { t: Micros; type: string }) => void;

/** Every event line starts with `t` and `type`: an event's own fields may not reuse those names. */
type ReservedFields = { readonly t?: never; readonly type?: never };

/**
 * The trace bus. Actors record typed events; the trace serializes them to NDJSON with a fixed key
 * order (`t`, `type`, then the fields in the order the recording site writes them), feeds a
 * running SHA-256 digest of the exact bytes, hands the bytes to its sinks, and emits the events
 * to listeners (on eventemitter3).
 *
 * Recording costs nothing when a level is off, provided the recording site checks
 * {@link Trace.summary} or {@link Trace.full} before building the event:
 * `if (trace.full) trace.record("send", {...})`.
 */
export class Trace {
  /** The level in force. */
  readonly level: TraceLevel;
  /** True when summary-level events are recorded. Check it before building one. */
  readonly summary: boolean;
  /** True when full-level events are recorded. Check it before building one. */
  readonly full: boolean;
  /** Events recorded so far. */
  count = 0;

  private readonly bus = new EventEmitter();
  private listening = false;
  private readonly hash: Hash = createHash("sha256");
  private readonly sinks: readonly TraceSink[];
  private chunk = "";

  constructor(
    private readonly clock: { readonly now: Micros },
    readonly header: TraceHeader,
    options: TraceOptions = {},
  ) {
    this.level = options.level ?? header.level;
    this.summary = this.level !== "off";
    this.full = this.level === "full";
    this.sinks = options.sinks ?? [];
    this.chunk =
      `{"type":"header","format":"mcsim-trace/1","scenario":${JSON.stringify(header.scenario)},` +
      `"seed":${header.seed},"version":${JSON.stringify(header.version)},"level":"${this.level}"` +
      `${header.source ? `,"source":${JSON.stringify(header.source)}` : ""}}\n`;
  }

  /**
   * Records one event at the current instant. Call it only when the event's level is on
   * ({@link summary} or {@link full}); it records whatever it is given.
   */
  record<K extends keyof TraceEventMap>(type: K, fields: TraceEventMap[K] & ReservedFields): void {
    const t = this.clock.now;
    const body = JSON.stringify(fields);
    this.chunk += `{"t":${t},"type":${JSON.stringify(type)}${body.length > 2 ? `,${body.slice(1)}` : "}"}\n`;
    this.count++;
    if (this.chunk.length >= CHUNK) this.flush();
    if (this.listening) {
      const event = { t, type: type as string, ...(fields as object) };
      this.bus.emit(type as string, event);
      this.bus.emit("*", event);
    }
  }

  /** Calls `listener` with every recorded event of this type. */
  on<K extends keyof TraceEventMap>(type: K, listener: (event: TraceEvent<K>) => void): void {
    this.listening = true;
    this.bus.on(type as string, listener as Listener);
  }

  /** Calls `listener` with every recorded event. */
  onAny(listener: (event: TraceEvent) => void): void {
    this.listening = true;
    this.bus.on("*", listener as Listener);
  }

  /**
   * SHA-256 of the trace bytes so far, header included, in hex: equal to `sha256sum` of the trace
   * file. Two runs of one scenario, seed and version give the same digest.
   */
  digest(): string {
    this.flush();
    return this.hash.copy().digest("hex");
  }

  /**
   * Hands any buffered lines to the digest and the sinks. Call it when a run ends, before closing
   * what the sinks write to ({@link digest} calls it too).
   */
  flush(): void {
    if (this.chunk.length === 0) return;
    const chunk = this.chunk;
    this.chunk = "";
    this.hash.update(chunk);
    for (const sink of this.sinks) sink(chunk);
  }
}
