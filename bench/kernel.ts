import { mkdtempSync, openSync, closeSync, writeSync, rmSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import FlatQueue from "flatqueue";
import { Actor, Network, Rng, Sim, Topology, type Address, type Message } from "../src/index.js";
import { best, meets, type Benchmark, type Figure } from "./figure.js";

/**
 * The kernel benchmark of issue 2: the event queue against the flatqueue floor on the classic hold
 * model, and actor ping-pong over the network model with tracing off and with the full trace
 * written to a file.
 */

const HOLDS = 2_000_000;

/** Increments for the hold model: integer microseconds, exponential with mean 1ms, drawn once so both queues see the same work. */
function increments(n: number): Float64Array {
  const rng = Rng.root(42).stream("bench/hold");
  const out = new Float64Array(n);
  for (let i = 0; i < n; i++) out[i] = 1 + Math.round(rng.exponential(1000));
  return out;
}

function holdFlatqueue(pending: number, inc: Float64Array): number {
  const q = new FlatQueue<number>(pending + 1, Float64Array, Uint32Array);
  for (let i = 0; i < pending; i++) q.push(i, inc[i % inc.length]!);
  const start = process.hrtime.bigint();
  for (let i = 0; i < HOLDS; i++) {
    const t = q.peekValue()!;
    const id = q.pop()!;
    q.push(id, t + inc[i % inc.length]!);
  }
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return HOLDS / seconds;
}

function holdScheduler(pending: number, inc: Float64Array): number {
  const sim = new Sim({ seed: 1 });
  let i = 0;
  const hold = (): void => {
    sim.after(inc[i++ % inc.length]!, hold);
  };
  for (let k = 0; k < pending; k++) sim.at(inc[k % inc.length]!, hold);
  const start = process.hrtime.bigint();
  sim.maxEvents = HOLDS;
  sim.runUntilIdle();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  return sim.eventsRun / seconds;
}

/** Bounces a ball back to whoever sent it. */
class Player extends Actor {
  constructor(sim: Sim, name: string) {
    super(sim, { cluster: "bench", namespace: "default", name });
    this.handle<number>("ball", (m: Message<number>) => this.reply(m, "ball", m.body + 1));
  }
  serve(to: Address): void {
    this.send(to, "ball", 0);
  }
}

const PINGPONG_EVENTS = 2_000_000;

/** 100 pairs of players on different nodes of one cluster keep 100 balls in the air. */
function pingpong(traceFile: string | null): number {
  let fd: number | null = null;
  if (traceFile) fd = openSync(traceFile, "w");
  const file = fd;
  const sim = new Sim({
    seed: 7,
    name: "bench-pingpong",
    maxEvents: PINGPONG_EVENTS,
    traceLevel: file === null ? "off" : "full",
    traceSinks: file === null ? [] : [(chunk) => writeSync(file, chunk)],
  });
  const topology = new Topology();
  const cluster = topology.addCluster({ name: "bench", region: "r1", zones: ["z1", "z2"], nodesPerZone: 4 });
  const net = new Network(sim, topology);
  for (let p = 0; p < 100; p++) {
    const a = new Player(sim, `a-${p}`);
    const b = new Player(sim, `b-${p}`);
    const ha = net.addHost({ name: `a-${p}`, node: cluster.nodes[p % 8]! });
    const hb = net.addHost({ name: `b-${p}`, node: cluster.nodes[(p + 3) % 8]! });
    net.bind(a, ha, 9000);
    const addrB = net.bind(b, hb, 9000);
    a.serve(addrB);
  }
  const start = process.hrtime.bigint();
  sim.runUntilIdle();
  sim.trace.flush();
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (file !== null) closeSync(file);
  return sim.eventsRun / seconds;
}

function ratioFigure(figure: string, value: number, baseline: string, baseValue: number, target: string): Figure {
  const ratio = value / baseValue;
  return { bench: "kernel", figure, value, unit: "events/s", baseline, ratio, target, pass: meets(target, ratio) };
}

function absoluteFigure(figure: string, value: number, target?: string): Figure {
  return { bench: "kernel", figure, value, unit: "events/s", ...(target ? { target, pass: meets(target, value) } : {}) };
}

export const kernel: Benchmark = {
  name: "kernel",
  description: "event queue vs flatqueue on the hold model; actor ping-pong with tracing off and full",
  run(): Figure[] {
    const figures: Figure[] = [];
    const inc = increments(1 << 16);
    for (const [label, pending] of [["1k", 1_000], ["100k", 100_000]] as const) {
      // Interleave the two so that a burst of load elsewhere hits both alike; keep the best of 3.
      let floor = 0;
      let ours = 0;
      for (let round = 0; round < 3; round++) {
        floor = Math.max(floor, holdFlatqueue(pending, inc));
        ours = Math.max(ours, holdScheduler(pending, inc));
      }
      figures.push(absoluteFigure(`flatqueue.hold.${label}`, floor));
      figures.push(ratioFigure(`scheduler.hold.${label}`, ours, `flatqueue.hold.${label}`, floor, ">=0.5"));
    }
    figures.push(absoluteFigure("actors.pingpong.trace-off", best(3, () => pingpong(null)), ">=1000000"));
    const dir = mkdtempSync(join(tmpdir(), "mcsim-bench-"));
    try {
      const file = join(dir, "trace.ndjson");
      const rate = best(3, () => pingpong(file));
      figures.push(absoluteFigure("actors.pingpong.trace-full", rate, ">=300000"));
      figures.push({ bench: "kernel", figure: "actors.pingpong.trace-full.bytes-per-event", value: statSync(file).size / PINGPONG_EVENTS, unit: "bytes" });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
    return figures;
  },
};
