import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { VERSION } from "../../src/index.js";
import { mcsim } from "./run-mcsim.js";

const dir = mkdtempSync(join(tmpdir(), "mcsim-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

interface Row {
  phase: string;
  target: string;
  sent: number;
  answered: number;
  timedOut: number;
}

describe("mcsim demo", () => {
  it("prints a report in which the partition cuts cross-cluster pings and local ones carry on", () => {
    const r = mcsim(["demo", "--seed", "3", "--duration", "30s", "--json"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { rows: Row[]; network: { dropped: Record<string, number>; sent: number; delivered: number } };
    const row = (phase: string, target: string) => report.rows.find((x) => x.phase === phase && x.target === target)!;
    expect(row("before", "remote").answered).toBeGreaterThan(100);
    expect(row("during", "remote").sent).toBeGreaterThan(100);
    expect(row("during", "remote").answered).toBe(0);
    expect(row("during", "remote").timedOut).toBe(row("during", "remote").sent);
    expect(row("during", "local").answered).toBe(row("during", "local").sent);
    expect(row("after", "remote").answered).toBeGreaterThan(100);
    expect(report.network.dropped.partition).toBeGreaterThan(0);
    expect(report.network.delivered).toBeLessThan(report.network.sent);
  });

  it("prints a table a person can read, with the seed to replay it", () => {
    const r = mcsim(["demo", "--seed", "5", "--duration", "12s"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/^PHASE\s+TARGET\s+SENT\s+ANSWERED\s+TIMED OUT\s+RTT p50 ms/m);
    expect(r.stdout).toMatch(/^during\s+remote\s+\d+\s+0\s+\d+\s+-/m);
    expect(r.stdout).toContain("dropped by reason: partition");
    expect(r.stdout).toContain("replay: mcsim demo --seed 5 --duration 12s");
  });

  it("writes byte-identical traces from two separate processes with the same seed, and a different one for another seed", () => {
    const files = ["a", "b", "c"].map((n) => join(dir, `${n}.ndjson`));
    const runs = [
      mcsim(["demo", "--seed", "11", "--duration", "10s", "--trace", files[0]!]),
      mcsim(["demo", "--seed", "11", "--duration", "10s", "--trace", files[1]!]),
      mcsim(["demo", "--seed", "12", "--duration", "10s", "--trace", files[2]!]),
    ];
    for (const r of runs) expect(r.status).toBe(0);
    const [a, b, c] = files.map((f) => readFileSync(f));
    expect(a!.length).toBeGreaterThan(100_000);
    expect(a!.equals(b!)).toBe(true);
    expect(a!.equals(c!)).toBe(false);
    // The digest printed is sha256 of the file, so two runs can be compared at a glance.
    const digest = createHash("sha256").update(a!).digest("hex");
    expect(runs[0]!.stdout).toContain(`sha256 ${digest}`);
    const header = JSON.parse(a!.toString("utf8").split("\n")[0]!);
    expect(header).toEqual({ type: "header", format: "mcsim-trace/1", scenario: "demo", seed: 11, version: VERSION, level: "full" });
  });

  it("records only summary events at --trace-level summary", () => {
    const file = join(dir, "summary.ndjson");
    const r = mcsim(["demo", "--seed", "2", "--duration", "10s", "--trace", file, "--trace-level", "summary"]);
    expect(r.status).toBe(0);
    const types = readFileSync(file, "utf8").trim().split("\n").map((l) => JSON.parse(l).type as string);
    expect(types).toEqual(["header", "fault", "revert"]);
  });

  it("stops a run at the event budget with a partial result and says why", () => {
    const r = mcsim(["demo", "--duration", "60s", "--max-events", "1000", "--json"]);
    expect(r.status).toBe(0);
    const report = JSON.parse(r.stdout) as { run: { stoppedBy: string; events: number } };
    expect(report.run.stoppedBy).toBe("budget");
    expect(report.run.events).toBe(1000);
    expect(r.stderr).toMatch(/event budget of 1000 events ran out.*partial/);
  });
});

describe("mcsim exit codes and messages", () => {
  it("rejects a bad duration with exit 2, the string and the accepted forms, and no stack trace", () => {
    const r = mcsim(["demo", "--duration", "10 seconds"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain('--duration: invalid duration "10 seconds"');
    expect(r.stderr).toContain("250us, 1.5ms, 2s, 5m, 1h");
    expect(r.stderr).not.toMatch(/\bat .*\.js:\d+/);
  });

  it("rejects a bad seed, an unknown option and an unknown command with exit 2", () => {
    const seed = mcsim(["demo", "--seed", "-4"]);
    expect(seed.status).toBe(2);
    expect(seed.stderr).toContain("--seed");
    const option = mcsim(["demo", "--sede", "4"]);
    expect(option.status).toBe(2);
    expect(option.stderr).toContain("unknown option '--sede'");
    const command = mcsim(["dmeo"]);
    expect(command.status).toBe(2);
    expect(command.stderr).toContain("unknown command 'dmeo'");
  });

  it("says where it cannot write a trace, with exit 2", () => {
    const r = mcsim(["demo", "--trace", join(dir, "no-such-dir", "t.ndjson")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/--trace .*no-such-dir.*: cannot write the trace there \(no such file\)/);
  });

  it("prints help and its version with exit 0", () => {
    const help = mcsim(["--help"]);
    expect(help.status).toBe(0);
    expect(help.stdout).toContain("demo");
    const version = mcsim(["--version"]);
    expect(version.status).toBe(0);
    expect(version.stdout.trim()).toBe(VERSION);
  });
});
