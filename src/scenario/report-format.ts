import { formatDuration } from "../sim/time.js";
import type { FaultRecord } from "./faults.js";
import type { Figures, LatencyMs } from "./report.js";
import type { ScenarioReport } from "./run.js";
import type { FaultAction } from "./spec.js";
import { formatTable, type Cell } from "./table.js";

/** How long the run took on the wall clock, which only the caller can know (the model has no clock). */
export interface WallTime {
  /** Wall seconds the run took. */
  readonly wall: number;
}

/**
 * The report as one JSON object: the figures of {@link ScenarioReport} with the wall time, network
 * drops as an object, and `simulatedPerWall` (simulated seconds per wall second). Times are in
 * seconds, latencies in milliseconds. Tools read these names: keep them.
 */
export function reportJson(r: ScenarioReport, time: WallTime): unknown {
  return {
    scenario: r.scenario,
    ...(r.description ? { description: r.description } : {}),
    seed: r.seed,
    version: r.version,
    digest: r.digest,
    simulated: r.simulated,
    wall: time.wall,
    simulatedPerWall: time.wall > 0 ? r.simulated / time.wall : null,
    events: r.events,
    partial: r.partial,
    ...(r.stopReason ? { stopReason: r.stopReason } : {}),
    warmup: r.warmup / 1e6,
    duration: r.duration / 1e6,
    streams: r.streams,
    faults: r.faults.map((f) => ({ ...f, at: f.at / 1e6, ...(f.until !== undefined ? { until: f.until / 1e6 } : {}) })),
    expectations: r.expectations,
    network: { ...r.network, dropped: Object.fromEntries(r.network.dropped) },
    trace: r.trace,
    ...(r.mcs ? { mcs: r.mcs } : {}),
    ...(r.patterns ? { patterns: r.patterns } : {}),
  };
}

const count = (n: number): string => n.toLocaleString("en-US");
/** Seconds to the millisecond, `-` for none. */
const secondsCell = (v: number | null | undefined): Cell => (v === null || v === undefined || !Number.isFinite(v) ? "-" : `${v.toFixed(3)}s`);
const plural = (n: number, what: string): string => `${count(n)} ${what}${n === 1 ? "" : "s"}`;
const percent = (v: number | null): Cell => (v === null ? "-" : `${(v * 100).toFixed(2)}%`);

/**
 * A latency in milliseconds as a person reads it: three significant digits in the unit that suits
 * it (`661us`, `2.38ms`, `71.1ms`, `2.07s`), so that a slow one stands out without reading digits.
 */
export function formatLatency(ms: number | null): Cell {
  if (ms === null) return "-";
  const us = Math.round(ms * 1000);
  if (us < 1000) return `${us}us`;
  // Rounded first, so that 999.7ms reads 1.00s rather than 1.00e+3ms.
  if (Number(ms.toPrecision(3)) < 1000) return `${ms.toPrecision(3)}ms`;
  const s = ms / 1000;
  return `${s < 1000 ? s.toPrecision(3) : Math.round(s)}s`;
}

/** `NOERROR 1,031, SERVFAIL 325`. */
const outcomes = (c: Readonly<Record<string, number>>): string =>
  Object.entries(c)
    .map(([code, n]) => `${code} ${count(n)}`)
    .join(", ") || "-";
const latencyCells = (l: LatencyMs): Cell[] => [formatLatency(l.p50), formatLatency(l.p90), formatLatency(l.p99), formatLatency(l.p999), formatLatency(l.max)];
const figureCells = (f: Figures): Cell[] => [count(f.count), count(f.ok), count(f.failed), percent(f.successRatio), ...latencyCells(f.latencyMs)];
const figureHeader = (what: "LOOKUPS" | "REQUESTS") => [what, "OK", "FAILED", "SUCCESS", "P50", "P90", "P99", "P99.9", "MAX"];
/** A request's figures: its statuses and its error kinds, apart. */
const requestCells = (f: Figures): Cell[] => [...figureCells(f), outcomes(f.statuses ?? {}), outcomes(f.errors ?? {})];

/** What each kind of fault does, in words, put before what it acted on (its record's target). */
const EFFECTS: Readonly<Record<FaultAction["kind"], string>> = {
  partition: "no message gets through",
  delay: "messages delayed",
  loss: "some messages lost",
  duplicate: "some messages delivered twice",
  hold: "messages held until released",
  heal: "healed",
  release: "released, what it held delivered",
  kill: "pods deleted",
  failure: "pods unreachable and not ready",
  scale: "scaled",
  dnsChaos: "CoreDNS answers wrongly",
  httpFault: "apps misbehave",
  apply: "applied",
  delete: "deleted",
  leave: "left the MCS clusterset",
  join: "joined the MCS clusterset again",
};

/** What a fault did, in words: its effect on its target, or why it could not act. */
export function faultEffect(f: FaultRecord): string {
  if (f.error) return `could not act: ${f.error}`;
  const effect = EFFECTS[f.action as FaultAction["kind"]];
  return effect ? `${effect}: ${f.target}` : f.target;
}

/** The last line: whether the expectations were met, which is what the exit code says too. */
function verdict(r: ScenarioReport): string {
  const partial = r.partial ? ` (a partial run: ${r.simulated}s of ${r.duration / 1e6}s simulated)` : "";
  const total = r.expectations.length;
  if (total === 0) return `No expectations to check${partial}.`;
  const failed = r.expectations.filter((e) => !e.pass).length;
  if (failed === 0) return `PASS: ${total === 1 ? "the expectation was" : `all ${total} expectations were`} met${partial}.`;
  return `FAIL: ${failed} of ${plural(total, "expectation")} not met${partial}.`;
}

/**
 * The report as a person reads it on a terminal: what ran, the traffic's figures overall, by fault
 * phase and by cluster pair, what the faults did, and the expectations with a verdict at the end.
 */
export function formatReport(r: ScenarioReport, time: WallTime): string {
  const out: string[] = [];
  const section = (title: string, table: string) => out.push("", title, table);
  out.push(`mcsim run ${r.scenario}${r.description ? ` — ${r.description}` : ""}`);
  const speed = time.wall > 0 ? ` (${count(Math.round(r.simulated / time.wall))}x real time)` : "";
  out.push(
    `seed ${r.seed} · ${r.simulated}s simulated in ${time.wall.toFixed(2)}s${speed} · ${plural(r.events, "event")} · the first ${formatDuration(r.warmup)} (warmup) left out of the figures`,
  );
  if (r.partial) out.push(`PARTIAL RUN: ${r.stopReason ?? "stopped early"}`);

  section(
    "Traffic after warmup (SKIPPED: no client pod was running to send from; IN FLIGHT: not finished when the run ended)",
    formatTable(
      ["STREAM", "FROM", "ACTION", "OUTCOMES", "SKIPPED", "IN FLIGHT"],
      r.streams.map((s) => [s.name, s.cluster, s.action, outcomes(s.codes), count(s.skipped), count(s.inFlight)]),
    ),
  );
  const lookups = r.streams.filter((s) => s.kind === "resolve");
  const requests = r.streams.filter((s) => s.kind === "request");
  if (lookups.length > 0) {
    section(
      "Results (lookups started after warmup; latency of the successful ones)",
      formatTable(
        ["STREAM", ...figureHeader("LOOKUPS"), "QUERIES/LOOKUP"],
        lookups.map((s) => [s.name, ...figureCells(s), s.queriesPerLookup === null ? "-" : s.queriesPerLookup.toFixed(2)]),
      ),
    );
  }
  if (requests.length > 0) {
    section(
      "Requests (HTTP calls started after warmup; SUCCESS: a status below 500; latency of the successful ones; ERRORS: calls that got no status)",
      formatTable(["STREAM", ...figureHeader("REQUESTS"), "STATUS", "ERRORS"], requests.map((s) => [s.name, ...requestCells(s)])),
    );
  }
  if (r.patterns) {
    const p = r.patterns;
    const seconds = (v: number | null) => (v === null ? "never" : `${v.toFixed(1)}s`);
    section(
      `Choosing a pattern (the streams tagged with each, over the fault ${p.fault ?? "- (none)"}; latency of the successful actions after warmup; DETECT: from the fault's start to the last failure during it, never when failures lasted as long as it; RECOVER: from its end to the last failure after it)`,
      formatTable(
        ["PATTERN", "STREAMS", "BEFORE", "DURING", "AFTER", "P50", "P99", "DETECT", "RECOVER"],
        p.rows.map((row) => [row.pattern, row.streams.join(","), percent(row.before), percent(row.during), percent(row.after), formatLatency(row.latencyMs.p50), formatLatency(row.latencyMs.p99), p.fault ? seconds(row.detectS) : "-", p.fault ? seconds(row.recoverS) : "-"]),
      ),
    );
  }
  const phases = lookups.flatMap((s) => s.byPhase.map((p) => [s.name, p.fault, p.phase, ...figureCells(p), outcomes(p.codes)]));
  if (phases.length > 0) {
    section("By fault phase (lookups by when they started: before, during or after each fault)", formatTable(["STREAM", "FAULT", "PHASE", ...figureHeader("LOOKUPS"), "OUTCOMES"], phases));
  }
  const requestPhases = requests.flatMap((s) => s.byPhase.map((p) => [s.name, p.fault, p.phase, ...requestCells(p)]));
  if (requestPhases.length > 0) {
    section("Requests by fault phase (by when they started)", formatTable(["STREAM", "FAULT", "PHASE", ...figureHeader("REQUESTS"), "STATUS", "ERRORS"], requestPhases));
  }
  // Only where traffic had somewhere to move: a stream that more than one cluster served.
  const served = requests.filter((s) => s.byPair.length > 1).flatMap((s) =>
    (s.servedBy ?? []).map((b) => [s.name, b.fault, b.phase, b.to === "-" ? "none" : b.to, b.region || "-", count(b.count), percent(b.share), percent(b.successRatio), formatLatency(b.latencyMs.p50), formatLatency(b.latencyMs.p99), outcomes(b.statuses ?? {}), outcomes(b.errors ?? {})]),
  );
  if (served.length > 0) {
    section(
      "Requests served by cluster, per fault phase (TO: the cluster of the endpoint connected to, none when no endpoint was; SHARE: of the phase's requests)",
      formatTable(["STREAM", "FAULT", "PHASE", "TO", "REGION", "REQUESTS", "SHARE", "SUCCESS", "P50", "P99", "STATUS", "ERRORS"], served),
    );
  }
  const pairs = lookups.flatMap((s) => s.byPair.map((p) => [s.name, p.from, p.to === "-" ? "none" : p.to, ...figureCells(p)]));
  if (pairs.length > 0) {
    section("By cluster pair (TO: the cluster that owns the answer's first address; none when there was no address)", formatTable(["STREAM", "FROM", "TO", ...figureHeader("LOOKUPS")], pairs));
  }
  const requestPairs = requests.flatMap((s) => s.byPair.map((p) => [s.name, p.from, p.to === "-" ? "none" : p.to, ...requestCells(p)]));
  if (requestPairs.length > 0) {
    section(
      "Requests by cluster pair (TO: the cluster of the endpoint that served the call (through kube-proxy, the backend reached); none when the host did not resolve)",
      formatTable(["STREAM", "FROM", "TO", ...figureHeader("REQUESTS"), "STATUS", "ERRORS"], requestPairs),
    );
  }
  if (r.faults.length > 0) {
    section(
      "Faults (UNTIL: when it was undone; - for one that acts at an instant, end when it lasted to the end)",
      formatTable(
        ["NAME", "ACTION", "AT", "UNTIL", "WHAT IT DID"],
        r.faults.map((f) => [f.name, f.action, formatDuration(f.at), f.until !== undefined ? formatDuration(f.until) : f.instant ? "-" : "end", faultEffect(f)]),
      ),
    );
  }
  if (r.mcs) {
    const m = r.mcs;
    const rows = m.clusters.flatMap((c) => {
      const services = [...new Set([...c.imports.map((i) => i.service), ...c.firstAnswers.map((a) => a.service)])];
      if (services.length === 0) return [[c.cluster, c.clusterId, "-", "-", "-", "-", "-"]];
      return services.map((service) => {
        const i = c.imports.find((x) => x.service === service);
        const a = c.firstAnswers.find((x) => x.service === service);
        const answer = (v: number | null | undefined) => (a?.firstLookupAtS != null && v === null ? "none" : secondsCell(v));
        return [c.cluster, c.clusterId, service, secondsCell(i?.importedAtS), secondsCell(i?.afterExportS), answer(a?.answeredAtS), answer(a?.afterExportS)];
      });
    });
    section(
      `Multi-Cluster Services (profile ${m.profile}; DELAY: from the name's first ServiceExport in any member; FIRST ANSWER: the first successful lookup of <svc>.<ns>.svc.clusterset.local by a stream from the cluster, - when no stream asked, none when none succeeded)`,
      formatTable(["CLUSTER", "CLUSTER ID", "SERVICE", "IMPORTED AT", "IMPORT DELAY", "FIRST ANSWER AT", "ANSWER DELAY"], rows),
    );
    if (m.withdrawals.length > 0) {
      section(
        "Endpoints withdrawn (a cluster silent for a lease's length loses its endpoints in every member; AFTER: from its last sync)",
        formatTable(["CLUSTER", "LAST HEARD", "WITHDRAWN AT", "AFTER"], m.withdrawals.map((w) => [w.cluster, `${w.lastHeardS.toFixed(3)}s`, `${w.atS.toFixed(3)}s`, `${w.afterSilenceS.toFixed(3)}s`])),
      );
    }
    if (m.failures.length > 0) {
      const failures = m.failures.flatMap((f) => {
        const head = [f.fault, f.cluster, secondsCell(f.atS), f.untilS === null ? "end" : secondsCell(f.untilS)];
        const gone = (g: { atS: number | null; afterFailureS: number | null }) => (g.atS === null ? ["never", "-"] : [secondsCell(g.atS), secondsCell(g.afterFailureS)]);
        const rows = [
          ...f.slicesGone.map((g) => [...head, g.cluster, "EndpointSlices", ...gone(g), "-"]),
          ...f.answersGone.map((g) => [...head, g.cluster, `answers for ${g.service}`, ...gone(g), secondsCell(g.lastHeldAtS)]),
        ];
        return rows.length > 0 ? rows : [[...head, "-", "none of its endpoints imported elsewhere", "-", "-", "-"]];
      });
      section(
        "Endpoints leaving the others (per member cut off from the hub or leaving: when its imported EndpointSlices were gone from each other member's API server, and when lookups from there whose answers held its addresses first got one without; never: not before the end or its next failure; LAST HELD: the last answer with one while it was cut off, from another CoreDNS replica's cache)",
        formatTable(["FAULT", "FAILED", "AT", "UNTIL", "IN", "WHAT", "GONE AT", "AFTER", "LAST HELD"], failures),
      );
    }
  }

  const n = r.network;
  const dropped = [...n.dropped.values()].reduce((a, b) => a + b, 0);
  const reasons = [...n.dropped].map(([reason, k]) => `${reason} ${count(k)}`).join(", ");
  const extra = [n.duplicated ? `${count(n.duplicated)} duplicated` : "", n.held ? `${count(n.held)} held` : ""].filter(Boolean).map((s) => `, ${s}`).join("");
  out.push("");
  out.push(`Network: ${plural(n.sent, "message")} sent, ${count(n.delivered)} delivered, ${count(dropped)} dropped${reasons ? ` (${reasons})` : ""}${extra}`);
  out.push(`Trace: ${plural(r.trace.events, "event")} at level ${r.trace.level}, sha256 ${r.digest} (the same scenario, seed and version give the same digest)`);

  if (r.expectations.length > 0) {
    section("Expectations", formatTable(["RESULT", "EXPECTATION", "MEASURED"], r.expectations.map((e) => [e.pass ? "pass" : "FAIL", e.description, e.detail])));
  }
  out.push("", verdict(r));
  return out.join("\n");
}
