import type { ToolOutput } from "../dns/format/output.js";
import { buildScenarioWorld } from "../scenario/run.js";
import type { World } from "../scenario/world.js";
import type { Micros } from "../sim/time.js";
import { checkCluster, readScenarioFile } from "./scenario-file.js";

/** The flags of `mcsim kubectl` and `mcsim istioctl`. */
export interface ClusterToolFlags {
  at?: Micros;
  seed?: number;
  context?: string;
}

/** A tool run against the world's clusters: kubectl, istioctl. */
export type ClusterTool = (target: { world: World; context: string }, args: readonly string[]) => ToolOutput;

/**
 * `mcsim kubectl|istioctl SCENARIO -- ARGS`: builds the world, runs it to `--at` (default the end
 * of warmup) and runs one command of the tool against it, `--context` (default the scenario's
 * first cluster) being the current context; prints what the tool prints and exits with its status.
 *
 * @throws UsageError when `--context` names no cluster of the scenario.
 */
export function clusterToolCommand(tool: ClusterTool, file: string, args: readonly string[], flags: ClusterToolFlags): number {
  const { scenario } = readScenarioFile(file);
  const context = flags.context ?? scenario.spec.clusters[0]!.name;
  checkCluster(scenario, context, "--context");
  const { world } = buildScenarioWorld(scenario, { traceLevel: "off", ...(flags.seed !== undefined ? { seed: flags.seed } : {}) });
  world.runUntil(flags.at ?? scenario.spec.warmup);
  const out = tool({ world, context }, args);
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  return out.exitCode;
}
