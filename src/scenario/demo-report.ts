import { formatDuration } from "../sim/time.js";
import type { DemoReport } from "./demo.js";
import { formatTable, millis } from "./table.js";

/** The demo's report as a person reads it on a terminal. */
export function formatDemoReport(r: DemoReport): string {
  const out: string[] = [];
  out.push(`mcsim demo: two clusters (cluster-a in us-east-1, cluster-b in eu-west-1), seed ${r.seed}, ${formatDuration(r.duration)} simulated`);
  out.push(`partition cluster-a <-> cluster-b from ${formatDuration(r.partition.at)} to ${formatDuration(r.partition.until)}`);
  out.push("");
  out.push("Pings (each client alternates between a server in its own cluster and one in the other; timeout 1s)");
  out.push(
    formatTable(
      ["PHASE", "TARGET", "SENT", "ANSWERED", "TIMED OUT", "RTT p50 ms", "p90 ms", "p99 ms", "max ms"],
      r.rows.map((row) => [
        row.phase,
        row.target,
        row.sent,
        row.answered,
        row.timedOut,
        millis(row.rtt.p50),
        millis(row.rtt.p90),
        millis(row.rtt.p99),
        millis(row.rtt.max),
      ]),
    ),
  );
  out.push("");
  out.push("Network");
  const drops = [...r.network.dropped].map(([reason, n]) => `${reason} ${n}`).join(", ") || "none";
  out.push(
    formatTable(
      ["SENT", "DELIVERED", "DUPLICATED", "DROPPED"],
      [[r.network.sent, r.network.delivered, r.network.duplicated, [...r.network.dropped.values()].reduce((a, b) => a + b, 0)]],
    ),
  );
  out.push(`dropped by reason: ${drops}`);
  out.push("");
  out.push(`run: ${r.run.message}; ${r.events} events in all`);
  out.push(`trace: level ${r.traceLevel}, ${r.traceEvents} events, sha256 ${r.digest}`);
  out.push(`replay: mcsim demo --seed ${r.seed} --duration ${formatDuration(r.duration)}`);
  return out.join("\n");
}

/** The demo's report as one JSON object, for machines. */
export function demoReportJson(r: DemoReport): unknown {
  return {
    scenario: "demo",
    seed: r.seed,
    duration: r.duration,
    partition: r.partition,
    rows: r.rows,
    network: { ...r.network, dropped: Object.fromEntries(r.network.dropped) },
    run: r.run,
    events: r.events,
    trace: { level: r.traceLevel, events: r.traceEvents, sha256: r.digest },
  };
}
