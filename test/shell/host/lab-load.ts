import { labRequest } from "../../../src/shell/host/client.js";
import type { RunResponse } from "../../../src/shell/host/protocol.js";

/**
 * One process of the lab concurrency test: `lab-load.ts DIR NAME N` issues N commands to the lab,
 * one after the other (each waits for its answer, as commands typed in one terminal do), and
 * exits 1 if any failed.
 */
const [dir, name, count] = process.argv.slice(2);
let failed = 0;
for (let i = 0; i < Number(count); i++) {
  const r = (await labRequest(dir!, { op: "run", text: `kubectl annotate namespace default --overwrite ${name}=${i}`, cwd: process.cwd() })) as RunResponse;
  if (r.exitCode !== 0) failed++;
}
process.exitCode = failed === 0 ? 0 : 1;
