import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ScenarioError, loadScenario } from "../../src/scenario/load.js";
import { formatReport } from "../../src/scenario/report-format.js";
import { runScenario, type ScenarioReport } from "../../src/scenario/run.js";
import { section } from "../report-section.js";

/**
 * scenarios/mesh-failover.yaml (issue 7): locality failover with outlier detection in a
 * multi-primary mesh over two regions (mesh.md §3.1–§3.3), and the report's requests served by
 * cluster per fault phase that shows the traffic moving.
 */
const FILE = "scenarios/mesh-failover.yaml";
const TEXT = readFileSync(FILE, "utf8");
const load = (text = TEXT) => loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") });
const report: ScenarioReport = runScenario(load(), { traceLevel: "summary" });
const web = report.streams.find((s) => s.name === "web")!;

/** Requests served per cluster in one phase of the fault: `{east: 400}`. */
function served(phase: string): Record<string, number> {
  return Object.fromEntries(web.servedBy!.filter((b) => b.phase === phase).map((b) => [b.to, b.count]));
}

describe("mesh-failover.yaml (mesh.md §3.1–§3.3)", () => {
  it("§3.1: before the fault east, the proxy's first priority, serves every request", () => {
    expect(served("before")).toEqual({ east: web.byPhase[0]!.count });
    expect(web.byPhase[0]!.successRatio).toBe(1);
  });

  it("§3.3: during it east's endpoints fail with 503 until ejected, then west serves the rest, all of them successfully", () => {
    const during = web.servedBy!.filter((b) => b.phase === "during");
    const east = during.find((b) => b.to === "east")!;
    const west = during.find((b) => b.to === "west")!;
    expect(east.statuses).toEqual({ "503": east.count });
    // Three consecutive 5xx per endpoint eject it: three endpoints, and again once each ejection ends.
    expect(east.count % 3).toBe(0);
    expect(east.count).toBeGreaterThanOrEqual(9);
    expect(west.successRatio).toBe(1);
    expect(west.share).toBeGreaterThan(0.9);
    expect(west.region).toBe("us-west-2");
    expect(east.share + west.share).toBeCloseTo(1, 10);
  });

  it("§3.3: after it traffic returns to east as the ejections expire, with no error", () => {
    const after = served("after");
    expect(Object.keys(after)).toEqual(["west", "east"]);
    expect(after.east).toBeGreaterThan(100);
    expect(web.byPhase.find((p) => p.phase === "after")!.failed).toBe(0);
  });

  it("meets every expectation, counting requests by the cluster that served them (to: {cluster})", () => {
    expect(report.expectations.filter((e) => !e.pass)).toEqual([]);
    const duringWest = report.expectations.find((e) => e.description === "count of web to west >= 360 during east-503")!;
    expect(duringWest.measured).toBe(served("during").west);
  });

  it("prints the requests served by cluster per fault phase", () => {
    const rows = section(formatReport(report, { wall: 0 }), "Requests served by cluster, per fault phase");
    expect(rows[0]!.split(/\s+/)).toEqual(["STREAM", "FAULT", "PHASE", "TO", "REGION", "REQUESTS", "SHARE", "SUCCESS", "P50", "P99", "STATUS", "ERRORS"]);
    expect(rows.slice(1).map((r) => r.split(/\s+/).slice(2, 5).join(" "))).toEqual(["before east us-east-1", "during east us-east-1", "during west us-west-2", "after west us-west-2", "after east us-east-1"]);
  });

  it("gives the same digest for the same seed, and another for another seed", () => {
    expect(runScenario(load(), { traceLevel: "summary" }).digest).toBe(report.digest);
    expect(runScenario(load(), { traceLevel: "summary", seed: 2 }).digest).not.toBe(report.digest);
  });

  it("refuses an expectation to a cluster the scenario does not have, naming where", () => {
    const text = TEXT.replace("to: {cluster: west}, count: {atLeast: 360}", "to: {cluster: wset}, count: {atLeast: 360}");
    expect(() => load(text)).toThrow(ScenarioError);
    expect(() => load(text)).toThrow(/^scenarios\/mesh-failover\.yaml:\d+:\d+: spec\.expect\[4\]\.to\.cluster: no cluster named "wset" \(did you mean "west"\?\)/);
  });
});
