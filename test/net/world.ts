/**
 * Small worlds for the network tests: a Sim, a Topology, a Network, and probe actors that record
 * what reaches them (with the instant it arrived).
 */
import {
  Actor,
  LINK_SCOPES,
  Network,
  Sim,
  Topology,
  address,
  constant,
  type Address,
  type ClusterSpec,
  type Host,
  type LinkProfile,
  type LinkScope,
  type Message,
  type NetworkOptions,
  type Node,
  type TraceLevel,
  type TraceSink,
} from "../../src/index.js";

/** One message as a probe saw it arrive. */
export interface Arrival {
  readonly t: number;
  readonly id: number;
  readonly kind: string;
  readonly from: string;
  readonly to: string;
  readonly sentAt: number;
  readonly body: unknown;
}

/** An actor that records every message of the given kinds (default `msg`) and the instant it arrived. */
export class Probe extends Actor {
  readonly got: Arrival[] = [];

  constructor(sim: Sim, name: string, kinds: readonly string[] = ["msg"], onReceive?: (m: Message, probe: Probe) => void) {
    super(sim, { cluster: "", namespace: "test", name });
    for (const kind of kinds) {
      this.handle(kind, (m: Message) => {
        this.got.push({ t: sim.now, id: m.id, kind: m.kind, from: m.from.text, to: m.to.text, sentAt: m.sentAt, body: m.body });
        onReceive?.(m, this);
      });
    }
  }

  /** Sends `kind` with `body` to `to` at instant `t`. */
  sendAt(t: number, to: Address, body: unknown = null, kind = "msg"): void {
    this.sim.at(t, () => this.send(to, kind, body));
  }

  /** The bodies received, in arrival order. */
  bodies(): unknown[] {
    return this.got.map((a) => a.body);
  }

  /** The arrival instants, in arrival order. */
  times(): number[] {
    return this.got.map((a) => a.t);
  }
}

/** Every scope with a constant latency of `latency` microseconds (and nothing else). */
export function flatLinks(latency: number, extra: Omit<LinkProfile, "latency"> = {}): Partial<Record<LinkScope, LinkProfile>> {
  const links: Partial<Record<LinkScope, LinkProfile>> = {};
  for (const scope of LINK_SCOPES) links[scope] = { latency: constant(latency), ...extra };
  return links;
}

/** Two clusters in two regions: `a` (zones us-east-1a, us-east-1b, two nodes each) and `b` (eu-west-1a, one node). */
export const TWO_CLUSTERS: readonly ClusterSpec[] = [
  { name: "a", region: "us-east-1", zones: ["us-east-1a", "us-east-1b"], nodesPerZone: 2 },
  { name: "b", region: "eu-west-1", zones: ["eu-west-1a"] },
];

export interface WorldOptions {
  readonly seed?: number;
  readonly clusters?: readonly ClusterSpec[];
  readonly links?: NetworkOptions["links"];
  readonly traceLevel?: TraceLevel;
  readonly sinks?: readonly TraceSink[];
}

export interface World {
  readonly sim: Sim;
  readonly topology: Topology;
  readonly net: Network;
}

/** A world with the given clusters (default {@link TWO_CLUSTERS}) and links (default: the built-in ones). */
export function makeWorld(options: WorldOptions = {}): World {
  const sim = new Sim({ seed: options.seed ?? 1, traceLevel: options.traceLevel ?? "off", traceSinks: options.sinks ?? [] });
  const topology = new Topology();
  for (const spec of options.clusters ?? TWO_CLUSTERS) topology.addCluster(spec);
  const net = new Network(sim, topology, options.links ? { links: options.links } : {});
  return { sim, topology, net };
}

/** A host with a probe bound on `port`. */
export interface Endpoint {
  readonly host: Host;
  readonly probe: Probe;
  readonly addr: Address;
}

/** Adds a host named `name` on `node` with a probe listening on `port` (default 80). */
export function spawn(
  w: World,
  name: string,
  node: Node | string,
  options: {
    readonly port?: number;
    readonly ip?: string;
    readonly kinds?: readonly string[];
    readonly onReceive?: (m: Message, probe: Probe) => void;
  } = {},
): Endpoint {
  const host = w.net.addHost(options.ip === undefined ? { name, node } : { name, node, ip: options.ip });
  const probe = new Probe(w.sim, name, options.kinds ?? ["msg"], options.onReceive);
  const port = options.port ?? 80;
  w.net.bind(probe, host, port);
  return { host, probe, addr: address(host.ip, port) };
}

/** The drop counters as a plain object. */
export function drops(net: Network): Record<string, number> {
  return Object.fromEntries(net.stats.dropped);
}

/** The sum of all drop counters. */
export function totalDropped(net: Network): number {
  let n = 0;
  for (const v of net.stats.dropped.values()) n += v;
  return n;
}

/** Parses NDJSON trace chunks into objects, header included. */
export function parseTrace(chunks: readonly string[]): Record<string, unknown>[] {
  return chunks
    .join("")
    .split("\n")
    .filter((l) => l.length > 0)
    .map((l) => JSON.parse(l) as Record<string, unknown>);
}
