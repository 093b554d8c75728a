import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, resolve } from "node:path";
import { labRequest } from "../src/shell/host/client.js";
import { meets, type Benchmark, type Figure } from "./figure.js";

/**
 * The lab shell's latencies (issue 9): one shim command (`kubectl get pods` through DIR/bin) in a
 * lab whose log already holds 1,000 commands, and the time from `mcsim shell SCENARIO` starting
 * to its first prompt, on the cross-cluster-patterns lab's scenario. Both run the built command
 * (dist/), as a learner's machine does; the baseline of each is Node.js starting and doing
 * nothing (`node -e 0`), measured in the same run, which on a loaded machine is most of the cost.
 */

const SCENARIO = "scenarios/labs/cross-cluster-patterns/scenario.yaml";
const CLI = resolve("dist/cli.js");
const EARLIER = 1000;
const RUNS = 7;

/** The shortest of `RUNS` wall times of a command, in ms: the least disturbed by other load. */
function fastest(command: string, args: readonly string[], input?: string): number {
  let best = Infinity;
  for (let i = 0; i < RUNS; i++) {
    const start = process.hrtime.bigint();
    const r = spawnSync(command, args, { encoding: "utf8", ...(input !== undefined ? { input } : { stdio: ["ignore", "pipe", "pipe"] }) });
    const ms = Number(process.hrtime.bigint() - start) / 1e6;
    if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed: ${r.stderr}`);
    best = Math.min(best, ms);
  }
  return best;
}

/** `--shell-child DIR N`: issues N commands to the lab in DIR, one after the other. */
export async function shellChild(dir: string, n: number): Promise<void> {
  for (let i = 0; i < n; i++) await labRequest(dir, { op: "run", text: i % 2 ? "kubectl get pods -A" : "kubectl get svc -n production", cwd: process.cwd() });
}

export const shell: Benchmark = {
  name: "shell",
  description: `one shim command in a lab with ${EARLIER} earlier commands, and mcsim shell's time to its first prompt (${SCENARIO})`,
  run(): Figure[] {
    if (!existsSync(CLI)) throw new Error("dist/cli.js is missing: run npm run build first");
    const node = fastest(process.execPath, ["-e", "0"]);
    const dir = join(mkdtempSync(join(tmpdir(), "mcsim-bench-lab-")), "state");
    const init = spawnSync(process.execPath, [CLI, "lab", "init", SCENARIO, "--state", dir, "--clock", "step"], { encoding: "utf8" });
    if (init.status !== 0) throw new Error(`mcsim lab init failed: ${init.stderr}`);
    try {
      const child = spawnSync(process.execPath, [process.argv[1]!, "--shell-child", dir, String(EARLIER)], { encoding: "utf8" });
      if (child.status !== 0) throw new Error(`the lab's load failed: ${child.stderr}`);
      const shim = fastest(join(dir, "bin", "kubectl"), ["get", "pods", "-n", "production"]);
      const script = join(dirname(dir), "first-prompt.sh");
      writeFileSync(script, "true\n");
      const prompt = fastest(process.execPath, [CLI, "shell", SCENARIO, "--script", script, "--echo"]);
      const figure = (name: string, value: number, target: string): Figure => ({ bench: "shell", figure: name, value, unit: "ms", baseline: "node -e 0", ratio: value / node, target, pass: meets(target, value) });
      return [
        { bench: "shell", figure: "node.start", value: node, unit: "ms" },
        figure(`shim.command.after.${EARLIER}`, shim, "<=200"),
        figure("shell.first.prompt", prompt, "<=1000"),
      ];
    } finally {
      spawnSync(process.execPath, [CLI, "lab", "stop", dir]);
    }
  },
};
