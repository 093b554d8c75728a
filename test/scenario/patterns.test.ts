import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ScenarioError, loadScenario } from "../../src/scenario/load.js";
import { formatReport, reportJson } from "../../src/scenario/report-format.js";
import { runScenario, type ScenarioReport } from "../../src/scenario/run.js";
import { section } from "../report-section.js";

/**
 * scenarios/patterns.yaml (issue 7): one service through the Istio mesh, DNS federation and MCS
 * side by side under the same partition — the lesson's "Choosing a Pattern" as one report.
 */
const FILE = "scenarios/patterns.yaml";
const TEXT = readFileSync(FILE, "utf8");
const load = (text = TEXT) => loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") });
const report: ScenarioReport = runScenario(load(), { traceLevel: "summary" });
const row = (pattern: string) => report.patterns!.rows.find((r) => r.pattern === pattern)!;

describe("patterns.yaml: Choosing a Pattern", () => {
  it("tags each stream with its pattern and measures the three over the partition", () => {
    expect(load().spec.traffic.map((s) => s.pattern)).toEqual(["istio", "dns-federation", "mcs"]);
    expect(report.patterns!.fault).toBe("partition");
    expect(report.patterns!.rows.map((r) => [r.pattern, r.streams])).toEqual([
      ["istio", ["istio"]],
      ["dns-federation", ["dns-federation"]],
      ["mcs", ["mcs"]],
    ]);
    for (const r of report.patterns!.rows) {
      expect(r.before).toBeGreaterThanOrEqual(0.99);
      expect(r.after).toBe(1);
      expect(r.recoverS).toBe(0);
    }
  });

  it("mesh.md §3.3–§3.4: the mesh's retries and outlier detection keep every call succeeding, sent to central", () => {
    expect(row("istio").during).toBe(1);
    expect(row("istio").detectS).toBe(0);
    const during = report.streams.find((s) => s.name === "istio")!.servedBy!.filter((b) => b.phase === "during");
    expect(during.map((b) => b.to)).toEqual(["central"]);
  });

  it("dns.md §4.2: a federated name is one cluster's, and fails for as long as that cluster is cut off", () => {
    expect(row("dns-federation").during).toBe(0);
    expect(row("dns-federation").detectS).toBeNull();
  });

  it("mcs.md §1: MCS fails calls to the cut-off cluster's endpoints until its lease expires, then none", () => {
    const mcs = row("mcs");
    expect(mcs.during).toBeGreaterThan(0.7);
    expect(mcs.during).toBeLessThan(0.95);
    // The KEP profile's lease is 10s: failures stop about then, not at once and not never.
    expect(mcs.detectS).toBeGreaterThan(8);
    expect(mcs.detectS).toBeLessThan(13);
  });

  it("prints the patterns side by side, one row each, and puts them in the JSON report", () => {
    const rows = section(formatReport(report, { wall: 0 }), "Choosing a pattern");
    expect(rows[0]!.split(/\s+/)).toEqual(["PATTERN", "STREAMS", "BEFORE", "DURING", "AFTER", "P50", "P99", "DETECT", "RECOVER"]);
    expect(rows.slice(1).map((r) => r.split(/\s+/)[0])).toEqual(["istio", "dns-federation", "mcs"]);
    expect(rows[2]).toMatch(/\s0\.00%\s.*\snever\s/);
    expect((reportJson(report, { wall: 1 }) as { patterns: unknown }).patterns).toEqual(report.patterns);
  });

  it("meets its expectations, and gives the same digest for the same seed", () => {
    expect(report.expectations.filter((e) => !e.pass)).toEqual([]);
    expect(runScenario(load(), { traceLevel: "summary" }).digest).toBe(report.digest);
  });

  it("has no patterns table without tagged streams", () => {
    const untagged = TEXT.replace(/^ {6}pattern: .*\n/gm, "");
    expect(untagged).not.toContain("pattern: mcs");
    const r = runScenario(load(untagged), { until: 25_000_000 });
    expect(r.patterns).toBeUndefined();
    expect(formatReport(r, { wall: 0 })).not.toContain("Choosing a pattern");
  });

  it("refuses a pattern it does not know, naming where", () => {
    expect(() => load(TEXT.replace("pattern: mcs", "pattern: submariner"))).toThrow(ScenarioError);
    expect(() => load(TEXT.replace("pattern: mcs", "pattern: submariner"))).toThrow(/^scenarios\/patterns\.yaml:\d+:\d+: spec\.traffic\[2\]\.pattern/);
  });
});
