import { readFileSync } from "node:fs";
import { readScenarioFile } from "../../../src/cli/scenario-file.js";
import { buildScenarioWorld } from "../../../src/scenario/run.js";
import { LabEngine } from "../../../src/shell/lab/engine.js";
import { loadLab, type LoadedLab } from "../../../src/shell/lab/labfile.js";

/** The shipped lab (issue 9: scenarios/labs/cross-cluster-patterns/). */
export const LAB_DIR = "scenarios/labs/cross-cluster-patterns";
export const LAB_FILE = `${LAB_DIR}/lab.yaml`;

/** The shipped lab file, read with its scenario from disk. */
export function shippedLab(): LoadedLab {
  return loadLab(readFileSync(LAB_FILE, "utf8"), LAB_FILE, (p) => readScenarioFile(p).scenario);
}

/** An engine on the shipped lab at the end of its scenario's warmup, as mcsim lab init starts it with --clock step. */
export function labEngine(): LabEngine {
  const { lab, scenario } = shippedLab();
  const built = buildScenarioWorld(scenario, { traceLevel: "off" });
  built.world.runUntil(scenario.spec.warmup);
  return new LabEngine({ world: built.world, spec: scenario.spec, measurements: built.measurements, context: "us-east", step: 1_000_000, lab });
}

/** Every step's solution, in order, as one command line each. */
export function solutionLines(loaded: LoadedLab): string[] {
  return loaded.lab.steps.flatMap((s) => s.solution);
}
