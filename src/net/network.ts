import type { Actor, Address, Message, Transport } from "../sim/actor.js";
import { sample } from "../sim/distribution.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import type { Micros } from "../sim/time.js";
import { NetFault, type DelayParams, type Direction, type DuplicateParams, type LossParams, type NetFaultAction } from "./fault.js";
import { Host, type BoundAddress } from "./host.js";
import { checkLinkProfile, DEFAULT_LINKS, LinkError, scopeBetween, type LinkProfile, type LinkScope } from "./link.js";
import { checkSelector, describeSelector, type HostSelector } from "./selector.js";
import { Cidr, parseIpv4 } from "./ip.js";
import { EXTERNAL_NETWORK, TopologyError, type Node, type Topology } from "./topology.js";

declare module "../sim/trace.js" {
  interface TraceEventMap {
    /** A message left its sender (full level). */
    send: { id: number; kind: string; from: string; to: string };
    /** A message reached its receiver after `latency` microseconds (full level). */
    deliver: { id: number; kind: string; from: string; to: string; latency: number };
    /** A message was lost, and why: partition, loss, no-route, host-down, port-closed, queue-full, no-handler (full level). */
    drop: { id: number; kind: string; from: string; to: string; reason: string };
    /** A network fault began (summary level). */
    fault: { id: number; action: string; a: string; b: string; direction: string };
    /** A network fault ended; for a hold, `released` messages went on their way (summary level). */
    revert: { id: number; action: string; released: number };
  }
}

/** Why a message did not arrive. */
export type DropReason =
  | "partition"
  | "loss"
  | "no-route"
  | "no-endpoints"
  | "host-down"
  | "port-closed"
  | "queue-full"
  | "no-handler"
  | (string & {});

/**
 * The kinds of the two TCP segments the network itself understands: a connection's opening SYN,
 * and the RST a kernel answers it with when nothing listens on the port, or kube-proxy's REJECT
 * rule when the Service has no endpoints. Everything else about TCP is the endpoints' business
 * (`src/http/`); the network only carries it.
 */
export const TCP_SYN = "tcp.syn";
/** See {@link TCP_SYN}. The RST carries the SYN's body back, so that the sender can tell which connection was refused. */
export const TCP_RST = "tcp.rst";

/** Counters of everything the network carried, kept whatever the trace level. */
export interface NetworkStats {
  sent: number;
  delivered: number;
  /** Extra copies made by duplication. */
  duplicated: number;
  /** Messages that waited in a hold. */
  held: number;
  /** Dropped messages by reason, in the order reasons first occurred. */
  readonly dropped: Map<string, number>;
}

/** How to add a host. */
export interface HostSpec {
  readonly name: string;
  /** The node it runs on, or its name. */
  readonly node: Node | string;
  /** Its address; default: the next free one in the node's pod range (a host outside clusters must be given one). */
  readonly ip?: string;
}

/** Options of a {@link Network}. */
export interface NetworkOptions {
  /** Link profiles per scope, replacing {@link DEFAULT_LINKS} for the scopes given. */
  readonly links?: Partial<Record<LinkScope, LinkProfile>>;
}

/** The links between two nodes, one way, resolved once and cached. */
interface NodeLink {
  readonly profile: LinkProfile;
  readonly rng: Rng;
  readonly scope: LinkScope;
  /** True when the profile needs nothing but a latency draw. */
  readonly plain: boolean;
}

/** Everything that decides the fate of messages from one host to one address, cached per pair. */
interface Path {
  version: number;
  readonly src: Host;
  readonly ip: string;
  /** The network the address is on when it is not the sender's view (a load balancer's backend or client); null otherwise. */
  readonly network: string | null;
  dst: Host | null;
  link: NodeLink | null;
  blocked: NetFault | null;
  hold: NetFault | null;
  readonly delays: NetFault[];
  readonly losses: NetFault[];
  readonly duplicates: NetFault[];
  /** No fault applies and the link is plain: only a latency draw. */
  plain: boolean;
  /** Set when the address is a virtual one: where each message to it really goes. */
  virtual: VirtualRoute | null;
  /** The last port a message took here, and who listened on it at `dst` (undefined: nobody). */
  listenerPort: number;
  listener: Actor | undefined;
}

/**
 * Picks where a message sent to a virtual address (a Service's cluster IP) really goes, as
 * kube-proxy's rules do: a backend address; null when there is none (the message is dropped,
 * `no-endpoints`, as kube-proxy rejects traffic to a Service without endpoints); or undefined when
 * the sender has no rules for that address at all, being outside the cluster whose kube-proxy
 * wrote them (dropped, `no-route`).
 */
export type VirtualRoute = (src: Host, port: number) => Address | null | undefined;

/**
 * Sees the messages the network carries, for captures (a pcap of DNS): told of every message as
 * it leaves its sender and as it reaches its receiver. It must only look: never send, never
 * change a message, never touch the world's RNG, so that a run with a tap is the run without.
 */
export interface NetworkTap {
  /**
   * A message left its sender, before the network decides its fate (so also the ones it then
   * drops): `from` is the address it appears to come from (a Service's, for a reply through
   * kube-proxy), `to` the address it was sent to, before destination NAT.
   */
  sent(at: Micros, from: Address, to: Address, kind: string, body: unknown): void;
  /** A message reached the actor listening at its destination; each copy of a duplicated one. */
  delivered(at: Micros, message: Message): void;
}

/** A message in flight: the public {@link Message} plus what delivery needs. */
class Envelope implements Message {
  constructor(
    readonly id: number,
    readonly kind: string,
    readonly from: Address,
    readonly to: Address,
    readonly body: unknown,
    readonly sentAt: Micros,
    readonly path: Path,
    readonly via: Address | undefined,
  ) {}
}

interface HeldMessage {
  readonly envelope: Envelope;
  readonly arrival: Micros;
}

const pairKey = (a: string, b: string) => `${a}\u0000${b}`;

/** Where LoadBalancer addresses come from. */
const EXTERNAL_POOL = Cidr.parse("203.0.113.0/24");

/**
 * The network: hosts with addresses, links with latency and loss between them, faults, and
 * delivery of messages between actors as scheduled events. It is the {@link Transport} of every
 * actor bound to it.
 *
 * What happens to a message from host S to address D is worked out once per (S, D) and cached
 * (a {@link Path}); any change of hosts, links or faults bumps a version that makes the cached
 * paths work themselves out again on next use. So the hot path of a send is a map lookup, a
 * latency draw and a push onto the event queue.
 */
export class Network implements Transport {
  readonly stats: NetworkStats = { sent: 0, delivered: 0, duplicated: 0, held: 0, dropped: new Map() };
  /** What sees every message sent and delivered, if anything: set it before the run starts, so that it sees every exchange whole. */
  tap: NetworkTap | null = null;

  private version = 0;
  private nextMessageId = 1;
  private nextFaultId = 1;
  private readonly scopeLinks: Record<LinkScope, LinkProfile>;
  private readonly pairLinks = new Map<string, LinkProfile>();
  private readonly nodeLinks = new Map<string, NodeLink>();
  private readonly hostsByNetwork = new Map<string, Map<string, Host>>();
  private readonly hostsByName = new Map<string, Host>();
  private readonly paths = new Map<Host, Map<string, Path>>();
  private readonly nextPodIndex = new Map<Node, number>();
  private readonly faults: NetFault[] = [];
  private readonly virtuals = new Map<string, Map<string, VirtualRoute>>();
  /**
   * For each pod address that reached a host outside the clusters, the network it is on: by the
   * address alone, and by `outsideIp`, `podIp` for the host it reached.
   */
  private readonly returnNetworks = new Map<string, string>();
  private readonly externalTaken = new Set<string>();
  /** The network of the backends of each external virtual address that has one (see {@link addVirtualAddress}). */
  private readonly backendNetworks = new Map<string, string>();
  /**
   * For replies through a load balancer across networks: by `lbIp`, `clientIp`, the network of
   * the client that reached it, as the load balancer's connection tracking remembers it.
   */
  private readonly natReturns = new Map<string, string>();

  constructor(
    readonly sim: Sim,
    readonly topology: Topology,
    options: NetworkOptions = {},
  ) {
    this.scopeLinks = { ...DEFAULT_LINKS };
    for (const [scope, profile] of Object.entries(options.links ?? {}) as [LinkScope, LinkProfile][]) {
      this.setLink(scope, profile);
    }
  }

  // ---- links ------------------------------------------------------------------------------

  /** Sets the profile of every link of one scope (unless a cluster pair overrides it). */
  setLink(scope: LinkScope, profile: LinkProfile): void {
    if (!(scope in DEFAULT_LINKS)) throw new LinkError(`unknown link scope ${JSON.stringify(scope)}; expected one of ${Object.keys(DEFAULT_LINKS).join(", ")}`);
    this.scopeLinks[scope] = checkLinkProfile(profile);
    this.linksChanged();
  }

  /**
   * Sets the profile between two clusters, overriding the scope's, both ways unless
   * `oneWay` is set (then only from `from` to `to`).
   */
  setClusterLink(from: string, to: string, profile: LinkProfile, options: { readonly oneWay?: boolean } = {}): void {
    this.topology.cluster(from);
    this.topology.cluster(to);
    checkLinkProfile(profile);
    this.pairLinks.set(pairKey(from, to), profile);
    if (!options.oneWay) this.pairLinks.set(pairKey(to, from), profile);
    this.linksChanged();
  }

  /** The profile in force from one node to another. */
  linkBetween(from: Node, to: Node): LinkProfile {
    return this.nodeLink(from, to).profile;
  }

  private linksChanged(): void {
    this.nodeLinks.clear();
    this.version++;
  }

  private nodeLink(from: Node, to: Node): NodeLink {
    const key = pairKey(from.name, to.name);
    let link = this.nodeLinks.get(key);
    if (!link) {
      const scope = scopeBetween(from, to);
      const pair = from.cluster && to.cluster && from !== to ? this.pairLinks.get(pairKey(from.cluster.name, to.cluster.name)) : undefined;
      const profile = pair ?? this.scopeLinks[scope];
      const plain = !profile.jitter && !profile.loss && !profile.duplicate && !profile.reorder?.probability;
      link = { profile, scope, plain, rng: this.sim.rng.stream(`link/${from.name}/${to.name}`) };
      this.nodeLinks.set(key, link);
    }
    return link;
  }

  // ---- hosts and actors -------------------------------------------------------------------

  /** Adds a host: a pod on a cluster node, or a machine on an external node. */
  addHost(spec: HostSpec): Host {
    const node = typeof spec.node === "string" ? this.topology.node(spec.node) : spec.node;
    if (this.hostsByName.has(spec.name)) throw new TopologyError(`there is already a host named ${spec.name}`);
    const byIp = this.hostsOn(node.network);
    if (spec.ip !== undefined) {
      try {
        parseIpv4(spec.ip);
      } catch (e) {
        throw new TopologyError(`host ${spec.name}: ${(e as Error).message}`);
      }
    }
    const ip = spec.ip ?? this.allocatePodIp(node, byIp);
    if (byIp.has(ip)) throw new TopologyError(`host ${spec.name}: address ${ip} is already used by ${byIp.get(ip)!.name} on network "${node.network}"`);
    const host = new Host(spec.name, ip, node, node.network);
    byIp.set(ip, host);
    this.hostsByName.set(host.name, host);
    this.version++;
    return host;
  }

  /** Removes a host: messages to its address are dropped from now on (`no-route`). */
  removeHost(host: Host): void {
    if (!host.attached) return;
    host.attached = false;
    this.hostsOn(host.network).delete(host.ip);
    this.hostsByName.delete(host.name);
    this.paths.delete(host);
    this.version++;
  }

  /**
   * Marks a host down (a killed pod) or up again. Messages reaching a down host are dropped
   * (`host-down`), and so are messages a down host tries to send.
   */
  setHostUp(host: Host, up: boolean): void {
    if (host.up === up) return;
    host.up = up;
    this.version++;
  }

  /** Every host on the network, in the order they were added. */
  hosts(): IterableIterator<Host> {
    return this.hostsByName.values();
  }

  /** The host of this name, if any. */
  host(name: string): Host | undefined {
    return this.hostsByName.get(name);
  }

  /** Binds an actor to a port of a host; it is then reachable at the returned address and can send. */
  bind(actor: Actor, host: Host, port: number): Address {
    if (!host.attached) throw new TopologyError(`cannot bind ${actor.label} to ${host.name}: the host was removed`);
    const current = host.listeners.get(port);
    if (current) throw new TopologyError(`cannot bind ${actor.label} to ${host.name}:${port}: ${current.label} listens there already`);
    host.listeners.set(port, actor);
    // Paths remember who listens where.
    this.version++;
    const text = `${host.ip}:${port}`;
    const address: BoundAddress = { ip: host.ip, port, text, host };
    actor.address = address;
    actor.transport = this;
    return address;
  }

  /** Unbinds an actor: its port is closed (`port-closed`) and it can no longer send. */
  unbind(actor: Actor): void {
    const address = actor.address as BoundAddress | null;
    if (address && address.host.listeners.get(address.port) === actor) {
      address.host.listeners.delete(address.port);
      this.version++;
    }
    actor.address = null;
    actor.transport = null;
  }

  /**
   * Makes `ip` a virtual address on a network: messages sent to it go where `route` says (see
   * {@link VirtualRoute}). Replaces any route the address had. `backendNetwork` is the network
   * its backends are on, for an address outside the clusters (a LoadBalancer's) that senders on
   * other networks reach: the cloud's load balancer crosses between networks, both ways.
   */
  addVirtualAddress(network: string, ip: string, route: VirtualRoute, backendNetwork?: string): void {
    parseIpv4(ip);
    let routes = this.virtuals.get(network);
    if (!routes) {
      routes = new Map();
      this.virtuals.set(network, routes);
    }
    routes.set(ip, route);
    if (backendNetwork !== undefined) this.backendNetworks.set(ip, backendNetwork);
    else this.backendNetworks.delete(ip);
    this.version++;
  }

  /**
   * A free address outside the clusters (from 203.0.113.0/24, TEST-NET-3, reserved for
   * documentation), for what a cloud would give a LoadBalancer. Marked taken until released.
   */
  allocateExternalAddress(): string {
    for (let i = 10; i < EXTERNAL_POOL.size - 1; i++) {
      const ip = EXTERNAL_POOL.nth(i);
      if (this.externalTaken.has(ip) || this.hostsByNetwork.get(EXTERNAL_NETWORK)?.has(ip) || this.virtuals.get(EXTERNAL_NETWORK)?.has(ip)) continue;
      this.externalTaken.add(ip);
      return ip;
    }
    throw new TopologyError(`no external address left in ${EXTERNAL_POOL}`);
  }

  /** Gives an address from {@link allocateExternalAddress} back. */
  releaseExternalAddress(ip: string): void {
    this.externalTaken.delete(ip);
  }

  /** Ends a virtual address: messages to it are dropped (`no-route`) unless a host has it. */
  removeVirtualAddress(network: string, ip: string): void {
    this.backendNetworks.delete(ip);
    if (this.virtuals.get(network)?.delete(ip)) this.version++;
  }

  private hostsOn(network: string): Map<string, Host> {
    let hosts = this.hostsByNetwork.get(network);
    if (!hosts) {
      hosts = new Map();
      this.hostsByNetwork.set(network, hosts);
    }
    return hosts;
  }

  /** The next free address of a node's /24, from .2 up, as flannel and kindnet hand them out. */
  private allocatePodIp(node: Node, taken: Map<string, Host>): string {
    const cidr = node.podCidr;
    if (!cidr) throw new TopologyError(`node ${node.name} is outside any cluster: give its hosts an ip`);
    const start = this.nextPodIndex.get(node) ?? 2;
    for (let n = 0; n < cidr.size - 3; n++) {
      const index = 2 + ((start - 2 + n) % (cidr.size - 3));
      const ip = cidr.nth(index);
      if (!taken.has(ip)) {
        this.nextPodIndex.set(node, index + 1);
        return ip;
      }
    }
    throw new TopologyError(`node ${node.name}: its pod range ${cidr} is full`);
  }

  // ---- faults -----------------------------------------------------------------------------

  /** Blocks messages between hosts picked by `a` and by `b` (direction `both` by default). */
  partition(a: HostSelector, b: HostSelector, options: { readonly direction?: Direction } = {}): NetFault {
    return this.addFault("partition", a, b, options.direction ?? "both", {});
  }

  /** Adds latency (and jitter, with correlation) to messages between `a` and `b` (direction `to` by default, as Chaos Mesh). */
  delay(a: HostSelector, b: HostSelector, params: DelayParams & { readonly direction?: Direction }): NetFault {
    checkFraction("correlation", params.correlation);
    if (!(params.latency >= 0) || !((params.jitter ?? 0) >= 0)) throw new LinkError("delay: latency and jitter must be 0 or more");
    return this.addFault("delay", a, b, params.direction ?? "to", params);
  }

  /** Loses messages between `a` and `b` with a probability (direction `to` by default). */
  loss(a: HostSelector, b: HostSelector, params: LossParams & { readonly direction?: Direction }): NetFault {
    checkFraction("loss", params.loss);
    checkFraction("correlation", params.correlation);
    return this.addFault("loss", a, b, params.direction ?? "to", params);
  }

  /** Duplicates messages between `a` and `b` with a probability (direction `to` by default). */
  duplicate(a: HostSelector, b: HostSelector, params: DuplicateParams & { readonly direction?: Direction }): NetFault {
    checkFraction("duplicate", params.duplicate);
    checkFraction("correlation", params.correlation);
    return this.addFault("duplicate", a, b, params.direction ?? "to", params);
  }

  /**
   * Holds messages between `a` and `b` (direction `both` by default): they wait, undelivered,
   * until {@link release}, then go on their way, none lost (turmoil's hold/release).
   */
  hold(a: HostSelector, b: HostSelector, options: { readonly direction?: Direction } = {}): NetFault {
    return this.addFault("hold", a, b, options.direction ?? "both", {});
  }

  /** Ends a partition, or every partition when none is named. */
  heal(fault?: NetFault): void {
    this.revertAll("partition", fault);
  }

  /** Ends a hold, or every hold when none is named: held messages arrive at once, or when their latency would have brought them if later. */
  release(fault?: NetFault): void {
    this.revertAll("hold", fault);
  }

  /** Ends any fault. */
  revert(fault: NetFault): void {
    if (!fault.active) return;
    fault.active = false;
    this.faults.splice(this.faults.indexOf(fault), 1);
    this.version++;
    // In send order: messages in flight when the hold began joined it when they arrived.
    const held = (fault.held.splice(0) as HeldMessage[]).sort((x, y) => x.envelope.id - y.envelope.id);
    for (const h of held) this.sim.at(Math.max(this.sim.now, h.arrival), this.deliver, h.envelope);
    if (this.sim.trace.summary) this.sim.trace.record("revert", { id: fault.id, action: fault.action, released: held.length });
  }

  /** The faults in force, oldest first. */
  activeFaults(): readonly NetFault[] {
    return this.faults;
  }

  private revertAll(action: NetFaultAction, fault: NetFault | undefined): void {
    if (fault) {
      if (fault.action !== action) throw new TypeError(`fault ${fault.id} is a ${fault.action}, not a ${action}`);
      this.revert(fault);
      return;
    }
    for (const f of this.faults.filter((f) => f.action === action)) this.revert(f);
  }

  private addFault(action: NetFaultAction, a: HostSelector, b: HostSelector, direction: Direction, params: NetFault["params"]): NetFault {
    if (direction !== "to" && direction !== "from" && direction !== "both") {
      throw new TypeError(`${action}: direction must be to, from or both, got ${JSON.stringify(direction)}`);
    }
    checkSelector(a, this.topology, `${action} (a)`);
    checkSelector(b, this.topology, `${action} (b)`);
    const id = this.nextFaultId++;
    const fault = new NetFault(id, action, a, b, direction, params, this.sim.rng.stream(`fault/${id}`));
    this.faults.push(fault);
    this.version++;
    if (this.sim.trace.summary) {
      this.sim.trace.record("fault", { id, action, a: describeSelector(a), b: describeSelector(b), direction });
    }
    return fault;
  }

  // ---- messages ---------------------------------------------------------------------------

  /**
   * Sends a message from an actor bound to this network; see {@link Actor.send}. `source` is the
   * address the message appears to come from (a reply from a Service's address); the path is the
   * sender's host's all the same.
   */
  send(from: Actor, to: Address, kind: string, body: unknown, source?: Address): void {
    const address = from.address as BoundAddress | null;
    if (!address) throw new TopologyError(`${from.label} is not bound to a host, so it cannot send`);
    const host = address.host;
    if (host.redirects.length > 0) {
      const rule = host.redirects.find((r) => r.port === to.port && r.ips.has(to.ip) && !r.exempt.has(from));
      if (rule) {
        this.transmit(host, source ?? address, rule.target, kind, body, to);
        return;
      }
    }
    this.transmit(host, source ?? address, to, kind, body);
  }

  /**
   * Sends a message from a host, appearing to come from `shown`: an actor's, or the kernel's (a
   * RST). `redirectedFrom` is the destination an outbound redirect replaced by `to`.
   */
  private transmit(host: Host, shown: Address, to: Address, kind: string, body: unknown, redirectedFrom?: Address): void {
    if (this.tap) this.tap.sent(this.sim.now, shown, redirectedFrom ?? to, kind, body);
    const back = this.natReturns.size === 0 ? undefined : this.natReturns.get(pairKey(shown.ip, to.ip));
    let path = back !== undefined && back !== host.network ? this.pathOn(host, to.ip, back) : this.path(host, to.ip);
    let via: Address | undefined = redirectedFrom;
    if (path.virtual) {
      const target = path.virtual(host, to.port);
      if (!target) {
        this.stats.sent++;
        this.dropped(new Envelope(this.nextMessageId++, kind, shown, to, body, this.sim.now, path, undefined), target === null ? "no-endpoints" : "no-route");
        // kube-proxy REJECTs a connection to a Service without endpoints, on the sender's own node: refused at once.
        if (target === null && kind === TCP_SYN) this.transmit(host, to, shown, TCP_RST, body);
        return;
      }
      // Destination NAT: from here on the message is addressed to the backend; replies come from `via`.
      via = to;
      to = target;
      const backends = this.backendNetworks.get(via.ip);
      if (backends !== undefined && backends !== host.network) {
        const key = pairKey(via.ip, host.ip);
        if (this.natReturns.get(key) !== host.network) this.natReturns.set(key, host.network);
        path = this.pathOn(host, to.ip, backends);
      } else path = this.path(host, to.ip);
    }
    const sim = this.sim;
    const envelope = new Envelope(this.nextMessageId++, kind, shown, to, body, sim.now, path, via);
    this.stats.sent++;
    const trace = sim.trace;
    if (trace.full) trace.record("send", { id: envelope.id, kind, from: shown.text, to: to.text });
    const link = path.link;
    if (path.plain && link) {
      sim.after(sample(link.profile.latency, link.rng), this.deliver, envelope);
      return;
    }
    this.sendSlow(envelope, path);
  }

  /** Counts and traces a message an actor dropped on arrival. */
  dropped(message: Message, reason: DropReason): void {
    const dropped = this.stats.dropped;
    dropped.set(reason, (dropped.get(reason) ?? 0) + 1);
    const trace = this.sim.trace;
    if (trace.full) {
      trace.record("drop", { id: message.id, kind: message.kind, from: message.from.text, to: message.to.text, reason });
    }
  }

  /** Everything but the plain case: no route, partitions, holds, loss, duplication and extra delay. */
  private sendSlow(envelope: Envelope, path: Path): void {
    const link = path.link;
    if (!link || !path.dst) {
      this.dropped(envelope, "no-route");
      return;
    }
    if (path.blocked) {
      this.dropped(envelope, "partition");
      return;
    }
    const profile = link.profile;
    const src = path.src;
    const dst = path.dst;
    if (!src.up || !src.attached) {
      this.dropped(envelope, "host-down");
      return;
    }
    if (link.rng.bernoulli(profile.loss ?? 0) || path.losses.some((f) => f.chance(f.params.loss ?? 0, src, dst))) {
      this.dropped(envelope, "loss");
      return;
    }
    const copies = link.rng.bernoulli(profile.duplicate ?? 0) || path.duplicates.some((f) => f.chance(f.params.duplicate ?? 0, src, dst)) ? 2 : 1;
    for (let copy = 0; copy < copies; copy++) {
      if (copy > 0) this.stats.duplicated++;
      let delay = sample(profile.latency, link.rng);
      if (profile.jitter) delay += Math.round(link.rng.uniform(-profile.jitter, profile.jitter));
      if (profile.reorder && link.rng.bernoulli(profile.reorder.probability)) delay += profile.reorder.delay;
      for (const f of path.delays) delay += f.extraDelay(src, dst);
      delay = Math.max(0, delay);
      if (path.hold) {
        this.stats.held++;
        path.hold.held.push({ envelope, arrival: this.sim.now + delay } satisfies HeldMessage);
      } else {
        this.sim.after(delay, this.deliver, envelope);
      }
    }
  }

  /** Hands a message to the actor listening at its destination, unless something stops it on the way. */
  private readonly deliver = (envelope: Envelope): void => {
    const path = envelope.path;
    if (path.version !== this.version) this.resolve(path);
    const dst = path.dst;
    if (!dst) return this.dropped(envelope, "no-route");
    if (path.blocked) return this.dropped(envelope, "partition");
    if (path.hold) {
      // A hold also holds what was already in flight when it began (turmoil's hold).
      this.stats.held++;
      path.hold.held.push({ envelope, arrival: this.sim.now } satisfies HeldMessage);
      return;
    }
    if (!dst.up) return this.dropped(envelope, "host-down");
    // The listener is looked up once per port while the path holds, rather than in the host's
    // map for every message.
    const port = envelope.to.port;
    if (path.listenerPort !== port) {
      path.listenerPort = port;
      path.listener = dst.listeners.get(port);
    }
    const actor = path.listener;
    if (!actor) {
      this.dropped(envelope, "port-closed");
      // A kernel answers a SYN to a port nothing listens on with a RST (connection refused), from
      // the address the sender used, as conntrack reverses a Service's translation.
      if (envelope.kind === TCP_SYN) this.transmit(dst, envelope.via ?? envelope.to, envelope.from, TCP_RST, envelope.body);
      return;
    }
    this.stats.delivered++;
    const trace = this.sim.trace;
    if (trace.full) {
      trace.record("deliver", {
        id: envelope.id,
        kind: envelope.kind,
        from: envelope.from.text,
        to: envelope.to.text,
        latency: this.sim.now - envelope.sentAt,
      });
    }
    if (this.tap) this.tap.delivered(this.sim.now, envelope);
    const captured = dst.inbound === undefined ? envelope : dst.inbound(envelope);
    if (captured) actor.receive(captured);
  };

  private path(src: Host, ip: string): Path {
    return this.pathOn(src, ip, null);
  }

  /** The path from a host to an address, on `network` rather than as the sender sees it when given (a load balancer's far side). */
  private pathOn(src: Host, ip: string, network: string | null): Path {
    let bySrc = this.paths.get(src);
    if (!bySrc) {
      bySrc = new Map();
      this.paths.set(src, bySrc);
    }
    const key = network === null ? ip : pairKey(network, ip);
    let path = bySrc.get(key);
    if (!path) {
      path = { version: -1, src, ip, network, dst: null, link: null, blocked: null, hold: null, delays: [], losses: [], duplicates: [], plain: false, virtual: null, listenerPort: -1, listener: undefined };
      bySrc.set(key, path);
    }
    if (path.version !== this.version) this.resolve(path);
    return path;
  }

  /**
   * The host an address names for a sender: on the sender's own network, else outside the
   * clusters; a host outside answers a pod only once that pod has reached out to it (see
   * `returnNetworks`).
   */
  private lookupHost(src: Host, ip: string): Host | null {
    const own = this.hostsOn(src.network).get(ip);
    if (own) return own;
    const external = this.hostsByNetwork.get(EXTERNAL_NETWORK)?.get(ip);
    if (external) return external;
    if (src.network !== EXTERNAL_NETWORK) return null;
    // By the pair first: pods on two networks may share an address, each talking to its own hosts outside.
    const back = this.returnNetworks.get(pairKey(src.ip, ip)) ?? this.returnNetworks.get(ip);
    return back ? (this.hostsByNetwork.get(back)?.get(ip) ?? null) : null;
  }

  /** Works out a path's destination, link and faults afresh. */
  private resolve(path: Path): void {
    path.version = this.version;
    path.listenerPort = -1;
    path.listener = undefined;
    path.blocked = null;
    path.hold = null;
    path.delays.length = 0;
    path.losses.length = 0;
    path.duplicates.length = 0;
    const src = path.src;
    if (path.network !== null) path.virtual = null;
    else path.virtual = this.virtuals.get(src.network)?.get(path.ip) ?? this.virtuals.get(EXTERNAL_NETWORK)?.get(path.ip) ?? null;
    const dst = path.network !== null ? (this.hostsByNetwork.get(path.network)?.get(path.ip) ?? null) : path.virtual ? null : this.lookupHost(src, path.ip);
    path.dst = dst;
    // A pod reaching outside is source-NATed by its node, so the outside can answer it: remember
    // which network the pod's address is on, for the replies.
    if (dst && dst.network === EXTERNAL_NETWORK && src.network !== EXTERNAL_NETWORK && this.returnNetworks.get(pairKey(dst.ip, src.ip)) !== src.network) {
      this.returnNetworks.set(src.ip, src.network);
      this.returnNetworks.set(pairKey(dst.ip, src.ip), src.network);
      this.version++;
    }
    if (!dst) {
      path.link = null;
      path.plain = false;
      return;
    }
    const link = this.nodeLink(src.node, dst.node);
    path.link = link;
    for (const f of this.faults) {
      if (!f.appliesTo(src, dst)) continue;
      switch (f.action) {
        case "partition":
          path.blocked ??= f;
          break;
        case "hold":
          path.hold ??= f;
          break;
        case "delay":
          path.delays.push(f);
          break;
        case "loss":
          path.losses.push(f);
          break;
        case "duplicate":
          path.duplicates.push(f);
          break;
      }
    }
    path.plain = link.plain && src.up && src.attached && !path.blocked && !path.hold && path.delays.length + path.losses.length + path.duplicates.length === 0;
  }
}

function checkFraction(name: string, v: number | undefined): void {
  if (v !== undefined && !(v >= 0 && v <= 1)) throw new LinkError(`${name} must be a fraction from 0 to 1, got ${v}`);
}
