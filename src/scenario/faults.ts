import type { DnsChaos } from "../dns/chaos.js";
import type { ClusterSet } from "../mcs/clusterset.js";
import { ApiError } from "../k8s/apiserver.js";
import type { Deployment, Kind, StatefulSet } from "../k8s/objects.js";
import type { NetFault } from "../net/fault.js";
import { checkSelector, describeSelector } from "../net/selector.js";
import type { Micros } from "../sim/time.js";
import { pickPods, type PodPick } from "./pods.js";
import type { FaultAction, FaultSpec, PodTarget } from "./spec.js";
import { WorldError, type World } from "./world.js";

declare module "../sim/trace.js" {
  interface TraceEventMap {
    /** A scenario fault started or ended (summary level); `error` says why it could not act or be undone. */
    "scenario.fault": { name: string; action: string; phase: "start" | "end"; target: string; error: string };
  }
}

/** What became of one fault of the timeline. */
export interface FaultRecord {
  readonly name: string;
  readonly action: string;
  /** What it acted on, in words. */
  target: string;
  readonly at: Micros;
  /** When it was reverted (by `for`, a heal or a release); undefined while in force or for instant faults. */
  until?: Micros;
  /** True for faults that act at one instant (kill, apply, delete, join, a scale without `for`). */
  readonly instant: boolean;
  /** Set when the fault could not act (the workload it scales does not exist). */
  error?: string;
  /** Set when it acted but could not be undone (the workload it scaled was deleted meanwhile). */
  undoError?: string;
}

/** What a {@link FaultTimeline} acts on besides the world, and who hears of its faults. */
export interface FaultTimelineOptions {
  /** The clusterset `join` and `leave` act on (`spec.patterns.mcs`). */
  readonly clusterSet?: ClusterSet;
  /** Called after a fault has started and acted (not when it could not act), and after it ended. */
  readonly onChange?: (fault: string, phase: "start" | "end") => void;
}

/** A fault in force and how to end it. */
interface Active {
  readonly record: FaultRecord;
  readonly revert: () => void;
  /** The network fault, for heals and releases by name. */
  readonly net?: NetFault;
}

/**
 * Plays a scenario's fault timeline on a world: each fault starts at `at` and, with `for`, is
 * reverted after it; heals and releases end partitions and holds by name or all at once. Faults
 * that cannot act (a Deployment to scale that does not exist at that instant) are recorded with
 * the reason rather than stopping the run, as a chaos tool reports a failed experiment.
 */
export class FaultTimeline {
  readonly records: FaultRecord[] = [];
  private readonly active = new Map<string, Active>();

  constructor(
    private readonly world: World,
    private readonly faults: readonly FaultSpec[],
    /** Each cluster's DNSChaos table. */
    private readonly chaos: ReadonlyMap<string, DnsChaos>,
    private readonly options: FaultTimelineOptions = {},
  ) {
    // Checked now, so that a selector naming no zone or node is an error before the run.
    for (const f of faults) {
      const a = f.action;
      if ("from" in a && "to" in a) {
        checkSelector(a.from, world.topology, `fault ${f.name}: from`);
        checkSelector(a.to, world.topology, `fault ${f.name}: to`);
      }
    }
  }

  /** Schedules every fault. */
  schedule(): void {
    for (const f of this.faults) this.scheduleOne(f);
  }

  /**
   * Adds a fault while the world runs (the lab shell's `mcsim fault`): it starts at `f.at`, now
   * or later, and with `for` ends after it.
   *
   * @throws SelectorError when a selector names no cluster, zone or node of the world.
   */
  add(f: FaultSpec): void {
    const a = f.action;
    if ("from" in a && "to" in a) {
      checkSelector(a.from, this.world.topology, `fault ${f.name}: from`);
      checkSelector(a.to, this.world.topology, `fault ${f.name}: to`);
    }
    this.scheduleOne(f);
  }

  /** The faults in force now, in the order they started. */
  inForce(): readonly FaultRecord[] {
    return [...this.active.values()].map((a) => a.record);
  }

  private scheduleOne(f: FaultSpec): void {
    this.world.sim.at(f.at, () => this.start(f));
    if (f.for !== undefined) this.world.sim.at(f.at + f.for, () => this.end(f.name));
  }

  private start(f: FaultSpec): void {
    const record: FaultRecord = { name: f.name, action: f.action.kind, target: "", at: f.at, instant: f.for === undefined && INSTANT_ACTIONS.has(f.action.kind) };
    this.records.push(record);
    const error = failure(() => {
      const revert = this.act(f, record);
      if (revert) this.active.set(f.name, { record, ...revert });
    });
    if (error) record.error = error;
    this.trace(record, "start", error);
    if (!error) this.options.onChange?.(f.name, "start");
  }

  /** Ends a fault in force now (reverts it); false when none of that name is. */
  end(name: string): boolean {
    const active = this.active.get(name);
    if (!active) return false;
    this.active.delete(name);
    // What was changed may be gone by now (a scaled Deployment deleted meanwhile): say so, go on.
    const error = failure(active.revert);
    if (error) active.record.undoError = error;
    active.record.until = this.world.sim.now;
    this.trace(active.record, "end", error);
    this.options.onChange?.(name, "end");
    return true;
  }

  private trace(record: FaultRecord, phase: "start" | "end", error = ""): void {
    if (this.world.sim.trace.summary) {
      this.world.sim.trace.record("scenario.fault", { name: record.name, action: record.action, phase, target: record.target, error });
    }
  }

  /** Does what the fault says; returns how to revert it, or nothing for an instant fault. */
  private act(f: FaultSpec, record: FaultRecord): { revert: () => void; net?: NetFault } | undefined {
    const network = this.world.network;
    const a = f.action;
    switch (a.kind) {
      case "partition":
      case "hold":
      case "delay":
      case "loss":
      case "duplicate": {
        record.target = `${describeSelector(a.from)} ${arrow(a.direction)} ${describeSelector(a.to)}`;
        const options = { direction: a.direction };
        const net =
          a.kind === "partition"
            ? network.partition(a.from, a.to, options)
            : a.kind === "hold"
              ? network.hold(a.from, a.to, options)
              : a.kind === "delay"
                ? network.delay(a.from, a.to, { ...options, latency: a.latency, jitter: a.jitter, correlation: a.correlation / 100 })
                : a.kind === "loss"
                  ? network.loss(a.from, a.to, { ...options, loss: a.loss / 100, correlation: a.correlation / 100 })
                  : network.duplicate(a.from, a.to, { ...options, duplicate: a.duplicate / 100, correlation: a.correlation / 100 });
        return { revert: () => network.revert(net), net };
      }
      case "heal":
      case "release": {
        const kind = a.kind === "heal" ? "partition" : "hold";
        record.target = a.fault ?? `every ${kind}`;
        for (const [name, active] of [...this.active]) {
          if (active.net?.action === kind && (a.fault === undefined || a.fault === name)) this.end(name);
        }
        return undefined;
      }
      case "kill": {
        const pods = this.choose(f.name, a.target, record);
        for (const p of pods) this.world.cluster(a.target.cluster).api.delete("Pod", a.target.namespace, p);
        return undefined;
      }
      case "failure": {
        const cluster = this.world.cluster(a.target.cluster);
        const failed = this.choose(f.name, a.target, record).flatMap((name) => {
          const host = cluster.podHost(a.target.namespace, name);
          if (!host) return [];
          network.setHostUp(host, false);
          cluster.setPodReady(a.target.namespace, name, false);
          return [{ name, host }];
        });
        return {
          revert: () => {
            for (const { name, host } of failed) {
              // A pod deleted meanwhile (its host gone with it) stays gone.
              if (cluster.podHost(a.target.namespace, name) !== host) continue;
              network.setHostUp(host, true);
              cluster.setPodReady(a.target.namespace, name, true);
            }
          },
        };
      }
      case "scale": {
        record.target = `${a.cluster}: ${a.workload} ${a.namespace}/${a.name} to ${a.replicas}`;
        const api = this.world.cluster(a.cluster).api;
        const set = (replicas: number): number => {
          const w = api.get(a.workload, a.namespace, a.name) as Readonly<Deployment | StatefulSet> | undefined;
          if (!w) throw new WorldError(`cluster ${a.cluster} has no ${a.workload} ${a.namespace}/${a.name} to scale`);
          api.update({ ...w, spec: { ...w.spec, replicas } } as Deployment | StatefulSet);
          return w.spec.replicas ?? 1;
        };
        const before = set(a.replicas);
        return f.for === undefined ? undefined : { revert: () => set(before) };
      }
      case "dnsChaos": {
        const from = a.from ? { namespace: "default", ...a.from } : undefined;
        record.target = `${a.cluster}: ${a.action} for ${a.patterns.length ? a.patterns.join(", ") : "every name"}${from ? ` from ${describePick(from)}` : ""}`;
        const clients = from ? this.podAddresses(a.cluster, from, f.name) : undefined;
        const handle = this.chaos.get(a.cluster)!.add({ action: a.action, patterns: a.patterns, ...(clients ? { clients: clients.has } : {}) });
        return {
          revert: () => {
            handle.remove();
            clients?.stop();
          },
        };
      }
      case "httpFault": {
        // The pods as they are now, as Chaos Mesh selects them when the experiment starts: a pod
        // that replaces one of them later runs its app unharmed.
        const removes = this.choose(f.name, a.target, record).flatMap((pod) =>
          this.world.http
            .serversOf(a.target.cluster, a.target.namespace, pod)
            .filter((s) => a.port === undefined || s.address?.port === a.port)
            .map((s) => s.addFault(a.fault)),
        );
        if (a.port !== undefined) record.target = `${record.target} port ${a.port}`;
        return { revert: () => removes.forEach((remove) => remove()) };
      }
      case "apply":
        record.target = `${a.source} to ${a.clusters.join(", ")}`;
        for (const c of a.clusters) this.world.apply(c, a.objects);
        return undefined;
      case "delete":
        record.target = `${a.cluster}: ${a.object.kind} ${a.object.namespace}/${a.object.name}`;
        this.world.cluster(a.cluster).api.delete(a.object.kind as Kind, a.object.namespace, a.object.name);
        return undefined;
      case "leave":
      case "join": {
        record.target = a.cluster;
        this.membership(a.cluster, a.kind);
        return a.kind === "leave" ? { revert: () => this.membership(a.cluster, "join") } : undefined;
      }
    }
  }

  /** A member of the clusterset leaves it, or one that left joins it again. */
  private membership(cluster: string, change: "join" | "leave"): void {
    const set = this.options.clusterSet;
    if (!set) throw new WorldError(`${change}: the world has no MCS clusterset (spec.patterns.mcs)`);
    const member = set.clusters.includes(cluster);
    if (change === "leave" && !member) throw new WorldError(`cluster ${cluster} is not in clusterset ${set.name} at this point: it has left already`);
    if (change === "join" && member) throw new WorldError(`cluster ${cluster} is in clusterset ${set.name} already: only a cluster that left can join`);
    if (change === "leave") set.leave(cluster);
    else set.join(this.world.cluster(cluster));
  }

  /**
   * The addresses of the pods a selection picks, as a watch of the cluster's pods last showed
   * them: a DNSChaos `from` applies to the pods as they are when each query comes, so that pods
   * that get their address after the fault starts (a fault at 0s, before any pod runs) or that
   * replace killed ones are picked too.
   */
  private podAddresses(cluster: string, pick: PodPick, name: string): { has: (ip: string) => boolean; stop: () => void } {
    const c = this.world.cluster(cluster);
    let addresses: Set<string> | undefined;
    const stop = c.watch("Pod", `faults/${name}`, () => {
      addresses = undefined;
    });
    const has = (ip: string): boolean => {
      addresses ??= new Set(pickPods(c.api, pick).flatMap((p) => (p.status?.podIP ? [p.status.podIP] : [])));
      return addresses.has(ip);
    };
    return { has, stop };
  }

  /** The pods a pod fault acts on, picked as Chaos Mesh's `mode` says, from the fault's own random stream. */
  private choose(name: string, target: PodTarget, record: FaultRecord): string[] {
    const pods = pickPods(this.world.cluster(target.cluster).api, target).map((p) => p.metadata.name);
    const n =
      target.mode === "all" ? pods.length : target.mode === "one" ? 1 : target.mode === "fixed" ? target.value! : Math.floor((pods.length * target.value!) / 100);
    const chosen = this.world.sim.rng.stream(`faults/${name}`).shuffle([...pods]).slice(0, Math.min(n, pods.length)).sort();
    record.target = `${target.cluster}: ${chosen.length ? chosen.map((p) => `${target.namespace}/${p}`).join(", ") : "no pod matched"}`;
    return chosen;
  }
}

/** Runs a step of a fault (acting, or undoing); returns why the cluster refused it, or nothing. */
function failure(step: () => void): string | undefined {
  try {
    step();
    return undefined;
  } catch (e) {
    if (!(e instanceof ApiError || e instanceof WorldError)) throw e;
    return e.message;
  }
}

/** `default/client`, `default/app=web`: the pods a selection names, in words. */
function describePick(pick: PodPick): string {
  const labels = Object.entries(pick.labels ?? {}).map(([k, v]) => `${k}=${v}`);
  return `${pick.namespace}/${[...(pick.pod !== undefined ? [pick.pod] : []), ...labels].join(",")}`;
}

/** Faults that act at one instant unless given a `for` (only scale takes one). */
export const INSTANT_ACTIONS: ReadonlySet<FaultAction["kind"]> = new Set(["heal", "release", "kill", "apply", "delete", "scale", "join"]);

function arrow(direction: "to" | "from" | "both"): string {
  return direction === "to" ? "->" : direction === "from" ? "<-" : "<->";
}
