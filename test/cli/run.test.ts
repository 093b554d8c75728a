import { spawnSync } from "node:child_process";
import { createHash } from "node:crypto";
import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { ProgressBar, type ProgressStream } from "../../src/cli/progress.js";
import { VERSION } from "../../src/index.js";
import { MCSIM, mcsim } from "./run-mcsim.js";
import { section } from "../report-section.js";

const dir = mkdtempSync(join(tmpdir(), "mcsim-run-"));
cpSync("scenarios", dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const QUICKSTART = "scenarios/quickstart.yaml";
/** A line of a stack trace, which bad input and clean stops must never print. */
const STACK = /^\s+at .+[:(]/m;

interface Latency {
  p50: number | null;
  p90: number | null;
  p99: number | null;
  p999: number | null;
  max: number | null;
}
interface Figures {
  count: number;
  ok: number;
  failed: number;
  latencyMs: Latency;
}
interface JsonReport {
  scenario: string;
  seed: number;
  version: string;
  digest: string;
  simulated: number;
  wall: number;
  events: number;
  partial: boolean;
  stopReason?: string;
  streams: (Figures & { name: string; byPhase: (Figures & { fault: string; phase: string })[]; byPair: (Figures & { from: string; to: string })[] })[];
  expectations: { description: string; pass: boolean; measured: number | null }[];
  faults: { name: string; action: string; target: string; at: number; until?: number; instant: boolean }[];
  mcs: {
    profile: string;
    clusters: { cluster: string; imports: { service: string; afterExportS: number }[]; firstAnswers: { service: string; answeredAtS: number | null; afterImportS: number | null }[] }[];
    failures: { fault: string; cluster: string; atS: number; untilS: number | null; slicesGone: { cluster: string; afterFailureS: number | null }[]; answersGone: { cluster: string; service: string; atS: number | null }[] }[];
  };
}

function json(args: readonly string[]): { report: JsonReport; status: number | null; stderr: string } {
  const r = mcsim(["run", ...args, "--report", "json"]);
  expect(r.stdout.trim().split("\n")).toHaveLength(1);
  return { report: JSON.parse(r.stdout) as JsonReport, status: r.status, stderr: r.stderr };
}


describe("mcsim run", () => {
  it("runs the quickstart and prints its report as tables, with every expectation met, and nothing on stderr", () => {
    const r = mcsim(["run", QUICKSTART]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toBe("mcsim run quickstart — a local lookup and two cross-cluster ones (stub domain, clusterset.local) through a 20s partition");
    expect(lines[1]).toMatch(/^seed 1 · 80s simulated in \d+\.\d\ds \([\d,]+x real time\) · [\d,]+ events · the first 10s \(warmup\) left out of the figures$/);
    expect(section(r.stdout, "Traffic")[1]).toMatch(/^local\s+east\s+resolve web\.shop\.svc\.cluster\.local\. \(A\)\s+NOERROR [\d,]+\s+\d+\s+\d+$/);
    const results = section(r.stdout, "Results");
    expect(results[0]).toMatch(/^STREAM\s+LOOKUPS\s+OK\s+FAILED\s+SUCCESS\s+P50\s+P90\s+P99\s+P99\.9\s+MAX\s+QUERIES\/LOOKUP$/);
    expect(results[1]).toMatch(/^local\s+[\d,]+\s+[\d,]+\s+0\s+100\.00%(\s+[\d.]+(us|ms)){5}\s+1\.00$/);
    expect(results[2]).toMatch(/^remote\s+[\d,]+\s+[\d,]+\s+[\d,]+\s+\d+\.\d\d%/);
    const phases = section(r.stdout, "By fault phase");
    expect(phases.map((l) => l.split(/\s+/).slice(0, 3).join(" "))).toEqual([
      "STREAM FAULT PHASE",
      ...["local", "remote", "mcs"].flatMap((s) => ["before", "during", "after"].map((p) => `${s} partition ${p}`)),
    ]);
    expect(section(r.stdout, "By cluster pair")).toContainEqual(expect.stringMatching(/^remote\s+east\s+west\s/));
    expect(section(r.stdout, "Faults")[1]).toMatch(/^partition\s+partition\s+40s\s+1m\s+no message gets through: clusters=east <-> clusters=west$/);
    expect(r.stdout).toMatch(/^Network: [\d,]+ messages sent, [\d,]+ delivered, [\d,]+ dropped \(.*partition [\d,]+.*\)$/m);
    expect(r.stdout).toMatch(/^Trace: [\d,]+ events at level summary, sha256 [0-9a-f]{64}/m);
    const expectations = section(r.stdout, "Expectations");
    expect(expectations[0]).toMatch(/^RESULT\s+EXPECTATION\s+MEASURED$/);
    expect(expectations.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 2))).toEqual([
      ["pass", "success ratio of local >= 1"],
      ["pass", "p99 latency of local < 5ms"],
      ["pass", "success ratio of remote >= 0.99 before partition"],
      ["pass", "success ratio of remote <= 0.2 during partition"],
      ["pass", "success ratio of remote >= 0.95 after partition"],
      ["pass", "success ratio of mcs >= 1"],
    ]);
    expect(lines.at(-1)).toBe("PASS: all 6 expectations were met.");
  });

  it("prints the report as one JSON object with every field tools read, and sane values", () => {
    const { report, status, stderr } = json([QUICKSTART]);
    expect(status).toBe(0);
    expect(stderr).toBe("");
    expect(report).toMatchObject({ scenario: "quickstart", seed: 1, version: VERSION, simulated: 80, partial: false });
    expect(report.digest).toMatch(/^[0-9a-f]{64}$/);
    expect(report.wall).toBeGreaterThan(0);
    expect(report.wall).toBeLessThan(60);
    expect(report.events).toBeGreaterThan(10_000);
    expect(report.streams.map((s) => s.name)).toEqual(["local", "remote", "mcs"]);
    // west's export reaches east within a few sync periods (mcs.md §3.1: conformance allows 20 s).
    expect(report.mcs.profile).toBe("kep");
    expect(report.mcs.clusters.map((c) => c.cluster)).toEqual(["east", "west"]);
    for (const c of report.mcs.clusters) {
      expect(c.imports.map((i) => i.service)).toEqual(["shop/web"]);
      expect(c.imports[0]!.afterExportS).toBeGreaterThan(0);
      expect(c.imports[0]!.afterExportS).toBeLessThan(5);
    }
    for (const s of report.streams) {
      const all = [s, ...s.byPhase, ...s.byPair];
      for (const f of all) {
        expect(f.ok + f.failed).toBe(f.count);
        const l = f.latencyMs;
        if (f.ok === 0) expect(l).toMatchObject({ p50: null, max: null });
        else expect(l.p50! <= l.p90! && l.p90! <= l.p99! && l.p99! <= l.p999! && l.p999! <= l.max!, JSON.stringify(l)).toBe(true);
      }
      // Twenty lookups a second for the 70s after warmup.
      expect(s.count).toBeGreaterThan(1300);
      expect(s.byPhase.map((p) => `${p.fault} ${p.phase}`)).toEqual(["partition before", "partition during", "partition after"]);
      expect(s.byPhase.reduce((n, p) => n + p.count, 0)).toBe(s.count);
      expect(s.byPair.reduce((n, p) => n + p.count, 0)).toBe(s.count);
    }
    const [local, remote] = report.streams;
    expect(local!.latencyMs.p99).toBeLessThan(5);
    // Cross-region: a round trip of about 70ms; during the partition, forward gives up after 2s.
    expect(remote!.byPhase[0]!.latencyMs.p50).toBeGreaterThan(60);
    expect(remote!.byPhase[1]!.failed).toBeGreaterThan(remote!.byPhase[1]!.ok);
    expect(report.expectations).toHaveLength(6);
    for (const e of report.expectations) {
      expect(e.pass).toBe(true);
      expect(typeof e.measured).toBe("number");
      expect(e.description).not.toBe("");
    }
  });

  it("gives the same digest and byte-identical traces for the same seed in two processes, and another digest for another seed", () => {
    const files = ["a", "b"].map((n) => join(dir, `seed-${n}.ndjson`));
    const a = json([QUICKSTART, "--seed", "5", "--trace", files[0]!]);
    const b = json([QUICKSTART, "--seed", "5", "--trace", files[1]!]);
    const other = json([QUICKSTART]);
    expect(a.report.seed).toBe(5);
    expect(a.report.digest).toBe(b.report.digest);
    expect(other.report.digest).not.toBe(a.report.digest);
    const [x, y] = files.map((f) => readFileSync(f));
    expect(x!.equals(y!)).toBe(true);
    // The digest is of the trace's bytes (here at level full, as --trace records by default).
    expect(createHash("sha256").update(x!).digest("hex")).toBe(a.report.digest);
    const header = JSON.parse(x!.toString("utf8").split("\n")[0]!) as Record<string, unknown>;
    expect(header).toMatchObject({ type: "header", format: "mcsim-trace/1", scenario: "quickstart", seed: 5, version: VERSION, level: "full" });
  });

  it("stops at --until with a partial report that says so, on stderr and in the report", () => {
    const r = mcsim(["run", QUICKSTART, "--until", "30s"]);
    expect(r.stderr).toBe("mcsim: partial run: stopped at 30s as asked (--until), before the end of the run at 80s\n");
    expect(r.stdout.split("\n")[2]).toBe("PARTIAL RUN: stopped at 30s as asked (--until), before the end of the run at 80s");
    // The partition at 40s was never reached: what it expects had nothing to measure.
    expect(r.stdout).toMatch(/^FAIL\s+success ratio of remote <= 0\.2 during partition\s+no action in the window$/m);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("FAIL: 2 of 6 expectations not met (a partial run: 30s of 80s simulated).");
    expect(r.status).toBe(1);
    const { report } = json([QUICKSTART, "--until", "30s"]);
    expect(report).toMatchObject({ partial: true, simulated: 30 });
    expect(report.stopReason).toContain("--until");
  });

  it("stops a runaway run at --max-events with a partial report that names the budget", () => {
    const { report, stderr, status } = json([QUICKSTART, "--max-events", "1000"]);
    expect(report.partial).toBe(true);
    expect(report.events).toBe(1000);
    expect(report.simulated).toBeLessThan(80);
    expect(report.stopReason).toMatch(/event budget of 1000 events ran out/);
    expect(stderr).toMatch(/^mcsim: partial run: .*event budget of 1000 events ran out.*\n$/);
    expect(status).toBe(1);
  });

  it("stops at --max-wall cleanly, with a partial report and one line on stderr", () => {
    const trace = join(dir, "max-wall.ndjson");
    const r = mcsim(["run", QUICKSTART, "--max-wall", "1ms", "--trace", trace]);
    expect(r.stderr).toBe(`mcsim: partial run: stopped by --max-wall 1ms at 1s simulated; ${trace} ends there too, so mcsim replay of it will differ at its end\n`);
    expect(r.stdout).toContain("PARTIAL RUN: stopped by --max-wall 1ms at 1s simulated");
    expect(r.stdout).toMatch(/Expectations/);
    // Within the 10s warmup nothing was measured, so no expectation could be met.
    expect(r.status).toBe(1);
    // The trace was flushed and closed: whole lines only.
    expect(readFileSync(trace, "utf8")).toMatch(/\}\n$/);
  });

  it("exits 1 with FAIL in the table when an expectation is not met", () => {
    const file = join(dir, "tight.yaml");
    writeFileSync(file, readFileSync(QUICKSTART, "utf8").replace("below: 5ms", "below: 100us"));
    const r = mcsim(["run", file]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(section(r.stdout, "Expectations")[2]).toMatch(/^FAIL\s+p99 latency of local < 100us\s+[\d.]+ms over \d+ successful of \d+ actions$/);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("FAIL: 1 of 6 expectations not met.");
    const { report, status } = json([file]);
    expect(status).toBe(1);
    expect(report.expectations.map((e) => e.pass)).toEqual([true, false, true, true, true, true]);
    expect(report.expectations[1]!.measured).toBeGreaterThan(0.1);
  });

  it("runs a scenario in which an MCS member leaves and joins again, and reports when its endpoints left the others", () => {
    const mcs = readFileSync(join(dir, "mcs.yaml"), "utf8");
    const file = join(dir, "mcs-leave.yaml");
    writeFileSync(
      file,
      `${mcs.slice(0, mcs.indexOf("  faults:\n"))}  faults:
    - name: c-leaves
      at: 40s
      for: 40s
      leave:
        cluster: cluster-c
  expect:
    - stream: my-db
      window: {from: 55s, to: 80s}
      rcode: {code: NXDOMAIN, atLeast: 450}
    - stream: my-db
      window: {from: 90s, to: 130s}
      successRatio: {atLeast: 0.99}
`,
    );
    const r = mcsim(["run", file]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(section(r.stdout, "Faults")[1]).toMatch(/^c-leaves\s+leave\s+40s\s+1m20s\s+left the MCS clusterset: cluster-c$/);
    const gone = section(r.stdout, "Endpoints leaving the others");
    expect(gone[0]!.split(/\s{2,}/)).toEqual(["FAULT", "FAILED", "AT", "UNTIL", "IN", "WHAT", "GONE AT", "AFTER", "LAST HELD"]);
    expect(gone.slice(1).map((l) => l.split(/\s{2,}/).slice(0, 6))).toEqual([
      ["c-leaves", "cluster-c", "40.000s", "80.000s", "cluster-a", "EndpointSlices"],
      ["c-leaves", "cluster-c", "40.000s", "80.000s", "cluster-b", "EndpointSlices"],
      ["c-leaves", "cluster-c", "40.000s", "80.000s", "cluster-a", "answers for production/my-db"],
    ]);
    expect(r.stdout.trimEnd().split("\n").at(-1)).toBe("PASS: all 2 expectations were met.");

    const { report, status, stderr } = json([file]);
    expect(stderr).toBe("");
    expect(status).toBe(0);
    expect(report.faults).toEqual([{ name: "c-leaves", action: "leave", target: "cluster-c", at: 40, until: 80, instant: false }]);
    const [failure, ...more] = report.mcs.failures;
    expect(more).toEqual([]);
    expect(failure).toMatchObject({ fault: "c-leaves", cluster: "cluster-c", atS: 40, untilS: 80 });
    // The kep profile's 10s lease, checked every 1s sync period.
    for (const g of failure!.slicesGone) expect(g.afterFailureS).toBeGreaterThanOrEqual(9);
    for (const g of failure!.slicesGone) expect(g.afterFailureS).toBeLessThan(12);
    expect(failure!.answersGone.map((g) => g.service)).toEqual(["production/my-db"]);
    expect(report.mcs.clusters[0]!.firstAnswers.map((f) => f.service)).toEqual(["production/my-api", "production/my-db"]);
    for (const f of report.mcs.clusters[0]!.firstAnswers) expect(f.afterImportS).toBeGreaterThan(0);
    for (const f of report.mcs.clusters[1]!.firstAnswers) expect(f.answeredAtS).toBeNull();
  });

  it("refuses a leave of a cluster that is not in the MCS clusterset, with exit 2 and where it is written", () => {
    const mcs = readFileSync(join(dir, "mcs.yaml"), "utf8");
    const file = join(dir, "mcs-outsider.yaml");
    const text = mcs.replace("      profile: kep\n", "      profile: kep\n      clusters: [cluster-a, cluster-b]\n").replace("  faults:\n", "  faults:\n    - {at: 60s, leave: {cluster: cluster-c}}\n");
    writeFileSync(file, text);
    const lines = text.split("\n");
    const line = lines.findIndex((l) => l.includes("leave: {cluster: cluster-c}"));
    const r = mcsim(["run", file]);
    expect(r.stdout).toBe("");
    expect(r.stderr).toBe(
      `mcsim: ${file}:${line + 1}:${lines[line]!.indexOf("cluster-c") + 1}: spec.faults[0].leave.cluster: cluster cluster-c is not a member of the MCS clusterset; the members (spec.patterns.mcs.clusters) are cluster-a, cluster-b\n`,
    );
    expect(r.status).toBe(2);
  });

  it("prints an internal error as a bug to report, with exit 3", () => {
    // No hook in mcsim for this: a preloaded module breaks the clock the progress bar reads.
    const r = spawnSync(process.execPath, ["--import", 'data:text/javascript,performance.now=()=>{throw new TypeError("the clock broke")}', MCSIM, "run", QUICKSTART], {
      encoding: "utf8",
    });
    expect(r.status).toBe(3);
    expect(r.stdout).toBe("");
    expect(r.stderr).toMatch(/^mcsim: internal error: TypeError: the clock broke\n/);
    expect(r.stderr).toContain(`This is a bug in mcsim ${VERSION} (Node.js ${process.version}). Please report it with the command line you ran, the scenario and the output above.`);
  });

  it("prints no stack trace when the reader of its output goes away early", () => {
    const r = spawnSync("sh", ["-c", `"${process.execPath}" "${MCSIM}" schema | head -c 10`], { encoding: "utf8" });
    expect(r.stdout).toBe("{\n  \"$sche");
    expect(r.stderr).not.toMatch(STACK);
    expect(r.stderr).not.toContain("EPIPE");
  });
});

/** A stand-in for stderr that records what the bar writes. */
function fakeStream(isTTY: boolean, columns?: number): ProgressStream & { written: string[] } {
  const written: string[] = [];
  return { isTTY, ...(columns ? { columns } : {}), written, write: (text: string) => written.push(text) };
}

describe("ProgressBar", () => {
  const progress = { now: 20_000_000, end: 80_000_000, events: 12_345 };
  const bar = (stream: ProgressStream, env: Record<string, string> = {}) => {
    let now = 0;
    const b = new ProgressBar({ stream, env, clock: () => now });
    return { bar: b, at: (ms: number) => (now = ms) };
  };

  it("draws on a terminal once the run has taken a second, redraws at most every 100ms, and clears itself at the end", () => {
    const stream = fakeStream(true);
    const { bar: b, at } = bar(stream);
    at(999);
    b.update(progress);
    expect(stream.written).toEqual([]);
    at(1000);
    b.update(progress);
    expect(stream.written).toEqual(["\r[########......................] 20s/80s simulated · 12,345 events · 20.0x real time\x1b[K"]);
    at(1050);
    b.update(progress);
    expect(stream.written).toHaveLength(1);
    at(1100);
    b.update({ ...progress, now: 80_000_000 });
    expect(stream.written[1]).toMatch(/^\r\[#{30}\] 80s\/80s simulated/);
    expect(b.elapsed()).toBe(1100);
    b.done();
    expect(stream.written.at(-1)).toBe("\r\x1b[K");
    b.done();
    expect(stream.written).toHaveLength(3);
  });

  it("writes nothing for a run shorter than a second, not even when it clears", () => {
    const stream = fakeStream(true);
    const { bar: b, at } = bar(stream);
    at(500);
    b.update(progress);
    b.done();
    expect(stream.written).toEqual([]);
  });

  it("writes nothing when stderr is not a terminal, in CI, or on a terminal that cannot redraw a line", () => {
    for (const [stream, env] of [
      [fakeStream(false), {}],
      [fakeStream(true), { CI: "true" }],
      [fakeStream(true), { CI: "1" }],
      [fakeStream(true), { TERM: "dumb" }],
    ] as const) {
      const { bar: b, at } = bar(stream, env);
      at(5000);
      b.update(progress);
      b.done();
      expect(stream.written, JSON.stringify(env)).toEqual([]);
    }
  });

  it("draws when CI says it is not CI", () => {
    const stream = fakeStream(true);
    const { bar: b, at } = bar(stream, { CI: "false" });
    at(2000);
    b.update(progress);
    expect(stream.written).toHaveLength(1);
  });

  it("fills where --until stops the run rather than at the scenario's end", () => {
    const stream = fakeStream(true);
    let now = 0;
    const b = new ProgressBar({ stream, env: {}, clock: () => now, until: 20_000_000 });
    now = 2000;
    b.update(progress);
    expect(stream.written[0]).toMatch(/^\r\[#{30}\] 20s\/20s simulated/);
  });

  it("fits the line to the terminal, which would otherwise wrap and leave lines behind", () => {
    const stream = fakeStream(true, 40);
    const { bar: b, at } = bar(stream);
    at(2000);
    b.update(progress);
    // One column short of the width: a cursor in the last column wraps on some terminals.
    expect(stream.written[0]).toBe("\r[########......................] 20s/80\x1b[K");
  });
});
