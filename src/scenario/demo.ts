import { LatencyRecorder, type LatencySummary } from "../metrics/latency.js";
import { Network, type NetworkStats } from "../net/network.js";
import { Topology } from "../net/topology.js";
import { Actor, address, type Address, type Message } from "../sim/actor.js";
import type { Rng, Seed } from "../sim/rng.js";
import type { RunResult } from "../sim/scheduler.js";
import { Sim } from "../sim/sim.js";
import { MILLISECOND, SECOND, type Micros } from "../sim/time.js";
import type { TraceLevel, TraceSink } from "../sim/trace.js";

/**
 * The built-in demo: two clusters in two regions, echo servers and clients in each, and a
 * partition between the clusters in the middle of the run. Clients ping one server in their own
 * cluster and one in the other, so the report shows local traffic carrying on while cross-cluster
 * traffic times out, and recovering after the heal.
 */

/** Options of {@link runDemo}. */
export interface DemoOptions {
  readonly seed: Seed;
  /** Simulated length of the run; default 60s. */
  readonly duration?: Micros;
  /** When the partition starts; default a third of the way in. */
  readonly partitionAt?: Micros;
  /** How long it lasts; default a quarter of the run. */
  readonly partitionFor?: Micros;
  /** Pings per second from each client; default 50. */
  readonly rate?: number;
  readonly traceLevel?: TraceLevel;
  readonly traceSinks?: readonly TraceSink[];
  readonly maxEvents?: number;
}

/** Which server a ping went to. */
export type Target = "local" | "remote";

/** One row of the report: pings of one phase to one kind of target. */
export interface DemoRow {
  readonly phase: "before" | "during" | "after";
  readonly target: Target;
  readonly sent: number;
  readonly answered: number;
  readonly timedOut: number;
  /** Round-trip times of the answered pings, in microseconds. */
  readonly rtt: LatencySummary;
}

/** What a demo run measured. */
export interface DemoReport {
  readonly seed: Seed;
  readonly duration: Micros;
  readonly partition: { readonly at: Micros; readonly until: Micros };
  readonly rows: readonly DemoRow[];
  readonly network: NetworkStats;
  readonly run: RunResult;
  readonly events: number;
  readonly traceLevel: TraceLevel;
  readonly traceEvents: number;
  readonly digest: string;
}

const PING_TIMEOUT = 1 * SECOND;
const ECHO_PORT = 7;
const PHASES = ["before", "during", "after"] as const;
const TARGETS: readonly Target[] = ["local", "remote"];

/** Answers every `ping` with a `pong`, serving a few at a time. */
class EchoServer extends Actor {
  constructor(sim: Sim, cluster: string, name: string) {
    super(sim, { cluster, namespace: "demo", name }, {
      service: { workers: 4, queueLimit: 256, serviceTime: { kind: "lognormal", median: 200, p99: 1 * MILLISECOND } },
    });
    this.handle<number>("ping", (m) => this.reply(m, "pong", m.body));
  }
}

interface Outstanding {
  readonly sentAt: Micros;
  readonly row: Recorder;
  readonly timer: { cancel(): boolean };
}

interface Recorder {
  sent: number;
  answered: number;
  timedOut: number;
  readonly rtt: LatencyRecorder;
}

/** Sends pings at Poisson arrivals, alternating between a local and a remote server. */
class Client extends Actor {
  private seq = 0;
  private readonly outstanding = new Map<number, Outstanding>();
  private readonly rng: Rng;

  constructor(
    sim: Sim,
    cluster: string,
    name: string,
    private readonly targets: readonly [Address, Address],
    private readonly rate: number,
    private readonly phaseOf: (t: Micros) => number,
    private readonly recorders: Recorder[][],
  ) {
    super(sim, { cluster, namespace: "demo", name });
    this.rng = sim.rng.stream(`actor/${this.label}/arrivals`);
    this.handle<number>("pong", (m) => this.answered(m));
  }

  start(): void {
    this.sim.after(this.nextGap(), this.tick);
  }

  private nextGap(): Micros {
    return Math.max(1, Math.round(this.rng.exponential(SECOND / this.rate)));
  }

  private readonly tick = (): void => {
    const seq = ++this.seq;
    const target = seq % 2;
    const row = this.recorders[this.phaseOf(this.sim.now)]![target]!;
    row.sent++;
    this.send(this.targets[target]!, "ping", seq);
    const timer = this.sim.timer(PING_TIMEOUT, this.timedOut, seq);
    this.outstanding.set(seq, { sentAt: this.sim.now, row, timer });
    this.sim.after(this.nextGap(), this.tick);
  };

  private answered(m: Message<number>): void {
    const o = this.outstanding.get(m.body);
    if (!o) return;
    this.outstanding.delete(m.body);
    o.timer.cancel();
    o.row.answered++;
    o.row.rtt.record(this.sim.now - o.sentAt);
  }

  private readonly timedOut = (seq: number): void => {
    const o = this.outstanding.get(seq);
    if (!o) return;
    this.outstanding.delete(seq);
    o.row.timedOut++;
  };
}

/** Builds the demo world, runs it and returns what it measured. */
export function runDemo(options: DemoOptions): DemoReport {
  const duration = options.duration ?? 60 * SECOND;
  const partitionAt = options.partitionAt ?? Math.round(duration / 3);
  const partitionUntil = partitionAt + (options.partitionFor ?? Math.round(duration / 4));
  const sim = new Sim({
    seed: options.seed,
    name: "demo",
    traceLevel: options.traceLevel ?? "off",
    traceSinks: options.traceSinks ?? [],
    ...(options.maxEvents === undefined ? {} : { maxEvents: options.maxEvents }),
  });
  const topology = new Topology();
  topology.addCluster({ name: "cluster-a", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"], nodesPerZone: 2 });
  topology.addCluster({ name: "cluster-b", region: "eu-west-1", zones: ["eu-west-1a", "eu-west-1b"], nodesPerZone: 2 });
  const net = new Network(sim, topology);

  const recorders: Recorder[][] = PHASES.map(() =>
    TARGETS.map(() => ({ sent: 0, answered: 0, timedOut: 0, rtt: new LatencyRecorder() })),
  );
  const phaseOf = (t: Micros) => (t < partitionAt ? 0 : t < partitionUntil ? 1 : 2);

  const servers = new Map<string, Address[]>();
  for (const cluster of topology.clusters.values()) {
    const addresses: Address[] = [];
    cluster.nodes.slice(0, 2).forEach((node, i) => {
      const server = new EchoServer(sim, cluster.name, `echo-${i}`);
      const host = net.addHost({ name: `${cluster.name}/echo-${i}`, node });
      net.bind(server, host, ECHO_PORT);
      addresses.push(address(host.ip, ECHO_PORT));
    });
    servers.set(cluster.name, addresses);
  }
  const clients: Client[] = [];
  for (const cluster of topology.clusters.values()) {
    const other = cluster.name === "cluster-a" ? "cluster-b" : "cluster-a";
    cluster.nodes.slice(2).forEach((node, i) => {
      const local = servers.get(cluster.name)![i % 2]!;
      const remote = servers.get(other)![i % 2]!;
      const client = new Client(sim, cluster.name, `client-${i}`, [local, remote], options.rate ?? 50, phaseOf, recorders);
      const host = net.addHost({ name: `${cluster.name}/client-${i}`, node });
      net.bind(client, host, 40000);
      clients.push(client);
    });
  }

  for (const c of clients) c.start();
  let partition: ReturnType<Network["partition"]> | undefined;
  sim.at(partitionAt, () => {
    partition = net.partition({ clusters: ["cluster-a"] }, { clusters: ["cluster-b"] });
  });
  sim.at(partitionUntil, () => net.heal(partition));
  const run = sim.runUntil(duration);
  sim.trace.flush();

  const rows: DemoRow[] = [];
  PHASES.forEach((phase, p) =>
    TARGETS.forEach((target, t) => {
      const r = recorders[p]![t]!;
      rows.push({ phase, target, sent: r.sent, answered: r.answered, timedOut: r.timedOut, rtt: r.rtt.summary() });
    }),
  );
  return {
    seed: options.seed,
    duration,
    partition: { at: partitionAt, until: partitionUntil },
    rows,
    network: net.stats,
    run,
    events: sim.eventsRun,
    traceLevel: sim.trace.level,
    traceEvents: sim.trace.count,
    digest: sim.trace.digest(),
  };
}
