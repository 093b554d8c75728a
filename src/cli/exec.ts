import { buildScenarioWorld } from "../scenario/run.js";
import { WorldError } from "../scenario/world.js";
import { execInPod, startPod } from "../shell/exec.js";
import { podShell } from "../shell/pod.js";
import type { Micros } from "../sim/time.js";
import { UsageError } from "./options.js";
import { checkCluster, readScenarioFile } from "./scenario-file.js";

/** The flags of `mcsim exec`. */
export interface ExecFlags {
  context?: string;
  namespace: string;
  at?: Micros;
  seed?: number;
  image?: string;
}

/**
 * `mcsim exec SCENARIO POD -- CMD ARGS`: builds the world, runs it to `--at` (default the end of
 * warmup), and runs one command in the pod as `kubectl exec` would, printing what the command
 * prints and exiting with its status (kubectl's `command terminated with exit code N` on stderr
 * when it is not 0). With `--image`, the pod is started first, as `kubectl run` starts one.
 */
export function execCommand(file: string, pod: string, argv: readonly string[], flags: ExecFlags): number {
  const { scenario } = readScenarioFile(file);
  const cluster = flags.context ?? scenario.spec.clusters[0]!.name;
  checkCluster(scenario, cluster, "--context");
  if (argv.length === 0) throw new UsageError("mcsim exec: give the command after --, e.g. mcsim exec SCENARIO POD -- nslookup NAME");
  const { world } = buildScenarioWorld(scenario, { traceLevel: "off", ...(flags.seed !== undefined ? { seed: flags.seed } : {}) });
  world.runUntil(flags.at ?? scenario.spec.warmup);
  let shell;
  try {
    shell = flags.image !== undefined ? startPod(world, cluster, flags.namespace, pod, flags.image) : podShell(world, cluster, `${flags.namespace}/${pod}`);
  } catch (e) {
    if (e instanceof WorldError) throw new UsageError(`Error from server (NotFound): ${e.message}${flags.image === undefined ? "; start one with --image IMAGE" : ""}`);
    throw e;
  }
  const out = execInPod(shell, argv);
  process.stdout.write(out.stdout);
  process.stderr.write(out.stderr);
  if (out.exitCode !== 0) process.stderr.write(`command terminated with exit code ${out.exitCode}\n`);
  return out.exitCode;
}
