import { spawnSync } from "node:child_process";
import { readFileSync } from "node:fs";
import { expect, it } from "vitest";

/** The README's kernel example must run as written and print what the README says it prints. */
it("runs the README's kernel example and prints what the README shows", () => {
  const readme = readFileSync("README.md", "utf8");
  const section = readme.slice(readme.indexOf("## The kernel in code"));
  const code = /```js\n([\s\S]*?)```/.exec(section)?.[1];
  const printed = /It prints:\n\n```\n([\s\S]*?)```/.exec(section)?.[1];
  expect(code).toBeDefined();
  expect(printed).toBeDefined();
  const r = spawnSync(process.execPath, ["--input-type=module"], { input: code, encoding: "utf8" });
  expect(r.stderr).toBe("");
  expect(r.stdout).toBe(printed);
});
