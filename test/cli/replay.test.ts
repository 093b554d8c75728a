import { cpSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { VERSION, formatDuration } from "../../src/index.js";
import { mcsim, type McsimRun } from "./run-mcsim.js";

const dir = mkdtempSync(join(tmpdir(), "mcsim-replay-"));
cpSync("scenarios", join(dir, "scenarios"), { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A line of a stack trace, which bad input must never print. */
const STACK = /^\s+at .+[:(]/m;

/** Runs the quickstart (in the temporary copy) with a trace and more flags; returns the trace's path. */
function record(name: string, ...flags: string[]): string {
  const trace = join(dir, `${name}.ndjson`);
  const r = mcsim(["run", "scenarios/quickstart.yaml", "--trace", trace, ...flags], { cwd: dir });
  expect([0, 1]).toContain(r.status);
  return trace;
}

/** Writes `text` as a trace next to the others. */
function write(name: string, text: string): string {
  const file = join(dir, name);
  writeFileSync(file, text);
  return file;
}

function expectBadInput(r: McsimRun, message: string): void {
  expect(r.stdout).toBe("");
  expect(r.stderr).toBe(`mcsim: ${message}\n`);
  expect(r.stderr).not.toMatch(STACK);
  expect(r.status).toBe(2);
}

describe("mcsim replay", () => {
  let full: string;
  let lines: string[];
  beforeAll(() => {
    full = record("full");
    lines = readFileSync(full, "utf8").split("\n");
  });

  it("runs a recorded trace's scenario again, from anywhere, and finds the trace identical", () => {
    // Another directory: the trace's header holds the scenario and every file it read.
    const r = mcsim(["replay", full], { cwd: tmpdir() });
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    const events = (lines.length - 2).toLocaleString("en-US");
    expect(r.stdout).toMatch(new RegExp(`^replay of scenarios/quickstart\\.yaml \\(seed 1\\): identical, ${events} events, sha256 [0-9a-f]{64}\\n$`));
  });

  it("prints the first event that differs, its index and simulated time and both lines, with exit 1", () => {
    const i = 500;
    const original = lines[i]!;
    const t = Number(/^\{"t":(\d+),/.exec(original)![1]);
    const tampered = original.replace(/"type":"[^"]+"/, '"type":"tampered"');
    expect(tampered).not.toBe(original);
    const file = write("tampered.ndjson", [...lines.slice(0, i), tampered, ...lines.slice(i + 1)].join("\n"));
    const r = mcsim(["replay", file]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(1);
    expect(r.stdout.split("\n")).toEqual([
      `replay of scenarios/quickstart.yaml (seed 1): DIFFERS at event ${i} (line ${i + 1} of ${file}), simulated time ${formatDuration(t)}`,
      `recorded: ${tampered}`,
      `replayed: ${original}`,
      "",
    ]);
  });

  it("says where a recorded trace ends early, or goes on longer", () => {
    const short = write("short.ndjson", `${lines.slice(0, 100).join("\n")}\n`);
    const r = mcsim(["replay", short]);
    expect(r.status).toBe(1);
    // The header and 99 events: the replay goes on with event 100.
    expect(r.stdout).toContain("DIFFERS at event 100 (line 101 of");
    expect(r.stdout).toContain("recorded: (the recorded trace ends here: was its run stopped by --max-wall, or the file cut short?)");
    expect(r.stdout).toContain(`replayed: ${lines[100]}`);
    const extra = '{"t":99999999,"type":"extra"}';
    const long = write("long.ndjson", `${lines.join("\n")}${extra}\n`);
    const l = mcsim(["replay", long]);
    expect(l.status).toBe(1);
    expect(l.stdout).toContain(`recorded: ${extra}\nreplayed: (the replayed trace ends here)\n`);
  });

  it("compares the events of a trace whose header differs (another version) and says which differs", () => {
    const other = write("other-version.ndjson", [lines[0]!.replace(`"version":"${VERSION}"`, '"version":"0.0.1"'), ...lines.slice(1)].join("\n"));
    const r = mcsim(["replay", other]);
    expect(r.stderr).toBe(`mcsim: the trace was written by mcsim 0.0.1; this is ${VERSION}, so events may differ\n`);
    expect(r.status).toBe(1);
    const [first, recorded, replayed] = r.stdout.split("\n");
    expect(first).toBe("replay of scenarios/quickstart.yaml (seed 1): DIFFERS in the header (line 1); every event is identical");
    // The scenario's files, the same in both, are left out of the lines shown.
    expect(recorded).toBe(`recorded: {"type":"header","format":"mcsim-trace/1","scenario":"quickstart","seed":1,"version":"0.0.1","level":"full","source":"(the same)"}`);
    expect(replayed).toBe(`replayed: {"type":"header","format":"mcsim-trace/1","scenario":"quickstart","seed":1,"version":"${VERSION}","level":"full","source":"(the same)"}`);
  });

  it("replays partial runs identically: --until, --max-events and another seed are in the header", () => {
    for (const flags of [["--until", "30s"], ["--max-events", "2000"], ["--seed", "9", "--until", "15s", "--trace-level", "summary"]]) {
      const trace = record(flags.join(""), ...flags);
      const r = mcsim(["replay", trace]);
      expect(r.stdout, flags.join(" ")).toMatch(/: identical, /);
      expect(r.status).toBe(0);
    }
  });

  it("rejects a trace without its scenario (the demo's), a file that is not a trace, and a missing one, with exit 2", () => {
    const demo = join(dir, "demo.ndjson");
    expect(mcsim(["demo", "--duration", "2s", "--trace", demo]).status).toBe(0);
    expectBadInput(mcsim(["replay", demo]), `${demo}:1: the trace does not record its scenario (traces of mcsim run do; the demo's do not)`);
    expectBadInput(mcsim(["replay", "scenarios/quickstart.yaml"]), "scenarios/quickstart.yaml:1: not an mcsim trace: the first line is not JSON");
    expectBadInput(mcsim(["replay", write("json.ndjson", '{"t":1,"type":"x"}\n')]), `${join(dir, "json.ndjson")}:1: not an mcsim trace: expected a header line with format mcsim-trace/1`);
    expectBadInput(mcsim(["replay", write("null.ndjson", "null\n")]), `${join(dir, "null.ndjson")}:1: not an mcsim trace: expected a header line with format mcsim-trace/1`);
    expectBadInput(mcsim(["replay", write("empty.ndjson", "")]), `${join(dir, "empty.ndjson")}: the file is empty; expected a trace written by mcsim run --trace`);
    expectBadInput(mcsim(["replay", join(dir, "nope.ndjson")]), `cannot read ${join(dir, "nope.ndjson")}: no such file`);
    expectBadInput(mcsim(["replay", dir]), `cannot read ${dir}: it is a directory`);
  });

  it("rejects a trace whose recorded scenario is not valid, saying it is the trace's", () => {
    const header = JSON.parse(lines[0]!) as { source: { files: Record<string, string> } };
    const files = header.source.files;
    files["scenarios/quickstart.yaml"] = files["scenarios/quickstart.yaml"]!.replace("nodesPerZone", "nodesPerZon");
    const file = write("bad-source.ndjson", [JSON.stringify(header), ...lines.slice(1)].join("\n"));
    const r = mcsim(["replay", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/^mcsim: .*bad-source\.ndjson:1: the scenario recorded in the trace header is not valid: scenarios\/quickstart\.yaml:\d+:\d+: .*unknown field "nodesPerZon"/);
  });
});
