import { createHash } from "node:crypto";
import type { Measurements } from "../../scenario/measure.js";
import type { ScenarioSpec } from "../../scenario/spec.js";
import type { World } from "../../scenario/world.js";
import type { Micros } from "../../sim/time.js";
import { RESOURCE_TYPES } from "../kubectl/resources.js";
import { LabShell } from "../session.js";
import { runCheck } from "./checks.js";
import { labChecks, type Lab } from "./labfile.js";

/**
 * A lab's state and what changes it: the world, and the kubectl context that every process of the
 * lab shares (as a kubeconfig is shared). Each command runs in a lab shell of its own, as each
 * command a learner types runs in a process of its own, through the same {@link LabShell} as
 * `mcsim shell`, so its output is the shell's. The engine knows no processes, files or clocks:
 * the lab server ({@link ../host/server.ts}) feeds it the commands of its log, in order.
 */

/** What one command or check printed, in order, and its exit status. */
export interface LabOutput {
  readonly output: readonly (readonly ["stdout" | "stderr", string])[];
  readonly exitCode: number;
}

/** What a lab engine runs against. */
export interface LabEngineOptions {
  readonly world: World;
  readonly spec: ScenarioSpec;
  readonly measurements: Measurements;
  /** The context current at the start. */
  readonly context: string;
  /** How far each kubectl or istioctl command runs the clock ({@link LabShell}'s step). */
  readonly step: Micros;
  readonly lab?: Lab;
}

/** Programs a shim runs in the lab's workstation pod, when the lab names one. */
const POD_PROGRAMS = new Set(["dig", "nslookup"]);

/** One lab's state, changed only by {@link LabEngine.run} and {@link LabEngine.check}. */
export class LabEngine {
  private context: string;

  constructor(private readonly options: LabEngineOptions) {
    this.context = options.context;
  }

  /** The context kubectl commands run in unless they name another. */
  get currentContext(): string {
    return this.context;
  }

  /**
   * Runs a command line (one or more commands, here-documents included) as `mcsim shell` runs it.
   *
   * @param readFile reads a file `kubectl apply -f FILE` names; undefined when there is none.
   */
  run(text: string, readFile: (path: string) => string | undefined): LabOutput {
    const output: ["stdout" | "stderr", string][] = [];
    const shell = new LabShell({ world: this.options.world, context: this.context, step: this.options.step, readFile, write: (stream, chunk) => output.push([stream, chunk]) });
    shell.run(text);
    this.context = shell.currentContext;
    return { output, exitCode: shell.exited ?? shell.lastStatus };
  }

  /**
   * Evaluates checks of the lab file by name: exit status 0 when all pass, else 1 with the first
   * failing one's reason (2 for a name the lab does not define).
   */
  check(names: readonly string[]): LabOutput {
    const checks = labChecks(this.options.lab ?? { title: "", scenario: "", steps: [] });
    const unknown = names.filter((n) => !checks.has(n));
    if (unknown.length > 0 || names.length === 0) {
      const known = [...checks.keys()];
      return {
        output: [["stderr", `mcsim lab check: ${names.length === 0 ? "name a check" : `no check named ${unknown.map((n) => JSON.stringify(n)).join(", ")}`}; the lab's checks are ${known.join(", ") || "none (the lab has no lab file)"}\n`]],
        exitCode: 2,
      };
    }
    const target = { world: this.options.world, spec: this.options.spec, measurements: this.options.measurements };
    const lines: string[] = [];
    for (const name of names) {
      const r = runCheck(target, checks.get(name)!);
      lines.push(`${r.pass ? "pass" : "FAIL"}: ${name}: ${r.reason}`);
      if (!r.pass) return { output: [["stdout", `${lines[lines.length - 1]}\n`]], exitCode: 1 };
    }
    return { output: [["stdout", `${lines.join("\n")}\n`]], exitCode: 0 };
  }

  /**
   * The command line a shim runs: the program and its arguments quoted for the lab shell, and its
   * stdin as a here-document. `dig` and `nslookup` run in the lab's workstation pod when it names one.
   */
  commandLine(argv: readonly string[], stdin?: string): string {
    const ws = this.options.lab?.workstation;
    const words = ws && POD_PROGRAMS.has(argv[0] ?? "") ? ["kubectl", "exec", "--context", ws.cluster, "-n", ws.namespace, ws.pod, "--", ...argv] : argv;
    const line = words.map(quote).join(" ");
    if (stdin === undefined) return line;
    const body = stdin === "" || stdin.endsWith("\n") ? stdin : `${stdin}\n`;
    let delimiter = "MCSIM_STDIN";
    while (body.split("\n").includes(delimiter)) delimiter += "_";
    return `${line} <<'${delimiter}'\n${body}${delimiter}\n`;
  }

  /**
   * A digest of the lab's state: the clock, the context and every object of every cluster. Two
   * labs built from the same log have the same digest.
   */
  digest(): string {
    const hash = createHash("sha256");
    const world = this.options.world;
    hash.update(`${world.sim.now} ${this.context}\n`);
    for (const [name, cluster] of world.clusters) {
      for (const type of RESOURCE_TYPES) hash.update(`${name} ${type.kind} ${JSON.stringify(cluster.api.list(type.kind))}\n`);
    }
    return hash.digest("hex");
  }
}

/** A word quoted for the lab shell (and sh): bare when it is safe, else in single quotes. */
export function quote(word: string): string {
  if (/^[A-Za-z0-9_@%+=:,./-]+$/.test(word)) return word;
  return `'${word.replace(/'/g, `'\\''`)}'`;
}
