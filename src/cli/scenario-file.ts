import { readFileSync } from "node:fs";
import { closest } from "../dns/corefile/suggest.js";
import { loadScenario } from "../scenario/load.js";
import type { Scenario } from "../scenario/spec.js";
import type { TraceSource } from "../sim/trace.js";
import { readInput, UsageError } from "./options.js";

/** A scenario read from disk, with the text of every file it read (for the trace header). */
export interface ScenarioFile {
  readonly scenario: Scenario;
  readonly source: TraceSource;
}

/**
 * Reads and checks a scenario file and the files it names.
 *
 * @throws UsageError when the scenario file cannot be read; ScenarioError for what is in it.
 */
export function readScenarioFile(path: string): ScenarioFile {
  return loadFrom(path, { [path]: readInput(path) }, (p) => readFileSync(p, "utf8"));
}

/** Loads a scenario from files already read (a trace header's), reading others with `read`. */
export function loadFrom(path: string, files: Readonly<Record<string, string>>, read: (path: string) => string): ScenarioFile {
  const seen: Record<string, string> = { [path]: files[path]! };
  const scenario = loadScenario(files[path]!, path, {
    readFile: (p) => {
      const text = Object.hasOwn(files, p) ? files[p]! : read(p);
      seen[p] = text;
      return text;
    },
  });
  return { scenario, source: { file: path, files: seen } };
}

/**
 * Checks that a flag names one of the scenario's clusters.
 *
 * @throws UsageError naming the nearest cluster and listing them all, when it does not.
 */
export function checkCluster(scenario: Scenario, cluster: string, flag: string): void {
  const names = scenario.spec.clusters.map((c) => c.name);
  if (names.includes(cluster)) return;
  // A few names to pick from: anything within half the name's length is a likelier typo than not.
  const near = closest(cluster, names, Math.max(2, Math.floor(cluster.length / 2)));
  throw new UsageError(`${flag} ${JSON.stringify(cluster)}: scenario ${scenario.metadata.name} has no such cluster${near ? `; did you mean ${near}?` : "."} Its clusters: ${names.join(", ")}`);
}
