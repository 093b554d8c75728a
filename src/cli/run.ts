import { DnsCapture } from "../dns/capture.js";
import { formatReport, reportJson } from "../scenario/report-format.js";
import { runScenario, type Progress, type ScenarioReport } from "../scenario/run.js";
import type { Micros } from "../sim/time.js";
import { formatDuration } from "../sim/time.js";
import type { TraceLevel } from "../sim/trace.js";
import { EXIT, openOutput, openTrace } from "./options.js";
import { ProgressBar } from "./progress.js";
import { showConfig } from "./show-config.js";
import { readScenarioFile } from "./scenario-file.js";

/** The flags of `mcsim run`. */
export interface RunFlags {
  seed?: number;
  until?: Micros;
  trace?: string;
  traceLevel?: TraceLevel;
  pcap?: string;
  showConfig?: boolean;
  report: "table" | "json";
  maxEvents?: number;
  maxWall?: Micros;
}

/**
 * `mcsim run SCENARIO`: runs it and prints the report. Exit 0 when every expectation passed, 1
 * when one failed (a partial run checks what it measured, and says it is partial). With
 * `--show-config`, prints the configuration instead ({@link showConfig}).
 */
export function runCommand(file: string, flags: RunFlags): number {
  const { scenario, source } = readScenarioFile(file);
  if (flags.showConfig) {
    process.stdout.write(showConfig(scenario, flags.seed !== undefined ? { seed: flags.seed } : {}));
    return EXIT.ok;
  }
  // The summary level by default: the digest then covers every lookup, at little cost.
  const level: TraceLevel = flags.traceLevel ?? (flags.trace ? "full" : "summary");
  // --until and --max-events change the trace, so the header records them for replay.
  const limits = {
    ...(flags.until !== undefined ? { until: flags.until } : {}),
    ...(flags.maxEvents !== undefined ? { maxEvents: flags.maxEvents } : {}),
  };
  const trace = openTrace(flags.trace);
  const pcap = flags.pcap === undefined ? undefined : openCapture(flags.pcap);
  const progress = new ProgressBar({ until: flags.until });
  let stoppedByWall = false;
  const onProgress = (p: Progress): string | undefined => {
    progress.update(p);
    if (flags.maxWall === undefined || progress.elapsed() * 1000 <= flags.maxWall) return undefined;
    stoppedByWall = true;
    return `stopped by --max-wall ${formatDuration(flags.maxWall)} at ${p.now / 1e6}s simulated`;
  };
  let report: ScenarioReport;
  try {
    report = runScenario(scenario, {
      ...(flags.seed !== undefined ? { seed: flags.seed } : {}),
      ...limits,
      traceLevel: level,
      traceSinks: trace.sinks,
      source: { ...source, ...limits },
      onProgress,
      ...(pcap ? { networkTap: pcap.capture } : {}),
    });
  } finally {
    progress.done();
    trace.close();
    pcap?.close();
  }
  const time = { wall: progress.elapsed() / 1000 };
  process.stdout.write(flags.report === "json" ? `${JSON.stringify(reportJson(report, time))}\n` : `${formatReport(report, time)}\n`);
  if (report.partial) {
    // Where the wall clock stopped a run is not in the trace header, so replay runs to the end.
    const unreplayable = stoppedByWall && flags.trace ? `; ${flags.trace} ends there too, so mcsim replay of it will differ at its end` : "";
    process.stderr.write(`mcsim: partial run: ${report.stopReason}${unreplayable}\n`);
  }
  const omitted = pcap?.capture.stats.omitted ?? 0;
  if (omitted > 0) process.stderr.write(`mcsim: --pcap ${flags.pcap}: left out ${omitted} DNS message${omitted === 1 ? "" : "s"} with an IPv6 address or too large for one IPv4 packet\n`);
  return report.expectations.every((e) => e.pass) ? EXIT.ok : EXIT.expectationFailed;
}

/** Opens `--pcap FILE`: a capture of the run's DNS messages that writes there, and how to finish the file. */
function openCapture(file: string): { readonly capture: DnsCapture; close(): void } {
  const out = openOutput("--pcap", file, "the capture");
  const capture = new DnsCapture(out.write);
  return {
    capture,
    close: () => {
      capture.flush();
      out.close();
    },
  };
}
