import type { PodResolver } from "../dns/pod-resolver.js";
import type { LookupFamily, LookupResult } from "../dns/resolver/types.js";
import { sharedName } from "../dns/message.js";
import { resultCode, succeeded, type RequestResult } from "../http/message.js";
import type { KubeCluster } from "../k8s/cluster.js";
import type { Pod } from "../k8s/objects.js";
import { sample } from "../sim/distribution.js";
import type { Rng } from "../sim/rng.js";
import { SECOND, type Micros } from "../sim/time.js";
import type { Measurements } from "./measure.js";
import { createdNames, pickPods } from "./pods.js";
import type { PodSelection, RequestAction, ResolveAction, StreamSpec } from "./spec.js";
import type { World } from "./world.js";

const FAMILY: Readonly<Record<ResolveAction["type"], LookupFamily>> = { A: "inet", AAAA: "inet6", "A+AAAA": "unspec" };

/** What a stream did besides the actions it measured. */
export interface StreamCounters {
  /** Arrivals after warmup with no running client pod to send from. */
  skipped: number;
  /** Actions started and not finished when the run ended. */
  inFlight: number;
}

/** Hears of each finished lookup of a stream, with the name it asked for (see `McsObserver`). */
export type LookupObserver = (name: string, result: LookupResult) => void;

/** The pods a stream creates for itself when asked (`from.create`). */
export function clientPods(selection: PodSelection): Pod[] {
  const create = selection.create;
  if (!create) return [];
  return createdNames(selection).map((name) => ({
    apiVersion: "v1",
    kind: "Pod",
    metadata: { name, namespace: selection.namespace, ...(selection.labels ? { labels: { ...selection.labels } } : {}) },
    spec: { containers: [{ name: "client", image: create.image }], dnsPolicy: "ClusterFirst" },
  }));
}

/**
 * One traffic stream: arrivals as its process says (constant or Poisson rate, or a closed loop of
 * `concurrency` clients with think time), each a lookup or an HTTP call from one of the stream's
 * client pods in turn, measured when it finishes. Client pods are looked up again whenever pods change, so that
 * killed and replaced clients are followed.
 */
export class Stream {
  readonly counters: StreamCounters = { skipped: 0, inFlight: 0 };
  private readonly rng: Rng;
  private readonly cluster: KubeCluster;
  /** The running client pods as `namespace/name`, split once here rather than on every arrival. */
  private clients: ClientRef[] = [];
  private stale = true;
  private next = 0;
  /** The names to look up, as strings shared with every other stream that asks them. */
  private readonly names: readonly string[];
  /** The options of every lookup (the family of the action's records). */
  private readonly lookupOptions: { readonly family: LookupFamily };
  /**
   * Per name `k`, the first address of its last answer at `2k` and that address's destination at
   * `2k + 1`, side by side in memory. A name's answers are the same records lookup after lookup,
   * so the address is the very same string: one identity comparison spares {@link destinationOf}
   * its lookup by address, which reads a string no one has touched since the name was last asked.
   */
  private readonly lastAnswer: (string | undefined)[];

  constructor(
    private readonly world: World,
    private readonly spec: StreamSpec,
    private readonly index: number,
    private readonly measurements: Measurements,
    /** The cluster an answer's address belongs to, for the per-pair report. */
    private readonly destinationOf: (address: string) => string,
    /** Arrivals before it are not counted as skipped, as lookups before it are not measured. */
    private readonly warmup: Micros,
    /** Hears of every lookup, warmup included. */
    private readonly observe?: LookupObserver,
  ) {
    this.rng = world.sim.rng.stream(`traffic/${spec.name}`);
    this.cluster = world.cluster(spec.from.cluster);
    this.names = spec.action.kind === "resolve" ? spec.action.names.map(sharedName) : [];
    this.lookupOptions = { family: spec.action.kind === "resolve" ? FAMILY[spec.action.type] : "inet" };
    this.lastAnswer = new Array<string | undefined>(2 * this.names.length).fill(undefined);
    this.cluster.watch("Pod", `traffic/${spec.name}`, () => {
      this.stale = true;
    });
  }

  /** Schedules the stream's arrivals. */
  start(): void {
    const { arrival, start } = this.spec;
    if (arrival.kind === "closed") {
      for (let i = 0; i < arrival.concurrency; i++) this.world.sim.at(start, () => this.loop());
    } else if (arrival.kind === "constant") {
      this.world.sim.at(start, this.constant, 0);
    } else {
      this.world.sim.at(start + this.gap(arrival.rate), this.poisson, arrival.rate);
    }
  }

  private gap(rate: number): Micros {
    return Math.max(1, Math.round(this.rng.exponential(SECOND / rate)));
  }

  // The arrival processes are handlers of their own, scheduled with their argument, rather than a
  // closure made per arrival.

  private readonly poisson = (rate: number): void => {
    if (this.world.sim.now >= this.spec.end) return;
    this.act();
    this.world.sim.after(this.gap(rate), this.poisson, rate);
  };

  /** The k-th arrival at exactly start + k/rate, so that rounding never drifts. */
  private readonly constant = (k: number): void => {
    if (this.world.sim.now >= this.spec.end) return;
    this.act();
    const rate = (this.spec.arrival as { rate: number }).rate;
    const at = this.spec.start + Math.round(((k + 1) * SECOND) / rate);
    this.world.sim.at(Math.max(at, this.world.sim.now + 1), this.constant, k + 1);
  };

  private loop(): void {
    if (this.world.sim.now >= this.spec.end) return;
    const think = this.spec.arrival.kind === "closed" ? this.spec.arrival.think : undefined;
    const again = () => this.world.sim.after(think ? sample(think, this.rng) : 0, () => this.loop());
    // A loop without a client to send from waits a second before it tries again.
    if (!this.act(again)) this.world.sim.after(SECOND, () => this.loop());
  }

  /** Starts one action; false when no client pod is running. */
  private act(then?: () => void): boolean {
    const client = this.pickClient();
    if (!client) {
      if (this.world.sim.now >= this.warmup) this.counters.skipped++;
      return false;
    }
    const { action, from } = this.spec;
    const startedAt = this.world.sim.now;
    this.counters.inFlight++;
    if (action.kind === "request") {
      this.call(action, client.ref, then);
      return true;
    }
    const names = this.names;
    // The draw of rng.pick, keeping the index for the name's destination memo.
    const k = names.length === 1 ? 0 : this.rng.int(names.length);
    // The pod's resolver, kept while the cluster's pods stay as they were (World.resolverOf).
    const version = this.cluster.podsVersion;
    if (client.resolverAt !== version) {
      client.resolver = this.world.resolverOf(from.cluster, client.ref, action.resolver);
      client.resolverAt = version;
    }
    const name = names[k]!;
    client.resolver!.lookup(name, this.lookupOptions, (result) => {
      this.counters.inFlight--;
      this.measure(result, startedAt, k);
      this.observe?.(name, result);
      then?.();
    });
    return true;
  }

  /** One HTTP call; measured by when it started, as lookups are. */
  private call(action: RequestAction, client: string, then: (() => void) | undefined): void {
    this.world.request(this.spec.from.cluster, client, action.url, {
      method: action.method,
      timeout: action.timeout,
      ...(action.connectTimeout !== undefined ? { connectTimeout: action.connectTimeout } : {}),
      ...(action.resolver ? { resolver: action.resolver } : {}),
      onDone: (result: RequestResult) => {
        this.counters.inFlight--;
        // The pair is the cluster of the endpoint that served the call: through a sidecar, the one
        // it picked; through kube-proxy, the backend the connection reached (a clusterset IP's may
        // be another cluster's); with no connection, the address the host resolved to.
        const reached = result.upstream?.slice(0, result.upstream.lastIndexOf(":")) ?? result.server ?? result.address;
        const to = reached === undefined ? "-" : this.destinationOf(reached);
        this.measurements.record(this.index, result.startedAt, result.finishedAt - result.startedAt, succeeded(result), resultCode(result), 0, to);
        then?.();
      },
    });
  }

  /** Records a finished lookup of name `k`. */
  private measure(result: LookupResult, startedAt: Micros, k: number): void {
    const first = result.addresses[0]?.address;
    let destination = "-";
    if (first !== undefined) {
      // Object.is settles on the two references alone when they are the same; === would read the
      // string's header first, and that memory is the one this memo is there not to touch.
      if (Object.is(first, this.lastAnswer[2 * k])) destination = this.lastAnswer[2 * k + 1]!;
      else {
        destination = this.destinationOf(first);
        this.lastAnswer[2 * k] = first;
        this.lastAnswer[2 * k + 1] = destination;
      }
    }
    this.measurements.record(this.index, startedAt, result.finishedAt - result.startedAt, result.ok, outcomeCode(result), result.queries.length, destination);
  }

  /** The next running client pod, round robin; undefined when none runs. */
  private pickClient(): ClientRef | undefined {
    if (this.stale) this.refreshClients();
    const version = this.cluster.podsVersion;
    for (let tries = 0; tries < this.clients.length; tries++) {
      const client = this.clients[this.next++ % this.clients.length]!;
      if (client.checkedAt !== version) {
        client.checkedAt = version;
        // A deleted pod runs on until its kubelet hears of the deletion (a watch delay), but the
        // world resolves through the pod's API object, which is gone: count it as not running.
        client.running = this.cluster.podHost(client.namespace, client.name) !== undefined && this.cluster.api.get("Pod", client.namespace, client.name) !== undefined;
      }
      if (client.running) return client;
    }
    return undefined;
  }

  private refreshClients(): void {
    this.stale = false;
    const { from } = this.spec;
    // Only running pods send: a container does not run before its pod has started.
    this.clients = pickPods(this.cluster.api, from)
      .filter((p) => p.status?.phase === "Running")
      .map((p) => ({ namespace: from.namespace, name: p.metadata.name, ref: `${from.namespace}/${p.metadata.name}`, checkedAt: -1, running: false, resolverAt: -1, resolver: undefined }));
  }
}

/** A client pod of a stream. */
interface ClientRef {
  readonly namespace: string;
  readonly name: string;
  /** `namespace/name`, as {@link World.resolverOf} takes it. */
  readonly ref: string;
  /** The cluster's `podsVersion` when `running` was last worked out: it holds while that stays the same. */
  checkedAt: number;
  running: boolean;
  /** Its resolver, as World.resolverOf gave it when the cluster's `podsVersion` was `resolverAt`. */
  resolverAt: number;
  resolver: PodResolver | undefined;
}

/**
 * The code a lookup ended with: NOERROR with addresses, NODATA for a name without the records
 * asked, else the response code of the last reply (NXDOMAIN, SERVFAIL, REFUSED), or TIMEOUT
 * when no reply came.
 */
export function outcomeCode(result: LookupResult): string {
  if (result.ok) return "NOERROR";
  if (result.error === "no-data") return "NODATA";
  for (let i = result.queries.length - 1; i >= 0; i--) {
    const outcome = result.queries[i]!.outcome;
    if (outcome !== "timeout") return outcome;
  }
  return result.queries.length === 0 ? "ERROR" : "TIMEOUT";
}
