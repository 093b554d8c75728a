import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { MCSIM } from "./cli/run-mcsim.js";

/**
 * Every `console` block of the README is a transcript: each `$ mcsim ...` line must print exactly
 * the lines that follow it, up to the next `$` line. (Blocks marked `sh` are commands to try, run
 * by the end-to-end tests instead: a server, a capture read by tshark.)
 */
const readme = readFileSync("README.md", "utf8");
const commands = [...readme.matchAll(/```console\n([\s\S]*?)```/g)].flatMap((block) =>
  block[1]!
    .split(/^\$ /m)
    .slice(1)
    .map((entry) => {
      const newline = entry.indexOf("\n");
      return { line: entry.slice(0, newline), printed: entry.slice(newline + 1) };
    }),
);

/** Splits a command line on spaces; the README's commands need no quoting. */
function words(line: string): string[] {
  return line.split(" ").filter(Boolean);
}

describe("README transcripts", () => {
  it("has the federation transcripts", () => {
    expect(commands.length).toBeGreaterThanOrEqual(3);
    expect(commands.every((c) => c.line.startsWith("mcsim "))).toBe(true);
  });

  for (const { line, printed } of commands) {
    it(`prints what the README shows for: ${line}`, () => {
      const r = spawnSync(process.execPath, [MCSIM, ...words(line).slice(1)], { encoding: "utf8" });
      expect(r.stdout).toBe(printed);
    });
  }
});
