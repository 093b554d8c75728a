import { buildScenarioWorld } from "../scenario/run.js";
import { kubectl } from "../shell/kubectl/kubectl.js";
import type { Micros } from "../sim/time.js";
import { readScenarioFile } from "./scenario-file.js";

/** The flags of `mcsim kubectl`. */
export interface KubectlFlags {
  at?: Micros;
  seed?: number;
}

/**
 * `mcsim kubectl SCENARIO -- ARGS`: builds the world, runs it to `--at` (default the end of
 * warmup) and runs one kubectl command against it, the scenario's first cluster being the
 * current context; prints what kubectl prints and exits with its status.
 */
export function kubectlCommand(file: string, args: readonly string[], flags: KubectlFlags): number {
  const { scenario } = readScenarioFile(file);
  const { world } = buildScenarioWorld(scenario, { traceLevel: "off", ...(flags.seed !== undefined ? { seed: flags.seed } : {}) });
  world.runUntil(flags.at ?? scenario.spec.warmup);
  const out = kubectl({ world, context: scenario.spec.clusters[0]!.name }, args);
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  return out.exitCode;
}
