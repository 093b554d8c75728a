/**
 * Watching an API server across the simulated network, as a controller in another cluster does
 * with a kubeconfig (Istio's remote secrets, mesh.md §1.2): the API server's endpoint is an actor
 * on a host of its own (a managed control plane's address, reachable from every network), and a
 * {@link RemoteWatch} opens one stream on it for a set of kinds. Events travel as messages, so a
 * partition or a delay between the watcher and the API server stops or slows them.
 *
 * A stream's messages are numbered and taken in order; a gap that does not close (messages lost
 * to a partition) breaks the stream, and the watcher starts a new one, which lists everything
 * again, as a reflector relists after its watch broke. A watcher
 * that hears nothing keeps what it had, as informers keep their cache (mesh.md §1.2, istio#45992).
 */
import { Actor, type ActorId, type Address, type Message } from "../sim/actor.js";
import type { Timer } from "../sim/scheduler.js";
import type { Distribution } from "../sim/distribution.js";
import type { Sim } from "../sim/sim.js";
import { SECOND, type Micros } from "../sim/time.js";
import { InOrder } from "../net/in-order.js";
import type { Node } from "../net/topology.js";
import type { ApiServer, WatchEvent } from "./apiserver.js";
import type { Kind } from "./objects.js";

/** The port API servers listen on (kube-apiserver's secure port). */
export const APISERVER_PORT = 6443;

/** Open a stream for these kinds; it starts with every object of each (a list). */
interface WatchRequest {
  readonly stream: number;
  readonly watcher: string;
  readonly kinds: readonly Kind[];
}
/** One object change, or (with `synced`) the end of a kind's initial list. */
interface StreamMessage {
  readonly stream: number;
  readonly seq: number;
  readonly kind: Kind;
  readonly event?: WatchEvent;
  readonly synced?: true;
}
/** The cluster's nodes with their labels, first on every stream (what a Node informer lists). */
interface NodesMessage {
  readonly stream: number;
  readonly seq: number;
  readonly nodes: readonly NodeInfo[];
}

/** A node as a watcher sees it: its name and labels. */
export interface NodeInfo {
  readonly name: string;
  readonly labels: Readonly<Record<string, string>>;
}

/** A node's well-known labels, as the cloud's node controller sets them. */
export function nodeInfo(node: Node): NodeInfo {
  return { name: node.name, labels: { "kubernetes.io/hostname": node.name, "topology.kubernetes.io/region": node.region, "topology.kubernetes.io/zone": node.zone } };
}

const WATCH = "kube.watch";
const UNWATCH = "kube.unwatch";
const EVENT = "kube.event";
const NODES = "kube.nodes";

/** Options of an {@link ApiServerEndpoint}. */
export interface ApiServerEndpointOptions {
  /**
   * How long a change takes to reach the endpoint's streams, in place of the API server's watch
   * delay: a server that copies the API into a store of its own first (Cilium's
   * clustermesh-apiserver into its etcd, mesh.md §6) takes longer than a plain watch.
   */
  readonly delay?: Distribution;
}

/**
 * An API server's endpoint on the network: it serves watch streams to remote watchers, each
 * kind through the API server's own watch (with its delays), each message sent over the network.
 */
export class ApiServerEndpoint extends Actor {
  private readonly streams = new Map<string, (() => void)[]>();

  constructor(
    sim: Sim,
    id: ActorId,
    private readonly api: ApiServer,
    private readonly nodes: () => readonly NodeInfo[],
    private readonly options: ApiServerEndpointOptions = {},
  ) {
    super(sim, id);
    this.handle<WatchRequest>(WATCH, (m) => this.open(m));
    this.handle<{ stream: number; watcher: string }>(UNWATCH, (m) => this.close(`${m.body.watcher}#${m.body.stream}`));
  }

  private open(m: Message<WatchRequest>): void {
    const key = `${m.body.watcher}#${m.body.stream}`;
    if (this.streams.has(key)) return;
    let seq = 0;
    const to = m.from;
    const stream = m.body.stream;
    this.send(to, NODES, { stream, seq: seq++, nodes: this.nodes() } satisfies NodesMessage);
    const stops = m.body.kinds.map((kind) =>
      this.api.watch(kind, `${m.body.watcher}#${stream}`, (event) => this.transport && this.send(to, EVENT, { stream, seq: seq++, kind, event } satisfies StreamMessage), {
        onSynced: () => this.transport && this.send(to, EVENT, { stream, seq: seq++, kind, synced: true } satisfies StreamMessage),
        ...(this.options.delay ? { delay: this.options.delay } : {}),
      }),
    );
    this.streams.set(key, stops);
  }

  private close(key: string): void {
    for (const stop of this.streams.get(key) ?? []) stop();
    this.streams.delete(key);
  }
}

/** What a {@link RemoteWatch} tells its owner. */
export interface RemoteWatchHandler {
  /** A new stream answered: everything is about to be listed again (keep what was known until it is synced). */
  relist(): void;
  nodes(nodes: readonly NodeInfo[]): void;
  event(kind: Kind, event: WatchEvent): void;
  /** Every kind's initial list of the current stream has arrived. */
  synced(): void;
}

/** How long a watch request waits for its first message before it is sent again, doubling up to {@link WATCH_RETRY_MAX}. */
export const WATCH_RETRY: Micros = SECOND;
/** The longest wait between watch requests (client-go's reflector backoff cap). */
export const WATCH_RETRY_MAX: Micros = 30 * SECOND;
/** How long a missing message of a stream is waited for before the stream counts as broken. */
export const GAP_TIMEOUT: Micros = 5 * SECOND;

/**
 * The watcher's side of a stream: an actor (bound by its owner) that asks `server` for the kinds,
 * retries until the stream answers, and starts a new stream on a gap.
 */
export class RemoteWatch extends Actor {
  private stream = 0;
  private readonly order = new InOrder();
  private synced = new Set<Kind>();
  private retry: Timer<undefined> | undefined = undefined;
  private backoff = WATCH_RETRY;
  private stopped = false;
  private gap: Timer<undefined> | undefined = undefined;

  constructor(
    sim: Sim,
    id: ActorId,
    private readonly server: Address,
    private readonly kinds: readonly Kind[],
    private readonly handler: RemoteWatchHandler,
  ) {
    super(sim, id);
    this.handle<StreamMessage>(EVENT, (m) => this.onEvent(m.body));
    this.handle<NodesMessage>(NODES, (m) => this.arrive(m.body, () => this.handler.nodes(m.body.nodes)));
  }

  /** Opens the first stream (call once bound). */
  start(): void {
    this.open();
  }

  /**
   * Starts a new stream now, which lists everything again: for an owner that learnt by other
   * means that its connection broke (a keepalive that went unanswered), as a client reconnects.
   */
  restart(): void {
    this.retry?.cancel();
    this.retry = undefined;
    this.backoff = WATCH_RETRY;
    this.open();
  }

  /** Closes the stream: nothing more is delivered. */
  stop(): void {
    this.stopped = true;
    this.retry?.cancel();
    if (this.transport) this.send(this.server, UNWATCH, { stream: this.stream, watcher: this.label });
  }

  private open(): void {
    if (this.stopped) return;
    if (this.stream > 0 && this.transport) this.send(this.server, UNWATCH, { stream: this.stream, watcher: this.label });
    this.stream++;
    this.order.reset();
    this.gap?.cancel();
    this.gap = undefined;
    this.synced = new Set();
    this.send(this.server, WATCH, { stream: this.stream, watcher: this.label, kinds: this.kinds } satisfies WatchRequest);
    this.retry = this.sim.timer(this.backoff, () => {
      this.retry = undefined;
      this.backoff = Math.min(WATCH_RETRY_MAX, this.backoff * 2);
      this.open();
    });
  }

  /**
   * Takes the messages of the current stream in order, as TCP would deliver them: one that
   * overtook another waits for it. A gap that stays open for {@link GAP_TIMEOUT} (a message lost
   * to a partition) breaks the stream, and a new one lists everything again.
   */
  private arrive(m: { stream: number; seq: number }, apply: () => void): void {
    if (this.stopped || m.stream !== this.stream) return;
    this.order.arrive(m.seq, () => {
      if (m.seq === 0) {
        this.retry?.cancel();
        this.retry = undefined;
        this.backoff = WATCH_RETRY;
        // Only now: until the new stream answers, what the last one delivered stays.
        this.handler.relist();
      }
      apply();
    });
    if (!this.order.gap) {
      this.gap?.cancel();
      this.gap = undefined;
    } else {
      this.gap ??= this.sim.timer(GAP_TIMEOUT, () => {
        this.gap = undefined;
        this.backoff = WATCH_RETRY;
        this.open();
      });
    }
  }

  private onEvent(m: StreamMessage): void {
    this.arrive(m, () => {
      if (m.event) {
        this.handler.event(m.kind, m.event);
        return;
      }
      this.synced.add(m.kind);
      if (this.synced.size === this.kinds.length) this.handler.synced();
    });
  }
}
