import type { ToolOutput } from "../dns/format/output.js";
import { TopologyError } from "../net/topology.js";
import type { HostSelector } from "../net/selector.js";
import { FaultTimeline } from "../scenario/faults.js";
import type { FaultAction, FaultSpec } from "../scenario/spec.js";
import { WorldError, type World } from "../scenario/world.js";
import { podShell } from "./pod.js";
import { DurationError, formatDuration, parseDuration, type Micros } from "../sim/time.js";
import type { TraceEvent } from "../sim/trace.js";

/**
 * The simulation's verbs in the lab shell beyond the clock: the fault vocabulary of scenario
 * files (`mcsim fault partition|delay|loss|kill ...`, `mcsim heal [NAME]`, `mcsim faults`),
 * played by the scenario's own {@link FaultTimeline} so a fault typed here acts as one in a
 * scenario does, and `mcsim events`, the last trace events.
 */

/** How many trace events the shell keeps for `mcsim events`. */
const EVENTS_KEPT = 500;

/** A usage error of a verb: `mcsim shell: ...`, exit 2. */
class VerbError extends Error {}

/** The fault verbs' state: the shell's fault timeline and the recent trace events. */
export class SimVerbs {
  private readonly faults: FaultTimeline;
  private readonly events: TraceEvent[] = [];
  private count = 0;

  constructor(private readonly world: World) {
    // The shell's faults need no DNSChaos tables: dnsChaos is not among its verbs.
    this.faults = new FaultTimeline(world, [], new Map());
    if (world.sim.trace.summary) {
      world.sim.trace.onAny((e) => {
        this.events.push(e);
        if (this.events.length > EVENTS_KEPT) this.events.shift();
      });
    }
  }

  /** `mcsim fault KIND ARGS [--for D] [--name N] [--direction to|from|both]`. */
  fault(args: readonly string[], context: string): ToolOutput {
    try {
      const { words, flags } = split(args);
      const [kind, ...rest] = words;
      const forText = flags.get("for");
      const duration = forText === undefined ? undefined : duration_(forText);
      const direction = (flags.get("direction") ?? "both") as "to" | "from" | "both";
      if (!["to", "from", "both"].includes(direction)) throw new VerbError(`--direction is to, from or both, not ${direction}`);
      const pair = (): [HostSelector, HostSelector] => {
        if (rest.length < 2) throw new VerbError(`mcsim fault ${kind} A B: name two sides (a cluster, or region=R, zone=Z, node=N, host=IP)`);
        return [this.selector(rest[0]!), this.selector(rest[1]!)];
      };
      let action: FaultAction;
      switch (kind) {
        case "partition": {
          const [from, to] = pair();
          action = { kind, from, to, direction };
          break;
        }
        case "delay": {
          const [from, to] = pair();
          if (rest[2] === undefined) throw new VerbError("mcsim fault delay A B LATENCY [--jitter J]: give the latency, as in 100ms");
          action = { kind, from, to, direction, latency: duration_(rest[2]), jitter: duration_(flags.get("jitter") ?? "0s"), correlation: 0 };
          break;
        }
        case "loss": {
          const [from, to] = pair();
          const percent = Number(rest[2]?.replace(/%$/, ""));
          if (!(percent >= 0 && percent <= 100)) throw new VerbError("mcsim fault loss A B PERCENT: give the percentage of packets lost, as in 30");
          action = { kind, from, to, direction, loss: percent, correlation: 0 };
          break;
        }
        case "kill": {
          const [pod] = rest;
          if (pod === undefined) throw new VerbError("mcsim fault kill POD [-n NAMESPACE]: name the pod");
          const cluster = flags.get("context") ?? context;
          const namespace = flags.get("n") ?? flags.get("namespace") ?? "default";
          if (!this.world.cluster(cluster).api.get("Pod", namespace, pod)) throw new VerbError(`cluster ${cluster} has no pod ${namespace}/${pod}`);
          action = { kind, target: { cluster, namespace, pod, mode: "one" } };
          break;
        }
        default:
          throw new VerbError(`mcsim fault ${kind ?? ""}: the shell's faults are partition, delay, loss and kill`);
      }
      const name = flags.get("name") ?? `${kind}-${++this.count}`;
      const spec: FaultSpec = { name, at: this.world.sim.now, ...(duration !== undefined ? { for: duration } : {}), action };
      this.faults.add(spec);
      // Start it at once, so that the next command sees it in force.
      this.world.runFor(0);
      const record = this.faults.records.find((r) => r.name === name)!;
      if (record.error) return { stdout: "", stderr: `mcsim shell: fault ${name} could not act: ${record.error}\n`, exitCode: 1 };
      return ok(`fault ${name}: ${kind} ${record.target}${duration !== undefined ? ` for ${formatDuration(duration)}` : ""}\n`);
    } catch (e) {
      if (e instanceof VerbError || e instanceof TopologyError) return usage(e.message);
      throw e;
    }
  }

  /** `mcsim heal [NAME]`: ends one fault, or every one the shell started. */
  heal(args: readonly string[]): ToolOutput {
    const names = args.length > 0 ? args : this.faults.inForce().map((r) => r.name);
    const missing = names.filter((n) => !this.faults.end(n));
    if (missing.length > 0) return usage(`mcsim heal: no fault named ${missing.join(", ")} is in force (mcsim faults lists them)`);
    return ok(names.map((n) => `fault ${n} healed\n`).join(""));
  }

  /** `mcsim faults`: the faults in force, as a table. */
  list(): ToolOutput {
    const now = this.world.sim.now;
    const rows = this.faults.inForce().map((r) => [r.name, r.action, formatDuration(now - r.at), r.target]);
    if (rows.length === 0) return ok("No faults in force.\n");
    const header = ["NAME", "ACTION", "AGE", "TARGET"];
    const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)) + 3);
    return ok([header, ...rows].map((r) => r.map((c, i) => (i === r.length - 1 ? c : c.padEnd(widths[i]!))).join("")).map((l) => `${l}\n`).join(""));
  }

  /** `mcsim events [--tail N]`: the last trace events, one a line (time, type, fields). */
  recent(args: readonly string[]): ToolOutput {
    const { flags } = split(args);
    const tail = Number(flags.get("tail") ?? "20");
    if (!Number.isInteger(tail) || tail < 0) return usage("mcsim events --tail N: N is a whole number");
    if (!this.world.sim.trace.summary) return usage("mcsim events: this world records no trace events (its trace level is off)");
    const shown = this.events.slice(Math.max(0, this.events.length - tail));
    return ok(shown.map((e) => {
      const { t, type, ...fields } = e;
      return `${formatDuration(t).padStart(10)}  ${type}  ${Object.entries(fields).map(([k, v]) => `${k}=${typeof v === "string" ? v : JSON.stringify(v)}`).join(" ")}\n`;
    }).join(""));
  }

  /**
   * `mcsim why lookup POD NAME`: a lookup from the pod, run now through its libc, explained step
   * by step: each query the stub sent in order (the search walk), to which server, and what came
   * back, then the answer and the search candidate that gave it. It runs on the live world, so
   * it takes the simulated time the lookup takes, as the same lookup by a tool in the pod would.
   */
  why(args: readonly string[], context: string): ToolOutput {
    const { words, flags } = split(args);
    const [what, pod, name] = words;
    if (what !== "lookup" || pod === undefined || name === undefined) return usage("mcsim why lookup POD NAME [-n NAMESPACE]: explains a lookup from a pod step by step");
    const cluster = flags.get("context") ?? context;
    const ref = `${flags.get("n") ?? flags.get("namespace") ?? "default"}/${pod}`;
    let shell;
    try {
      shell = podShell(this.world, cluster, ref);
    } catch (e) {
      if (e instanceof WorldError) return usage(e.message);
      throw e;
    }
    const started = this.world.sim.now;
    const r = shell.lookup(name);
    const conf = this.world.resolvConfOf(cluster, shell.pod);
    let out = `lookup of ${name} from ${ref} in ${cluster}: ${r.behaviour} resolver, search ${conf.searches.join(" ") || "(none)"}, ${conf.options.join(" ") || "no options"}\n`;
    r.queries.forEach((q, i) => {
      const took = q.receivedAt === undefined ? "no reply" : formatDuration(q.receivedAt - q.sentAt);
      out += `  ${String(i + 1).padStart(2)}. ${formatDuration(q.sentAt - started).padStart(8)}  ${q.qtype.padEnd(4)} ${q.name} -> ${q.server} (${q.transport}): ${q.outcome} (${took})${q.discarded ? `, not used: ${q.discarded}` : ""}\n`;
    });
    if (r.ok) {
      const via = r.answeredName && r.answeredName !== name.replace(/\.$/, "") ? ` (the search candidate ${r.answeredName})` : "";
      out += `answer${via}: ${r.addresses.map((a) => a.address).join(", ") || "none"}${r.canonicalName && r.canonicalName !== r.answeredName ? `, canonical name ${r.canonicalName}` : ""}, from ${r.source ?? "dns"}, in ${formatDuration(this.world.sim.now - started)}\n`;
    } else {
      out += `failed: ${r.code ?? r.error}${r.message ? ` (${r.message})` : ""} after ${r.queries.length} queries, in ${formatDuration(this.world.sim.now - started)}\n`;
    }
    return ok(out);
  }

  /** A side of a network fault: a cluster's name, or `region=`, `zone=`, `node=`, `host=`. */
  private selector(word: string): HostSelector {
    const eq = word.indexOf("=");
    if (eq < 0) {
      if (!this.world.clusters.has(word)) throw new VerbError(`no cluster named ${word}; there are: ${[...this.world.clusters.keys()].join(", ")} (or give region=R, zone=Z, node=N, host=IP)`);
      return { clusters: [word] };
    }
    const [key, value] = [word.slice(0, eq), word.slice(eq + 1)];
    const field = ({ region: "regions", zone: "zones", node: "nodes", host: "hosts", cluster: "clusters" } as const)[key as "region"];
    if (field === undefined) throw new VerbError(`${word}: a side is a cluster, region=R, zone=Z, node=N or host=IP`);
    return { [field]: [value] };
  }
}

/** Positional words and `--flag value` / `--flag=value` / `-n value`. */
function split(args: readonly string[]): { words: string[]; flags: Map<string, string> } {
  const words: string[] = [];
  const flags = new Map<string, string>();
  for (let i = 0; i < args.length; i++) {
    const arg = args[i]!;
    const m = /^--?([a-z-]+)(?:=(.*))?$/.exec(arg);
    if (!m) words.push(arg);
    else flags.set(m[1]!, m[2] ?? args[++i] ?? "");
  }
  return { words, flags };
}

function duration_(text: string): Micros {
  try {
    return parseDuration(text);
  } catch (e) {
    if (e instanceof DurationError) throw new VerbError(e.message);
    throw e;
  }
}

function ok(stdout: string): ToolOutput {
  return { stdout, stderr: "", exitCode: 0 };
}

function usage(message: string): ToolOutput {
  return { stdout: "", stderr: `mcsim shell: ${message}\n`, exitCode: 2 };
}
