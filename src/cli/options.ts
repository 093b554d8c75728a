import { closeSync, openSync, readFileSync, writeSync } from "node:fs";
import type { TraceSink } from "../sim/trace.js";
import { parseDuration, type Micros } from "../sim/time.js";

/** Exit codes (DESIGN.md, 'The command line'). */
export const EXIT = { ok: 0, expectationFailed: 1, badInput: 2, internal: 3 } as const;

/** Bad input from the user: printed as it is, exit code 2. */
export class UsageError extends Error {}

/** `--seed N`: a whole number. */
export function seedOption(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--seed ${JSON.stringify(value)}: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
  return Number(value);
}

/** A duration flag (`--until 30s`). */
export function durationOption(flag: string): (value: string) => Micros {
  return (value) => {
    try {
      return parseDuration(value);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`);
    }
  };
}

/** A count flag (`--max-events 1000000`): a whole number of 1 or more. */
export function countOption(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} ${JSON.stringify(value)}: expected a whole number of 1 or more`);
    return Number(value);
  };
}

/** Why a file cannot be read or written, in words (the code alone for the rare ones). */
export function fileProblem(e: unknown): string {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === "ENOENT") return "no such file";
  if (code === "EISDIR") return "it is a directory";
  if (code === "EACCES") return "permission denied";
  return code ?? (e as Error).message;
}

/** Reads a file named on the command line (a scenario, a trace). */
export function readInput(path: string): string {
  try {
    return readFileSync(path, "utf8");
  } catch (e) {
    throw new UsageError(`cannot read ${path}: ${fileProblem(e)}`);
  }
}

/** A file named on the command line, open for writing. */
export interface OutputFile {
  write(chunk: string | Uint8Array): void;
  close(): void;
}

/**
 * Opens the file a flag names (`--trace FILE`) for writing; `what` is what it holds, for the
 * message. A write that fails mid-run (a full disk) stops the run as bad input, naming the file,
 * rather than as a bug in mcsim.
 */
export function openOutput(flag: string, file: string, what: string): OutputFile {
  const problem = (e: unknown) => new UsageError(`${flag} ${file}: cannot write ${what} there (${fileProblem(e)})`);
  let fd: number;
  try {
    fd = openSync(file, "w");
  } catch (e) {
    throw problem(e);
  }
  return {
    write: (chunk) => {
      try {
        // writeSync's overloads take a string or bytes, not a value that may be either.
        if (typeof chunk === "string") writeSync(fd, chunk);
        else writeSync(fd, chunk);
      } catch (e) {
        throw problem(e);
      }
    },
    close: () => closeSync(fd),
  };
}

/** A trace file open for writing, as a sink, and how to close it. */
export interface TraceFile {
  readonly sinks: TraceSink[];
  close(): void;
}

/** Opens `--trace FILE` (or nothing when no file is named); see {@link openOutput}. */
export function openTrace(file: string | undefined): TraceFile {
  if (!file) return { sinks: [], close: () => {} };
  const out = openOutput("--trace", file, "the trace");
  return { sinks: [out.write], close: out.close };
}
