import { describe, expect, it } from "vitest";
import type { FaultRecord } from "../../src/scenario/faults.js";
import type { Figures, StreamReport } from "../../src/scenario/report.js";
import { faultEffect, formatLatency, formatReport, reportJson } from "../../src/scenario/report-format.js";
import type { McsReport } from "../../src/scenario/mcs-report.js";
import type { ScenarioReport } from "../../src/scenario/run.js";
import { formatTable } from "../../src/scenario/table.js";
import { section } from "../report-section.js";

const SECOND = 1_000_000;

function figures(count: number, ok: number, p50: number | null, codes: Record<string, number>): Figures {
  return {
    count,
    ok,
    failed: count - ok,
    successRatio: count ? ok / count : null,
    latencyMs: p50 === null ? { p50, p90: null, p99: null, p999: null, max: null, mean: null } : { p50, p90: 2 * p50, p99: 3 * p50, p999: 4 * p50, max: 5 * p50, mean: p50 },
    queriesPerLookup: count ? 1.25 : null,
    codes,
  };
}

const remote: StreamReport = {
  name: "remote",
  kind: "resolve",
  action: "resolve web.shop.svc.west.local. (A)",
  cluster: "east",
  ...figures(1356, 1031, 71.111, { NOERROR: 1031, SERVFAIL: 325 }),
  skipped: 2,
  inFlight: 3,
  byPhase: [
    { fault: "cut", phase: "before", ...figures(615, 612, 71.031, { NOERROR: 612, SERVFAIL: 3 }) },
    { fault: "cut", phase: "during", ...figures(360, 38, 2070.661, { SERVFAIL: 322, NOERROR: 38 }) },
  ],
  byPair: [
    { from: "east", to: "west", ...figures(1031, 1031, 71.111, { NOERROR: 1031 }) },
    { from: "east", to: "-", ...figures(325, 0, null, { SERVFAIL: 325 }) },
  ],
};

const faults: FaultRecord[] = [
  { name: "cut", action: "partition", target: "clusters=east <-> clusters=west", at: 40 * SECOND, until: 60 * SECOND, instant: false },
  { name: "shrink", action: "scale", target: "", at: 50 * SECOND, instant: true, error: "cluster west has no Deployment shop/api to scale" },
  { name: "chaos", action: "dnsChaos", target: "east: error for every name", at: 70 * SECOND, instant: false },
];

function report(overrides: Partial<ScenarioReport> = {}): ScenarioReport {
  return {
    scenario: "tiny",
    description: "one stream through a partition",
    seed: 7,
    version: "0.1.0",
    digest: "ab".repeat(32),
    simulated: 80,
    events: 20036,
    partial: false,
    warmup: 10 * SECOND,
    duration: 80 * SECOND,
    streams: [remote],
    faults,
    expectations: [
      { description: "success ratio of remote >= 0.99 before cut", pass: true, measured: 0.9951, detail: "612/615 = 0.9951" },
      { description: "p99 latency of remote < 100ms", pass: false, measured: 2073.93, detail: "2073.93ms over 1031 successful of 1356 actions" },
    ],
    network: { sent: 10424, delivered: 9445, duplicated: 0, held: 0, dropped: new Map([["partition", 919], ["no-endpoints", 57]]) },
    trace: { level: "summary", events: 7897 },
    ...overrides,
  };
}


describe("formatLatency", () => {
  it("writes three significant digits in the unit that suits the value", () => {
    expect([0.0004, 0.661, 0.9994, 0.9996, 2.38, 71.111, 999.4, 999.7, 2073.93, 2_000_000].map(formatLatency)).toEqual([
      "0us",
      "661us",
      "999us",
      "1.00ms",
      "2.38ms",
      "71.1ms",
      "999ms",
      "1.00s",
      "2.07s",
      "2000s",
    ]);
    expect(formatLatency(null)).toBe("-");
  });
});

describe("faultEffect", () => {
  it("says what a fault did to its target, or why it could not act", () => {
    expect(faults.map(faultEffect)).toEqual([
      "no message gets through: clusters=east <-> clusters=west",
      "could not act: cluster west has no Deployment shop/api to scale",
      "CoreDNS answers wrongly: east: error for every name",
    ]);
  });
});

describe("formatTable", () => {
  it("right-aligns columns of numbers with units and durations, and left-aligns text", () => {
    const t = formatTable(
      ["NAME", "P50", "SHARE", "AT", "WHAT"],
      [
        ["a", "661us", "100.00%", "1m20s", "x"],
        ["bbbb", "2.07s", "5.5%", "40s", "-"],
      ],
    );
    expect(t.split("\n")).toEqual(["NAME    P50    SHARE     AT  WHAT", "a     661us  100.00%  1m20s  x", "bbbb  2.07s     5.5%    40s  -"]);
  });
});

describe("formatReport", () => {
  const text = formatReport(report(), { wall: 1.25 });

  it("starts with the scenario, the seed, the simulated and wall time and the warmup", () => {
    const [title, line] = text.split("\n");
    expect(title).toBe("mcsim run tiny — one stream through a partition");
    expect(line).toBe("seed 7 · 80s simulated in 1.25s (64x real time) · 20,036 events · the first 10s (warmup) left out of the figures");
    expect(text).not.toContain("PARTIAL");
  });

  it("has a traffic table with what each stream does and how its lookups ended", () => {
    expect(section(text, "Traffic")).toEqual([
      "STREAM  FROM  ACTION                                OUTCOMES                     SKIPPED  IN FLIGHT",
      "remote  east  resolve web.shop.svc.west.local. (A)  NOERROR 1,031, SERVFAIL 325        2          3",
    ]);
  });

  it("has a results table with counts, right-aligned percentages and latencies with their units", () => {
    expect(section(text, "Results")).toEqual([
      "STREAM  LOOKUPS     OK  FAILED  SUCCESS     P50    P90    P99  P99.9    MAX  QUERIES/LOOKUP",
      "remote    1,356  1,031     325   76.03%  71.1ms  142ms  213ms  284ms  356ms            1.25",
    ]);
  });

  it("shows each fault phase and cluster pair, with none for lookups that got no address", () => {
    const phases = section(text, "By fault phase");
    expect(phases[0]).toMatch(/^STREAM\s+FAULT\s+PHASE\s+LOOKUPS\s+OK\s+FAILED\s+SUCCESS\s+P50\s+P90\s+P99\s+P99\.9\s+MAX\s+OUTCOMES$/);
    expect(phases[2]).toMatch(/^remote\s+cut\s+during\s+360\s+38\s+322\s+10\.56%\s+2\.07s\s+4\.14s\s+6\.21s\s+8\.28s\s+10\.4s\s+SERVFAIL 322, NOERROR 38$/);
    const pairs = section(text, "By cluster pair");
    expect(pairs[1]).toMatch(/^remote\s+east\s+west\s+1,031\s+1,031\s+0\s+100\.00%\s+71\.1ms/);
    expect(pairs[2]).toMatch(/^remote\s+east\s+none\s+325\s+0\s+325\s+0\.00%\s+-\s+-\s+-\s+-\s+-$/);
  });

  it("says what each fault did and when it was undone", () => {
    expect(section(text, "Faults")).toEqual([
      "NAME    ACTION        AT  UNTIL  WHAT IT DID",
      "cut     partition    40s  1m     no message gets through: clusters=east <-> clusters=west",
      "shrink  scale        50s  -      could not act: cluster west has no Deployment shop/api to scale",
      "chaos   dnsChaos   1m10s  end    CoreDNS answers wrongly: east: error for every name",
    ]);
  });

  it("sums the network's drops and names the trace digest", () => {
    expect(text).toContain("Network: 10,424 messages sent, 9,445 delivered, 976 dropped (partition 919, no-endpoints 57)\n");
    expect(text).toContain(`Trace: 7,897 events at level summary, sha256 ${"ab".repeat(32)}`);
  });

  it("lists the expectations and ends with a one-line verdict", () => {
    expect(section(text, "Expectations")).toEqual([
      "RESULT  EXPECTATION                                 MEASURED",
      "pass    success ratio of remote >= 0.99 before cut  612/615 = 0.9951",
      "FAIL    p99 latency of remote < 100ms               2073.93ms over 1031 successful of 1356 actions",
    ]);
    expect(text.split("\n").at(-1)).toBe("FAIL: 1 of 2 expectations not met.");
  });

  it("passes when every expectation is met, and says so when there are none", () => {
    const met = report({ expectations: [{ description: "d", pass: true, measured: 1, detail: "1" }] });
    expect(formatReport(met, { wall: 1 }).split("\n").at(-1)).toBe("PASS: the expectation was met.");
    const none = formatReport(report({ expectations: [] }), { wall: 1 });
    expect(none).not.toContain("Expectations");
    expect(none.split("\n").at(-1)).toBe("No expectations to check.");
  });

  it("says a partial run is partial at the top, with why, and in the verdict", () => {
    const partial = formatReport(report({ partial: true, simulated: 30, stopReason: "stopped at 30s as asked (--until)" }), { wall: 0.5 });
    expect(partial.split("\n")[2]).toBe("PARTIAL RUN: stopped at 30s as asked (--until)");
    expect(partial.split("\n").at(-1)).toBe("FAIL: 1 of 2 expectations not met (a partial run: 30s of 80s simulated).");
  });

  it("gives each MCS member's imports and first answers, - where no stream asked and none where none was answered, and each failure's endpoints leaving the others", () => {
    const mcs: McsReport = {
      profile: "kep",
      clusters: [
        {
          cluster: "east",
          clusterId: "east",
          imports: [{ service: "shop/web", importedAtS: 1.0001, afterExportS: 1.0001 }],
          firstAnswers: [{ service: "shop/web", firstLookupAtS: 0.4, answeredAtS: 1.63, afterExportS: 1.63, afterImportS: 0.6299 }],
        },
        { cluster: "west", clusterId: "west-1", imports: [], firstAnswers: [{ service: "shop/web", firstLookupAtS: 2, answeredAtS: null, afterExportS: null, afterImportS: null }] },
        { cluster: "north", clusterId: "north", imports: [], firstAnswers: [{ service: "shop/web", firstLookupAtS: null, answeredAtS: null, afterExportS: null, afterImportS: null }] },
      ],
      withdrawals: [],
      failures: [
        {
          fault: "cut",
          cluster: "west",
          atS: 40,
          untilS: null,
          slicesGone: [
            { cluster: "east", atS: 50.0002, afterFailureS: 10.0002 },
            { cluster: "north", atS: null, afterFailureS: null },
          ],
          answersGone: [{ cluster: "east", service: "shop/db", atS: 52.059, afterFailureS: 12.059, lastHeldAtS: 54.5 }],
        },
        { fault: "gone", cluster: "north", atS: 60, untilS: 70, slicesGone: [], answersGone: [] },
      ],
    };
    const text = formatReport(report({ mcs }), { wall: 1 });
    expect(section(text, "Multi-Cluster Services (profile kep;")).toEqual([
      "CLUSTER  CLUSTER ID  SERVICE   IMPORTED AT  IMPORT DELAY  FIRST ANSWER AT  ANSWER DELAY",
      "east     east        shop/web       1.000s        1.000s  1.630s           1.630s",
      "west     west-1      shop/web            -             -  none             none",
      "north    north       shop/web            -             -  -                -",
    ]);
    expect(text).not.toContain("Endpoints withdrawn");
    expect(section(text, "Endpoints leaving the others")).toEqual([
      "FAULT  FAILED       AT  UNTIL    IN     WHAT                                      GONE AT    AFTER  LAST HELD",
      "cut    west    40.000s  end      east   EndpointSlices                            50.000s  10.000s          -",
      "cut    west    40.000s  end      north  EndpointSlices                            never          -          -",
      "cut    west    40.000s  end      east   answers for shop/db                       52.059s  12.059s    54.500s",
      "gone   north   60.000s  70.000s  -      none of its endpoints imported elsewhere  -              -          -",
    ]);
  });

  it("leaves out the phase, pair and fault tables when there is nothing to show", () => {
    const bare = formatReport(report({ faults: [], streams: [{ ...remote, byPhase: [], byPair: [] }] }), { wall: 0 });
    expect(bare).not.toMatch(/By fault phase|By cluster pair|Faults/);
    expect(bare.split("\n")[1]).toMatch(/^seed 7 · 80s simulated in 0\.00s · /);
  });
});

describe("reportJson", () => {
  it("keeps the field names tools read, with times in seconds and drops as an object", () => {
    const json = JSON.parse(JSON.stringify(reportJson(report(), { wall: 2 }))) as Record<string, unknown>;
    expect(Object.keys(json)).toEqual(
      expect.arrayContaining(["scenario", "seed", "version", "digest", "simulated", "wall", "events", "partial", "streams", "expectations", "faults", "network", "trace"]),
    );
    expect(json).toMatchObject({ scenario: "tiny", seed: 7, version: "0.1.0", simulated: 80, wall: 2, simulatedPerWall: 40, events: 20036, partial: false, warmup: 10, duration: 80 });
    const [stream] = json.streams as Record<string, unknown>[];
    expect(stream).toMatchObject({ name: "remote", count: 1356, ok: 1031, failed: 325, latencyMs: { p50: 71.111, p90: 2 * 71.111, p99: 3 * 71.111, p999: 4 * 71.111, max: 5 * 71.111 } });
    expect((stream!.byPhase as unknown[]).length).toBe(2);
    expect((stream!.byPair as unknown[]).length).toBe(2);
    expect(json.expectations).toEqual([
      { description: "success ratio of remote >= 0.99 before cut", pass: true, measured: 0.9951, detail: "612/615 = 0.9951" },
      { description: "p99 latency of remote < 100ms", pass: false, measured: 2073.93, detail: "2073.93ms over 1031 successful of 1356 actions" },
    ]);
    expect(json.faults).toEqual([
      { name: "cut", action: "partition", target: "clusters=east <-> clusters=west", at: 40, until: 60, instant: false },
      { name: "shrink", action: "scale", target: "", at: 50, instant: true, error: "cluster west has no Deployment shop/api to scale" },
      { name: "chaos", action: "dnsChaos", target: "east: error for every name", at: 70, instant: false },
    ]);
    expect(json.network).toEqual({ sent: 10424, delivered: 9445, duplicated: 0, held: 0, dropped: { partition: 919, "no-endpoints": 57 } });
    expect(json).not.toHaveProperty("stopReason");
  });

  it("says why a partial run stopped", () => {
    const json = reportJson(report({ partial: true, stopReason: "budget" }), { wall: 0 }) as Record<string, unknown>;
    expect(json).toMatchObject({ partial: true, stopReason: "budget", simulatedPerWall: null });
  });
});
