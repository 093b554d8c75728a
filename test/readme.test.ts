import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";

/** Every README example must run as written and print exactly what the README says it prints. */
const readme = readFileSync("README.md", "utf8");
const examples = readme
  .split(/^## /m)
  .slice(1)
  .flatMap((section) => {
    const m = /```js\n([\s\S]*?)```\n\nIt prints:\n\n```\n([\s\S]*?)```/.exec(section);
    return m ? [{ section: section.slice(0, section.indexOf("\n")), code: m[1]!, printed: m[2]! }] : [];
  });

describe("README examples", () => {
  it("has the kernel, clusters-and-DNS and scenarios examples", () => {
    expect(examples.map((e) => e.section)).toEqual(["The kernel in code", "Clusters and DNS in code", "Scenarios in code"]);
  });

  for (const example of examples) {
    it(`runs "${example.section}" and prints what the README shows`, () => {
      const r = spawnSync(process.execPath, ["--input-type=module"], { input: example.code, encoding: "utf8" });
      expect(r.stderr).toBe("");
      expect(r.stdout).toBe(example.printed);
    });
  }
});
