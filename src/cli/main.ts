#!/usr/bin/env node
import { closeSync, openSync, writeSync } from "node:fs";
import { Command, CommanderError, Option } from "commander";
import { demoReportJson, formatDemoReport } from "../scenario/demo-report.js";
import { runDemo } from "../scenario/demo.js";
import { parseDuration, type Micros } from "../sim/time.js";
import { TRACE_LEVELS, type TraceLevel } from "../sim/trace.js";
import { VERSION } from "../version.js";

/** Exit codes (DESIGN.md, 'The command line'). */
const EXIT = { ok: 0, expectationFailed: 1, badInput: 2, internal: 3 } as const;

/** Bad input from the user: printed as it is, exit code 2. */
class UsageError extends Error {}

const REPORT_BUGS = "This is a bug in mcsim. Please report it with the command line you ran and the output above.";

function seedOption(value: string): number {
  if (!/^\d+$/.test(value) || !Number.isSafeInteger(Number(value))) {
    throw new UsageError(`--seed ${JSON.stringify(value)}: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
  return Number(value);
}

function durationOption(flag: string): (value: string) => Micros {
  return (value) => {
    try {
      return parseDuration(value);
    } catch (e) {
      throw new UsageError(`${flag}: ${(e as Error).message}`);
    }
  };
}

function countOption(flag: string): (value: string) => number {
  return (value) => {
    if (!/^\d+$/.test(value) || Number(value) < 1) throw new UsageError(`${flag} ${JSON.stringify(value)}: expected a whole number of 1 or more`);
    return Number(value);
  };
}

interface DemoFlags {
  seed: number;
  duration: Micros;
  rate: number;
  trace?: string;
  traceLevel?: TraceLevel;
  json?: boolean;
  maxEvents?: number;
}

function demo(flags: DemoFlags): number {
  const level: TraceLevel = flags.traceLevel ?? (flags.trace ? "full" : "off");
  let fd: number | undefined;
  if (flags.trace) {
    try {
      fd = openSync(flags.trace, "w");
    } catch (e) {
      throw new UsageError(`--trace ${flags.trace}: cannot write the trace there (${(e as NodeJS.ErrnoException).code ?? (e as Error).message})`);
    }
  }
  const file = fd;
  try {
    const report = runDemo({
      seed: flags.seed,
      duration: flags.duration,
      rate: flags.rate,
      traceLevel: level,
      traceSinks: file === undefined ? [] : [(chunk) => writeSync(file, chunk)],
      ...(flags.maxEvents === undefined ? {} : { maxEvents: flags.maxEvents }),
    });
    process.stdout.write(flags.json ? `${JSON.stringify(demoReportJson(report))}\n` : `${formatDemoReport(report)}\n`);
    if (report.run.stoppedBy === "budget") process.stderr.write(`mcsim: ${report.run.message}\n`);
  } finally {
    if (file !== undefined) closeSync(file);
  }
  return EXIT.ok;
}

function program(): Command {
  const cli = new Command("mcsim")
    .description("Deterministic emulator of multi-cluster Kubernetes networking")
    .version(VERSION)
    .showHelpAfterError("(run mcsim --help for usage)")
    .exitOverride();
  cli
    .command("demo")
    .description("run the built-in demo: two clusters in two regions pinging each other, with a partition in the middle")
    .option("--seed <n>", "the world's seed", seedOption, 1)
    .addOption(
      new Option("--duration <duration>", "simulated time to run (e.g. 60s, 5m)").argParser(durationOption("--duration")).default(60_000_000, "60s"),
    )
    .option("--rate <n>", "pings per second from each client", countOption("--rate"), 50)
    .option("--trace <file>", "write the NDJSON trace to this file")
    .addOption(new Option("--trace-level <level>", "what the trace records (default: full with --trace, else off)").choices(TRACE_LEVELS))
    .option("--max-events <n>", "stop the run after this many events (a partial result)", countOption("--max-events"))
    .option("--json", "print the report as one JSON object")
    .action((flags: DemoFlags) => {
      process.exitCode = demo(flags);
    });
  return cli;
}

function main(argv: readonly string[]): void {
  try {
    program().parse(argv as string[], { from: "user" });
  } catch (e) {
    if (e instanceof CommanderError) {
      // Help and version "errors" are successes; anything else commander rejects is bad input.
      process.exitCode = e.exitCode === 0 ? EXIT.ok : EXIT.badInput;
      return;
    }
    if (e instanceof UsageError) {
      process.stderr.write(`mcsim: ${e.message}\n`);
      process.exitCode = EXIT.badInput;
      return;
    }
    process.stderr.write(`mcsim: internal error: ${(e as Error)?.stack ?? String(e)}\n${REPORT_BUGS}\n`);
    process.exitCode = EXIT.internal;
  }
}

main(process.argv.slice(2));
