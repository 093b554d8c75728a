import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { mcsim, type McsimRun } from "./run-mcsim.js";

/** A copy of scenarios/, to break in various ways; commands run in it, with relative paths. */
const dir = mkdtempSync(join(tmpdir(), "mcsim-validate-"));
cpSync("scenarios", dir, { recursive: true });
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const QUICKSTART = readFileSync("scenarios/quickstart.yaml", "utf8");
/** A line of a stack trace, which bad input must never print. */
const STACK = /^\s+at .+[:(]/m;

/** Writes a file under the temporary copy. */
function write(path: string, text: string): string {
  mkdirSync(join(dir, path, ".."), { recursive: true });
  writeFileSync(join(dir, path), text);
  return path;
}

/** The quickstart with one string replaced (which must be there). */
function quickstartWith(from: string, to: string): string {
  expect(QUICKSTART).toContain(from);
  return QUICKSTART.replace(from, to);
}

/** `line:column` (1-based) of the first `what` on the line holding `marker` in `text`. */
function place(text: string, marker: string, what: string): string {
  const lines = text.split("\n");
  const i = lines.findIndex((l) => l.includes(marker));
  expect(i, marker).toBeGreaterThanOrEqual(0);
  return `${i + 1}:${lines[i]!.indexOf(what) + 1}`;
}

/** Bad input: exit 2, nothing on stdout, one message on stderr and no stack trace. */
function expectBadInput(r: McsimRun, message: string | RegExp): void {
  expect(r.stdout).toBe("");
  expect(r.stderr).not.toMatch(STACK);
  if (typeof message === "string") expect(r.stderr).toBe(`mcsim: ${message}\n`);
  else expect(r.stderr).toMatch(message);
  expect(r.status).toBe(2);
}

describe("mcsim validate", () => {
  it("says in one line that a scenario is valid, what it holds and which files it read", () => {
    const r = mcsim(["validate", "scenarios/quickstart.yaml"]);
    expect(r.stderr).toBe("");
    expect(r.status).toBe(0);
    expect(r.stdout).toBe(
      "scenarios/quickstart.yaml: valid scenario quickstart: 2 clusters, 3 streams, 1 fault, 6 expectations; read scenarios/manifests/web.yaml\n",
    );
  });

  it("finds what only building the clusters finds, as run would", () => {
    const file = write("ip.yaml", quickstartWith("          type: LoadBalancer\n", "          type: LoadBalancer\n          clusterIP: 10.0.0.5\n"));
    for (const command of ["validate", "run"]) expectBadInput(mcsim([command, file], { cwd: dir }), /^mcsim: .*10\.0\.0\.5.*not in the valid range/);
  });
});

describe("bad input: exit 2 with the file, the place and what was expected, and no stack trace", () => {
  for (const command of ["run", "validate"]) {
    it(`${command}: an unknown field, with the nearest valid name`, () => {
      const text = quickstartWith("nodesPerZone: 2\n      dns:", "nodesPerZon: 2\n      dns:");
      const file = write("unknown-field.yaml", text);
      expectBadInput(
        mcsim([command, file], { cwd: dir }),
        `${file}:${place(text, "nodesPerZon:", "nodesPerZon")}: spec.clusters[0].nodesPerZon: unknown field "nodesPerZon" (did you mean "nodesPerZone"?)`,
      );
    });
  }

  it("a bad manifest in a file the scenario names, at its place in that file", () => {
    const manifest = readFileSync("scenarios/manifests/web.yaml", "utf8").replace("port: 80", "port: eighty");
    write("bad-manifest/manifests/web.yaml", manifest);
    const file = write("bad-manifest/quickstart.yaml", QUICKSTART);
    expectBadInput(
      mcsim(["run", file], { cwd: dir }),
      `bad-manifest/manifests/web.yaml:${place(manifest, "port: eighty", "eighty")}: spec.ports[0].port (document 3): expected a number from 1 to 65535, got "eighty"`,
    );
  });

  it("a manifest file the scenario names that does not exist", () => {
    const text = quickstartWith("file: manifests/web.yaml", "file: manifests/nope.yaml");
    const file = write("missing-manifest.yaml", text);
    expectBadInput(
      mcsim(["validate", file], { cwd: dir }),
      `${file}:${place(text, "manifests/nope.yaml", "manifests/nope.yaml")}: spec.manifests[0].file: cannot read manifests/nope.yaml: no such file; paths are relative to the scenario file`,
    );
  });

  it("a bad Corefile directive, at its place in the scenario", () => {
    const text = quickstartWith("          west.local:53 {\n              errors", "          west.local:53 {\n              errros");
    const file = write("corefile.yaml", text);
    expectBadInput(
      mcsim(["run", file], { cwd: dir }),
      `${file}:${place(text, "errros", "errros")}: Corefile: unknown directive 'errros': expected the name of a CoreDNS plugin (did you mean 'errors'?)`,
    );
  });

  it("YAML that does not parse, and an empty file", () => {
    const broken = write("syntax.yaml", "apiVersion: mcsim/v1alpha1\nkind: Scenario\n  bad: [\n");
    expectBadInput(mcsim(["validate", broken], { cwd: dir }), /^mcsim: syntax\.yaml:\d+:\d+: YAML syntax error: .+\n$/);
    const empty = write("empty.yaml", "");
    expectBadInput(mcsim(["validate", empty], { cwd: dir }), "empty.yaml:1:1: the file is empty; a scenario starts with apiVersion: mcsim/v1alpha1 and kind: Scenario");
  });

  it("a scenario path that does not exist, and a directory", () => {
    expectBadInput(mcsim(["run", "no/such/scenario.yaml"], { cwd: dir }), "cannot read no/such/scenario.yaml: no such file");
    expectBadInput(mcsim(["validate", "manifests"], { cwd: dir }), "cannot read manifests: it is a directory");
  });

  it("flag values it does not take", () => {
    expectBadInput(mcsim(["run", "quickstart.yaml", "--report", "xml"], { cwd: dir }), /argument 'xml' is invalid\. Allowed choices are table, json\./);
    expectBadInput(mcsim(["run", "quickstart.yaml", "--seed", "abc"], { cwd: dir }), '--seed "abc": expected a whole number from 0 to 9007199254740991');
    expectBadInput(mcsim(["run", "quickstart.yaml", "--until", "soon"], { cwd: dir }), /^mcsim: --until: invalid duration "soon": .*expected .*250us, 1\.5ms, 2s, 5m/);
    expectBadInput(mcsim(["run", "quickstart.yaml", "--max-events", "0"], { cwd: dir }), '--max-events "0": expected a whole number of 1 or more');
    expectBadInput(mcsim(["run", "quickstart.yaml", "--trace-level", "loud"], { cwd: dir }), /argument 'loud' is invalid\. Allowed choices are off, summary, full\./);
    expectBadInput(mcsim(["run"], { cwd: dir }), /missing required argument 'scenario'/);
  });

  it("a trace file it cannot write", () => {
    expectBadInput(mcsim(["run", "quickstart.yaml", "--trace", "no-such-dir/t.ndjson"], { cwd: dir }), "--trace no-such-dir/t.ndjson: cannot write the trace there (no such file)");
  });
});
