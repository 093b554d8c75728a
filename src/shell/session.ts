import type { ToolOutput } from "../dns/format/output.js";
import { NAMESPACED } from "../k8s/objects.js";
import type { World } from "../scenario/world.js";
import { DurationError, formatDuration, parseDuration, SECOND, type Micros } from "../sim/time.js";
import { FILTERS } from "./filters.js";
import { CILIUM_COMMANDS, cilium } from "./cilium.js";
import { SimVerbs } from "./sim-verbs.js";
import { ISTIOCTL_COMMANDS, istioctl } from "./istioctl.js";
import { LINKERD_COMMANDS, linkerd } from "./linkerd.js";
import { kubectl, type KubectlTarget } from "./kubectl/kubectl.js";
import { RESOURCE_TYPES, resourceType } from "./kubectl/resources.js";
import { expandWord, IncompleteInput, parseScript, ShellSyntaxError, type AndOrList, type SimpleCommand } from "./parse.js";

/**
 * The lab shell: the commands a lesson types, run against a simulated world. `kubectl` (one
 * context per cluster), `istioctl` (in the current context), the filters a lesson pipes into (`grep`, `head`, `tail`, `wc`), `echo`,
 * `export`, `sleep`, and the simulation's own verbs (`mcsim time`, `mcsim advance DURATION`).
 *
 * Time passes as on real clusters: `sleep` and `mcsim advance` run the clock, commands inside
 * pods take the time their lookups take, and every kubectl and istioctl command runs it on by a step
 * afterwards (one second by default), so that what a command starts (an export syncing to the
 * hub) is visibly under way by the next one. The shell's own builtins and filters take no time.
 */

/** Where a lab shell writes: its stdout and stderr, in the order things happen. */
export type ShellWrite = (stream: "stdout" | "stderr", text: string) => void;

/** What a lab shell runs against. */
export interface LabShellOptions {
  readonly world: World;
  /** The context (cluster) current at the start. */
  readonly context: string;
  /** How far each kubectl or istioctl command runs the clock after it, as typing and reading take time. */
  readonly step?: Micros;
  /** Reads `kubectl apply -f FILE`'s file; undefined when there is none. */
  readonly readFile?: (path: string) => string | undefined;
  readonly write: ShellWrite;
}

/** The default {@link LabShellOptions.step}: one simulated second per kubectl or istioctl command. */
export const DEFAULT_STEP: Micros = SECOND;

/** The shell's own commands, for `help` and completion. */
const BUILTINS = ["kubectl", "istioctl", "linkerd", "cilium", "mcsim", "sleep", "export", "echo", "cat", "true", "false", "exit", "help", ...Object.keys(FILTERS)];
/** kubectl's verbs here, for completion. */
const KUBECTL_VERBS = ["get", "describe", "create", "apply", "delete", "scale", "label", "annotate", "exec", "run", "logs", "rollout", "config"];
/** The simulation's verbs, for completion and the message for an unknown one. */
const MCSIM_VERBS = ["time", "advance", "fault", "heal", "faults", "events", "why"];
/** What `mcsim fault` injects. */
const FAULT_KINDS = ["partition", "delay", "loss", "kill"];
const CONFIG_VERBS = ["get-contexts", "current-context", "use-context"];
/** Programs a lesson runs inside pods, not on the learner's machine. */
const POD_TOOLS = new Set(["dig", "nslookup", "host", "curl", "wget"]);
/** sh's control flow, which the lab shell does not have. */
const KEYWORDS = new Set(["if", "then", "else", "elif", "fi", "for", "while", "until", "do", "done", "case", "esac", "function", "{", "}", "[[", "!"]);

const HELP = `The lab shell runs:
  kubectl get|describe|create|apply|delete|scale|label|annotate|exec|run|logs|rollout|config ...
                             against the simulated clusters
  istioctl remote-clusters|proxy-status|proxy-config endpoint|cluster POD|version   against the mesh
  linkerd multicluster gateways|check   against Linkerd's service mirrors
  cilium clustermesh status  against the Cilium ClusterMesh
  mcsim time                 the simulated clock
  mcsim advance DURATION     run the clock on (30s, 1m, 500ms)
  mcsim fault partition A B [--for 30s] | delay A B 100ms | loss A B 30 | kill POD [-n NS]
                             inject a fault (A, B: a cluster, region=R, zone=Z, node=N, host=IP)
  mcsim heal [NAME]          end a fault, or all of them; mcsim faults lists those in force
  mcsim events [--tail N]    the last trace events
  mcsim why lookup POD NAME  a lookup from a pod, query by query
  sleep SECONDS              run the clock on
  grep, head, tail, wc       after a pipe
  echo, export NAME=VALUE, cat (stdin), true, false, exit [N]
with quotes, \\ escapes, $NAME, |, &&, ||, ;, comments and here-documents (<<EOF, <<'EOF').
`;

/** One lab shell session: its variables, its current context and the status of its last command. */
export class LabShell {
  private context: string;
  private readonly vars = new Map<string, string>();
  private status = 0;
  private exitStatus: number | undefined;
  private readonly verbs: SimVerbs;

  constructor(private readonly options: LabShellOptions) {
    this.context = options.context;
    // meshConfig accessLogFile: /dev/stdout, for `kubectl logs POD -c istio-proxy`.
    options.world.mesh?.enableAccessLogs();
    this.verbs = new SimVerbs(options.world);
  }

  /** The prompt, naming the current context: `[cluster-a] $ `. */
  get prompt(): string {
    return `[${this.context}] $ `;
  }

  /** The current context (cluster), as `kubectl config use-context` last set it. */
  get currentContext(): string {
    return this.context;
  }

  /** The exit status of the last command. */
  get lastStatus(): number {
    return this.status;
  }

  /** The status `exit` ended the session with, or undefined while it goes on. */
  get exited(): number | undefined {
    return this.exitStatus;
  }

  /** True when the input is a whole command; false when it ends inside a quote, a here-document or after `|`. */
  isComplete(text: string): boolean {
    try {
      parseScript(text);
      return true;
    } catch (e) {
      if (e instanceof IncompleteInput) return false;
      return true; // run() reports it
    }
  }

  /** Runs an input (one or more lines) and returns the status of its last command. */
  run(text: string): number {
    let script;
    try {
      script = parseScript(text);
    } catch (e) {
      if (!(e instanceof ShellSyntaxError)) throw e;
      this.options.write("stderr", `mcsim shell: ${e.message}\n`);
      return (this.status = 2);
    }
    for (const list of script) {
      if (this.exitStatus !== undefined) break;
      this.runList(list);
    }
    return this.status;
  }

  private runList(list: AndOrList): void {
    this.status = this.runPipeline(list.first);
    for (const { op, pipeline } of list.rest) {
      if (this.exitStatus !== undefined) return;
      if ((op === "&&") === (this.status === 0)) this.status = this.runPipeline(pipeline);
    }
  }

  private runPipeline(pipeline: readonly SimpleCommand[]): number {
    let stdin: string | undefined;
    let status = 0;
    for (const [i, command] of pipeline.entries()) {
      const lookup = (name: string) => (name === "?" ? String(this.status) : this.vars.get(name));
      const argv = command.words.map((w) => expandWord(w, lookup));
      const input = command.stdin ? expandWord(command.stdin.body, lookup) : (stdin ?? "");
      const out = this.runCommand(argv, input, i > 0);
      if (out.stderr) this.options.write("stderr", out.stderr);
      status = out.exitCode;
      stdin = out.stdout;
      if (this.exitStatus !== undefined) return status;
    }
    if (stdin) this.options.write("stdout", stdin);
    return status;
  }

  private runCommand(argv: readonly string[], stdin: string, piped: boolean): ToolOutput {
    const [name = "", ...args] = argv;
    const filter = Object.hasOwn(FILTERS, name) ? FILTERS[name] : undefined;
    if (filter) return filter(args, stdin);
    const assignment = /^([A-Za-z_][A-Za-z0-9_]*)=(.*)$/s.exec(name);
    if (assignment) {
      if (args.length > 0) return fail(`${name} ${args[0]}: setting a variable for one command is not supported: export ${name}, then run the command`, 2);
      this.vars.set(assignment[1]!, assignment[2]!);
      return done("");
    }
    switch (name) {
      case "kubectl":
        return this.kubectl(args, stdin);
      case "istioctl":
        return this.step(istioctl({ world: this.options.world, context: this.context }, args));
      case "cilium":
        return this.step(cilium({ world: this.options.world, context: this.context }, args));
      case "linkerd":
        return this.step(linkerd({ world: this.options.world, context: this.context }, args));
      case "mcsim":
        return this.mcsim(args);
      case "sleep":
        return this.sleep(args);
      case "export":
        return this.export(args);
      case "echo":
        return args[0] === "-n" ? done(args.slice(1).join(" ")) : done(`${args.join(" ")}\n`);
      case "cat":
        return args.length === 0 ? done(stdin) : fail(args.map((a) => `cat: ${a}: No such file or directory`).join("\n"), 1, "");
      case "true":
        return done("");
      case "false":
        return { stdout: "", stderr: "", exitCode: 1 };
      case "exit": {
        const code = args[0] === undefined ? this.status : Number(args[0]);
        if (!Number.isInteger(code)) return fail(`exit: ${args[0]}: numeric argument required`, 2);
        this.exitStatus = code & 255;
        return { stdout: "", stderr: "", exitCode: this.exitStatus };
      }
      case "help":
        return done(HELP);
      default:
        if (KEYWORDS.has(name)) return fail(`${name}: sh's control flow (if, for, while, case, functions) is not supported: the lab shell runs commands joined by |, &&, || and ;`, 2);
        if (POD_TOOLS.has(name)) return fail(`${name}: command not found here: run it inside a pod, as in kubectl exec POD -- ${name} ..., or kubectl run tmp --rm -it --image=debian:12 -- ${name} ...`, 127);
        return fail(`${name}: command not found${piped ? " (the lab shell pipes into grep, head, tail, wc and cat)" : " (type help for what the lab shell runs)"}`, 127);
    }
  }

  private kubectl(args: readonly string[], stdin: string): ToolOutput {
    const target: KubectlTarget = {
      world: this.options.world,
      context: this.context,
      stdin,
      ...(this.options.readFile ? { readFile: this.options.readFile } : {}),
    };
    const out = kubectl(target, args);
    this.context = target.context;
    return this.step(out);
  }

  /** A cluster tool's output, after the clock ran on by a step, as typing and reading take time. */
  private step(out: ToolOutput): ToolOutput {
    this.options.world.runFor(this.options.step ?? DEFAULT_STEP);
    return out;
  }

  private mcsim(args: readonly string[]): ToolOutput {
    const [verb, ...rest] = args;
    const sim = this.options.world.sim;
    switch (verb) {
      case "time":
        return done(`${formatDuration(sim.now)}\n`);
      case "advance": {
        if (rest.length !== 1) return fail("mcsim advance: give one duration, as in mcsim advance 30s", 2);
        let d: Micros;
        try {
          d = parseDuration(rest[0]!);
        } catch (e) {
          if (e instanceof DurationError) return fail(`mcsim advance: ${e.message}`, 2);
          throw e;
        }
        this.options.world.runFor(d);
        return done(`${formatDuration(sim.now)}\n`);
      }
      case "fault":
        return this.verbs.fault(rest, this.context);
      case "heal":
        return this.verbs.heal(rest);
      case "faults":
        return this.verbs.list();
      case "events":
        return this.verbs.recent(rest);
      case "why":
        return this.verbs.why(rest, this.context);
      default:
        return fail(`${verb === undefined ? "give a verb" : `mcsim ${verb} is not available inside the shell`}: the shell knows mcsim ${MCSIM_VERBS.join(", ")}`, 2);
    }
  }

  /** GNU sleep: numbers of seconds, with an optional unit (s, m, h, d), added up. */
  private sleep(args: readonly string[]): ToolOutput {
    if (args.length === 0) return fail("sleep: missing operand", 1, "sleep");
    let total = 0;
    for (const a of args) {
      const m = /^(\d+(?:\.\d*)?|\.\d+)([smhd]?)$/.exec(a);
      if (!m) return fail(`sleep: invalid time interval '${a}'`, 1, "sleep");
      total += Number(m[1]) * { "": 1, s: 1, m: 60, h: 3600, d: 86400 }[m[2]!]!;
    }
    this.options.world.runFor(Math.round(total * SECOND));
    return done("");
  }

  private export(args: readonly string[]): ToolOutput {
    for (const a of args) {
      const m = /^([A-Za-z_][A-Za-z0-9_]*)(?:=(.*))?$/s.exec(a);
      if (!m) return fail(`export: \`${a}': not a valid identifier`, 1);
      if (m[2] !== undefined) this.vars.set(m[1]!, m[2]);
    }
    return done("");
  }

  /**
   * Tab completion of the word before the cursor: commands, kubectl's verbs and `config`
   * subcommands, resource types, object names in the current (or `-n`/`--context`) namespace
   * and cluster, pods for `exec`, and context names.
   */
  complete(line: string): [string[], string] {
    const segment = line.split(/\|\||&&|[|;]/).pop() ?? "";
    const words = segment.trimStart().split(/\s+/);
    const current = words.pop() ?? "";
    const pick = (candidates: readonly string[]): [string[], string] => [candidates.filter((c) => c.startsWith(current)), current];
    if (words.length === 0) return pick(BUILTINS);
    if (words[0] === "mcsim") return pick(words.length === 1 ? MCSIM_VERBS : words.length === 2 && words[1] === "fault" ? FAULT_KINDS : []);
    if (words[0] === "istioctl") return pick(words.length === 1 ? ISTIOCTL_COMMANDS : []);
    if (words[0] === "cilium") return pick(words.length === 1 ? CILIUM_COMMANDS : words.length === 2 && words[1] === "clustermesh" ? ["status"] : []);
    if (words[0] === "linkerd") return pick(words.length === 1 ? LINKERD_COMMANDS : words.length === 2 ? ["gateways", "check"] : []);
    if (words[0] !== "kubectl") return pick([]);
    const flagValue = (...flags: string[]) => {
      let value: string | undefined;
      words.forEach((w, i) => {
        if (flags.includes(w)) value = words[i + 1];
      });
      return value;
    };
    const last = words[words.length - 1]!;
    const world = this.options.world;
    const cluster = world.clusters.get(flagValue("--context") ?? this.context);
    if (last === "--context") return pick([...world.clusters.keys()]);
    if (last === "-n" || last === "--namespace") return pick(cluster ? cluster.api.list("Namespace").map((n) => n.metadata.name) : []);
    // The positional words after `kubectl`, without flags and their values.
    const positional = words.slice(1).filter((w, i, all) => !w.startsWith("-") && !["--context", "-n", "--namespace"].includes(all[i - 1] ?? ""));
    const [verb, ...rest] = positional;
    if (verb === undefined) return pick(KUBECTL_VERBS);
    if (verb === "config") return pick(rest.length === 0 ? CONFIG_VERBS : rest[0] === "use-context" ? [...world.clusters.keys()] : []);
    if (!cluster) return pick([]);
    const namespace = flagValue("-n", "--namespace") ?? "default";
    const names = (kind: string) => {
      const type = resourceType(kind);
      if (!type) return [];
      return cluster.api.list(type.kind, NAMESPACED.has(type.kind) ? namespace : undefined).map((o) => o.metadata.name);
    };
    if (verb === "exec") return pick(rest.length === 0 ? names("pods") : []);
    if (rest.length === 0) return pick(RESOURCE_TYPES.map((t) => t.names[0]!));
    return pick(names(rest[0]!));
  }
}

function done(stdout: string): ToolOutput {
  return { stdout, stderr: "", exitCode: 0 };
}

/** A one-line failure of the shell itself (`mcsim shell: ...`), or of a tool when `tool` names it. */
function fail(message: string, exitCode: number, tool?: string): ToolOutput {
  return { stdout: "", stderr: tool === undefined ? `mcsim shell: ${message}\n` : `${message}\n`, exitCode };
}
