import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { mcsim } from "./cli/run-mcsim.js";

/**
 * The README's `npm start` transcript: `npm start` runs the scenario package.json says, and every
 * part of the report the README shows (its blocks between blank lines) is printed as shown. The
 * header with the run's wall time is left out of the README, as it is not the same twice.
 */
const readme = readFileSync("README.md", "utf8");
const scenarios = readme.slice(readme.indexOf("\n## Scenarios\n"));
const transcript = /\n```\n([\s\S]*?)```/.exec(scenarios)![1]!;
const start = (JSON.parse(readFileSync("package.json", "utf8")) as { scripts: { start: string } }).scripts.start;

describe("README npm start transcript", () => {
  it("npm start runs patterns.yaml, and the README says so", () => {
    expect(start).toBe("tsx src/cli/main.ts run scenarios/patterns.yaml");
    expect(scenarios).toContain("`npm start` runs `mcsim run scenarios/patterns.yaml`");
  });

  it("prints each part of the report the README shows", () => {
    const r = mcsim(start.split(" ").slice(2));
    expect(r.status).toBe(0);
    const blocks = transcript.split("\n\n");
    expect(blocks.length).toBeGreaterThanOrEqual(3);
    for (const block of blocks) expect(r.stdout).toContain(block.trimEnd());
  });
});
