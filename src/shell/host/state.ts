import { readFileSync } from "node:fs";
import { join } from "node:path";
import { loadScenario } from "../../scenario/load.js";
import { buildScenarioWorld } from "../../scenario/run.js";
import type { Scenario } from "../../scenario/spec.js";
import type { Micros } from "../../sim/time.js";
import { LabEngine } from "../lab/engine.js";
import { loadLab, type Lab } from "../lab/labfile.js";
import { LAB_FILES } from "./address.js";

/**
 * How a lab was made (`lab.json`), written once by `mcsim lab init`: the texts of its scenario
 * and the files that scenario read, its lab file's text, the flags, and the command that starts
 * its server. The lab is rebuilt from this and the log alone, whatever has changed on disk since.
 */
export interface LabConfig {
  readonly version: string;
  /** The scenario file's path and the text of every file it read, by path. */
  readonly scenario: { readonly file: string; readonly files: Readonly<Record<string, string>> };
  readonly lab?: { readonly file: string; readonly text: string };
  readonly seed?: number;
  /** The simulated instant the lab starts at (default: the end of the scenario's warmup). */
  readonly at?: Micros;
  readonly step: Micros;
  /**
   * `wall`: the simulated clock keeps up with the wall clock between commands, as a real cluster's
   * does while a learner reads; `step`: it moves only as commands move it (reproducible labs, tests).
   */
  readonly clock: "wall" | "step";
  readonly context: string;
  /** The command line that starts the lab's server. */
  readonly server: readonly string[];
}

/** Reads a lab's config. */
export function readConfig(dir: string): LabConfig {
  return JSON.parse(readFileSync(join(dir, LAB_FILES.config), "utf8")) as LabConfig;
}

/** A lab built from its config, at its starting instant, before any command of its log. */
export interface BuiltLab {
  readonly engine: LabEngine;
  readonly scenario: Scenario;
  readonly lab?: Lab;
  readonly world: ReturnType<typeof buildScenarioWorld>["world"];
}

/** Builds a lab's world and engine from its config (no disk read but the config's own texts). */
export function buildLab(config: LabConfig): BuiltLab {
  const files = config.scenario.files;
  const read = (path: string) => {
    if (!Object.hasOwn(files, path)) throw new Error(`${path} was not read when the lab was made`);
    return files[path]!;
  };
  const scenarioOf = (path: string) => loadScenario(read(path), path, { readFile: read });
  const loaded = config.lab ? loadLab(config.lab.text, config.lab.file, scenarioOf) : undefined;
  const scenario = loaded?.scenario ?? scenarioOf(config.scenario.file);
  const built = buildScenarioWorld(scenario, { traceLevel: "off", ...(config.seed !== undefined ? { seed: config.seed } : {}) });
  built.world.runUntil(config.at ?? scenario.spec.warmup);
  const engine = new LabEngine({
    world: built.world,
    spec: scenario.spec,
    measurements: built.measurements,
    context: config.context,
    step: config.step,
    ...(loaded ? { lab: loaded.lab } : {}),
  });
  return { engine, scenario, world: built.world, ...(loaded ? { lab: loaded.lab } : {}) };
}
