import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { ScenarioError, loadScenario } from "../../src/scenario/load.js";
import { runScenario } from "../../src/scenario/run.js";

const FILE = "scenarios/requests.yaml";
const TEXT = readFileSync(FILE, "utf8");
const load = (text: string) => loadScenario(text, FILE, { readFile: (p) => readFileSync(p, "utf8") });

/** The error loading the shipped scenario with one piece of it replaced. */
function errorOf(from: string, to: string): ScenarioError {
  expect(TEXT).toContain(from);
  try {
    load(TEXT.replace(from, to));
  } catch (e) {
    if (e instanceof ScenarioError) return e;
    throw e;
  }
  throw new Error(`no error with ${JSON.stringify(to)}`);
}

describe("request scenarios: loading", () => {
  it("reads apps, request streams, httpFault and status and error checks", () => {
    const spec = load(TEXT).spec;
    expect(spec.apps).toEqual([
      {
        name: "web",
        cluster: "east",
        namespace: "shop",
        labels: { app: "web" },
        service: { workers: 4, serviceTime: { kind: "lognormal", median: 2000, p99: 8000 }, queueLimit: 1000 },
      },
    ]);
    expect(spec.traffic[0]!.action).toEqual({ kind: "request", url: "http://web/", method: "GET", timeout: 2_000_000 });
    expect(spec.faults[0]!.action).toMatchObject({
      kind: "httpFault",
      target: { cluster: "east", namespace: "shop", labels: { app: "web" }, mode: "fixed", value: 1 },
      fault: { reset: 0.1, abort: { status: 503, probability: 0.5 } },
    });
    expect(spec.expect.map((e) => e.check.kind)).toContain("status");
    expect(spec.expect.find((e) => e.check.kind === "error")!.description).toBe("reset count of web >= 5 during web-503");
  });

  it("refuses a URL it cannot call, where it is written", () => {
    const e = errorOf("request: http://web/", "request: https://web/");
    expect(e.path).toBe("spec.traffic[0].request");
    expect(e.detail).toMatch(/only http:\/\/ URLs are modelled, not https/);
    expect(e.line).toBe(TEXT.split("\n").findIndex((l) => l.includes("request: http://web/")) + 1);
  });

  it("refuses resolve-only fields on a request stream and request-only ones on a resolve stream", () => {
    expect(errorOf("      timeout: 2s\n      arrival: poisson", "      timeout: 2s\n      type: A\n      arrival: poisson").detail).toBe("only with resolve");
    expect(errorOf("request: http://web/", "resolve: web").detail).toBe("only with request");
  });

  it("refuses an httpFault that says nothing goes wrong, and percentages out of range", () => {
    const none = errorOf("        abort: {httpStatus: 503, percentage: 50}\n        reset: {percentage: 10}\n", "");
    expect(none.detail).toBe("say what goes wrong: one or more of abort, reset, hang, delay");
    expect(errorOf("percentage: 50}", "percentage: 150}").path).toBe("spec.faults[0].httpFault.abort.percentage");
    expect(errorOf("httpStatus: 503", "httpStatus: 42").path).toBe("spec.faults[0].httpFault.abort.httpStatus");
  });

  it("refuses an unknown error kind, and checks a stream of the other kind cannot meet", () => {
    expect(errorOf("kind: reset", "kind: resett").path).toBe("spec.expect[4].error.kind");
    const wrong = errorOf("{stream: web, fault: web-503, phase: before, successRatio: {atLeast: 1}}", "{stream: web, rcode: {code: NOERROR, atLeast: 1}}");
    expect(wrong.detail).toBe("checks a resolve stream, and web is a request stream; use status or error");
  });

  it("refuses unknown fields of an app, as everywhere", () => {
    expect(errorOf("      workers: 4", "      worker: 4").detail).toMatch(/unknown field "worker" \(did you mean "workers"\?\)/);
  });
});

describe("request scenarios: running", () => {
  it("reports statuses and error kinds per stream, phase and pair, the same for the same seed", () => {
    const scenario = load(TEXT);
    const r = runScenario(scenario, { traceLevel: "summary" });
    const web = r.streams.find((s) => s.name === "web")!;
    expect(web.kind).toBe("request");
    expect(web.action).toBe("GET http://web/ (timeout 2s)");
    const during = web.byPhase.find((p) => p.phase === "during")!;
    expect(during.statuses!["503"]).toBeGreaterThan(0);
    expect(during.errors!.reset).toBeGreaterThan(0);
    expect(web.byPhase.find((p) => p.phase === "before")!.errors).toEqual({});
    expect(web.byPair).toEqual([expect.objectContaining({ from: "east", to: "east", count: web.count })]);
    expect(web.queriesPerLookup).toBeNull();
    const canary = r.streams.find((s) => s.name === "canary")!;
    expect(canary.errors).toEqual({ "connect-refused": canary.count });
    expect(r.expectations.every((e) => e.pass)).toBe(true);
    expect(runScenario(scenario, { traceLevel: "summary" }).digest).toBe(r.digest);
    expect(runScenario(scenario, { traceLevel: "summary", seed: 2 }).digest).not.toBe(r.digest);
  });

  it("fails its expectations when the app does not fail: the during checks can fail", () => {
    const r = runScenario(load(TEXT.replace("abort: {httpStatus: 503, percentage: 50}", "abort: {httpStatus: 200, percentage: 50}").replace("reset: {percentage: 10}", "delay: {fixedDelay: 1ms}")));
    const failed = r.expectations.filter((e) => !e.pass).map((e) => e.description);
    expect(failed).toEqual(["0.75 <= success ratio of web <= 0.92 during web-503", "503 count of web >= 50 during web-503", "reset count of web >= 5 during web-503"]);
  });
});
