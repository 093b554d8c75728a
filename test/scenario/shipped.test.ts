import { readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import { loadScenario } from "../../src/scenario/load.js";
import { runScenario, type ScenarioReport } from "../../src/scenario/run.js";
import type { Scenario } from "../../src/scenario/spec.js";

/**
 * Every scenario shipped in `scenarios/` (issue 4): it loads, runs to its end, and meets every
 * expectation it states, so a change to the model that breaks a lesson breaks the build.
 */
const DIR = fileURLToPath(new URL("../../scenarios/", import.meta.url));
const FILES = readdirSync(DIR)
  .filter((f) => f.endsWith(".yaml"))
  .sort();

/**
 * Runs above this many events are not run a second time for the digest check: one saturation
 * run costs seconds, and determinism is the same property in a cheap run as in a dear one.
 */
const SECOND_RUN_BUDGET = 200_000;

function load(file: string): Scenario {
  const path = join(DIR, file);
  return loadScenario(readFileSync(path, "utf8"), path, { readFile: (p) => readFileSync(p, "utf8") });
}

const run = (scenario: Scenario): ScenarioReport => runScenario(scenario, { traceLevel: "summary" });

describe("shipped scenarios", () => {
  it("include the quickstart and the three lessons of issue 4", () => {
    expect(FILES).toEqual(expect.arrayContaining(["quickstart.yaml", "ndots.yaml", "coredns-saturation.yaml", "coredns-kill.yaml", "dns-federation.yaml"]));
  });

  describe.each(FILES)("%s", (file) => {
    const text = readFileSync(join(DIR, file), "utf8");

    it("names its schema for editors and says in one line what it shows", () => {
      expect(text.split("\n")[0]).toBe("# yaml-language-server: $schema=./scenario.schema.json");
      const description = load(file).metadata.description ?? "";
      expect(description).not.toBe("");
      expect(description).not.toContain("\n");
    });

    it("runs to its end with every expectation met, and again to the same digest", () => {
      const scenario = load(file);
      const report = run(scenario);
      expect(report.partial).toBe(false);
      expect(report.expectations.length).toBeGreaterThan(0);
      const failed = report.expectations.filter((e) => !e.pass).map((e) => `${e.description}: measured ${e.detail}`);
      expect(failed, `failed expectations of ${file} (seed ${report.seed}):\n${failed.join("\n")}`).toEqual([]);
      if (report.events > SECOND_RUN_BUDGET) return;
      expect(run(scenario).digest).toBe(report.digest);
    });
  });
});
