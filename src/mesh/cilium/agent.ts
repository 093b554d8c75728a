/**
 * The Cilium agent of one cluster (mesh.md §6), standing for the agents of all its nodes, which
 * see the same state: it watches its own cluster's Services and EndpointSlices, connects to every
 * other member's clustermesh-apiserver across the network for theirs, and load-balances in the
 * client's node: a connection to a Service's cluster IP goes straight to a backend it picks (the
 * eBPF socket LB rewrites the address at `connect()`: no sidecar, no kube-proxy hop), a global
 * Service's backends in every cluster among them, as its annotations say.
 *
 * Each remote connection has etcd's keepalive: a ping every `keepaliveInterval`, and the
 * connection counts as lost when one goes unanswered for `keepaliveTimeout`. The remote backends
 * stay while it is lost (stale, mesh.md §6) unless a cache TTL is set, after which they are
 * revoked; when a ping is answered again, the agent watches afresh and lists everything again.
 */
import type { ApiServer } from "../../k8s/apiserver.js";
import { backendsByPort } from "../../k8s/kube-proxy.js";
import { RemoteWatch } from "../../k8s/remote-watch.js";
import type { BoundAddress } from "../../net/host.js";
import type { Network } from "../../net/network.js";
import type { Node } from "../../net/topology.js";
import { Actor, type ActorId, type Address, type Message } from "../../sim/actor.js";
import type { Rng } from "../../sim/rng.js";
import type { Timer } from "../../sim/scheduler.js";
import type { Sim } from "../../sim/sim.js";
import { SECOND, type Micros } from "../../sim/time.js";
import { globalServiceOf, selectBackends, usesRemote } from "./annotations.js";
import { KEEPALIVE_PING, KEEPALIVE_PONG, type KeepaliveBody } from "./clustermesh-apiserver.js";
import { ServiceCache } from "./service-cache.js";

declare module "../../sim/trace.js" {
  interface TraceEventMap {
    /** A Cilium agent's connection to a remote cluster changed state (summary level). */
    "clustermesh.remote": { cluster: string; remote: string; state: RemoteState };
  }
}

/** etcd's client keepalive time in Cilium (`etcd.keepaliveHeartbeat`). */
export const KEEPALIVE_INTERVAL: Micros = 15 * SECOND;
/** etcd's client keepalive timeout in Cilium (`etcd.keepaliveTimeout`). */
export const KEEPALIVE_TIMEOUT: Micros = 25 * SECOND;

/**
 * Where an agent stands with a remote cluster: `connecting` until its first full list arrived (or
 * while it lists again), `ready`, `disconnected` once a keepalive went unanswered (its backends
 * kept), `revoked` once the cache TTL passed while disconnected (its backends dropped).
 */
export type RemoteState = "connecting" | "ready" | "disconnected" | "revoked";

/** How an agent talks to remote clusters. */
export interface AgentTuning {
  /** How long a disconnected cluster's backends are kept; 0 (Cilium's default) keeps them for ever. */
  readonly cacheTtl: Micros;
  readonly keepaliveInterval: Micros;
  readonly keepaliveTimeout: Micros;
}

/** A remote cluster as an agent sees it. */
export interface RemoteClusterStatus {
  readonly name: string;
  readonly id: number;
  readonly state: RemoteState;
  /** Global Services of that cluster the agent knows (shared or not). */
  readonly globalServices: number;
}

/**
 * Where a connection to `ip:port` goes, as the socket LB decides at `connect()`: a backend, null
 * when the address is a Service's with no backend (the connect fails, EHOSTUNREACH), or undefined
 * when it is no Service's (the connection goes to the address as it is).
 */
export type SocketLb = (ip: string, port: number) => Address | null | undefined;

interface RemoteCluster {
  readonly name: string;
  readonly id: number;
  readonly server: Address;
  readonly watch: RemoteWatch;
  /** What the agent uses. */
  live: ServiceCache;
  /** A new list under way: it replaces `live` once complete. */
  pending: ServiceCache | undefined;
  state: RemoteState;
  pingSeq: number;
  /** Set while a ping waits for its answer. */
  unanswered: Timer<undefined> | undefined;
  revoke: Timer<undefined> | undefined;
}

/** The backends chosen for a Service, by port, while nothing they come from changed. */
interface Selection {
  readonly version: number;
  readonly byPort: Map<number, readonly Address[]>;
}

/** The agent of one cluster. */
export class CiliumAgent extends Actor {
  private readonly local = new ServiceCache();
  /** Local Services by cluster IP (`namespace/name`). */
  private readonly byIp = new Map<string, string>();
  private readonly remotes = new Map<string, RemoteCluster>();
  /** Grows with every change to what backends are chosen from. */
  private version = 0;
  private readonly selections = new Map<string, Selection>();
  private readonly rngs = new Map<Node, Rng>();
  private nextPort = 0;

  constructor(
    sim: Sim,
    id: ActorId,
    private readonly network: Network,
    private readonly cluster: string,
    api: ApiServer,
    private readonly tuning: AgentTuning,
  ) {
    super(sim, id);
    this.handle<KeepaliveBody>(KEEPALIVE_PONG, (m) => this.onPong(m));
    api.watch("Service", "cilium-agent", (e) => {
      const k = `${e.object.metadata.namespace ?? "default"}/${e.object.metadata.name}`;
      for (const ip of e.previous?.spec.clusterIPs ?? []) if (this.byIp.get(ip) === k) this.byIp.delete(ip);
      if (e.type !== "DELETED") for (const ip of e.object.spec.clusterIPs ?? []) if (ip !== "None") this.byIp.set(ip, k);
      this.local.apply("Service", e);
      this.version++;
    });
    api.watch("EndpointSlice", "cilium-agent", (e) => {
      this.local.apply("EndpointSlice", e);
      this.version++;
    });
  }

  /**
   * Connects to a remote cluster's clustermesh-apiserver (call once bound): a watch of its
   * Services and EndpointSlices, and the keepalive.
   */
  connect(name: string, clusterId: number, server: Address): void {
    const host = (this.address as BoundAddress).host;
    const remote: RemoteCluster = {
      name,
      id: clusterId,
      server,
      watch: new RemoteWatch(this.sim, { ...this.id, name: `${this.id.name}/remote/${name}` }, server, ["Service", "EndpointSlice"], {
        relist: () => {
          remote.pending = new ServiceCache();
        },
        nodes: () => {},
        event: (kind, e) => {
          (remote.pending ?? remote.live).apply(kind, e);
          if (!remote.pending) this.version++;
        },
        synced: () => {
          if (remote.pending) remote.live = remote.pending;
          remote.pending = undefined;
          this.version++;
          if (remote.state === "connecting") this.setState(remote, "ready");
        },
      }),
      live: new ServiceCache(),
      pending: undefined,
      state: "connecting",
      pingSeq: 0,
      unanswered: undefined,
      revoke: undefined,
    };
    this.remotes.set(name, remote);
    this.network.bind(remote.watch, host, this.address!.port + 1 + this.nextPort++);
    remote.watch.start();
    this.ping(remote);
  }

  /** The socket LB of a node of this cluster (each node draws its picks from its own stream). */
  socketLb(node: Node): SocketLb {
    return (ip, port) => {
      const key = this.byIp.get(ip);
      if (key === undefined) return undefined;
      const backends = this.backends(key, port);
      if (backends.length === 0) return null;
      if (backends.length === 1) return backends[0]!;
      return backends[this.rngOf(node).int(backends.length)]!;
    };
  }

  /** The remote clusters, in the order connected. */
  remoteClusters(): RemoteClusterStatus[] {
    return [...this.remotes.values()].map((r) => ({
      name: r.name,
      id: r.id,
      state: r.state,
      globalServices: [...r.live.services.values()].filter((s) => globalServiceOf(s).global).length,
    }));
  }

  /** The local Services that are global. */
  globalServices(): number {
    return [...this.local.services.values()].filter((s) => globalServiceOf(s).global).length;
  }

  /**
   * The backends of a local Service's port a connection may go to: its own ready ones and, for a
   * global Service, those of every remote cluster whose same Service is global and shared
   * (mesh.md §6), chosen between by the local Service's affinity.
   */
  backends(serviceKey: string, port: number): readonly Address[] {
    let selection = this.selections.get(serviceKey);
    if (!selection || selection.version !== this.version) {
      selection = { version: this.version, byPort: new Map() };
      this.selections.set(serviceKey, selection);
    }
    const known = selection.byPort.get(port);
    if (known) return known;
    const svc = this.local.services.get(serviceKey);
    if (!svc) return [];
    const local = backendsByPort(svc, this.local.slicesOf(serviceKey)).get(port) ?? [];
    const settings = globalServiceOf(svc);
    const remote: Address[] = [];
    if (settings.global) {
      for (const r of this.remotes.values()) {
        const theirs = r.live.services.get(serviceKey);
        if (!theirs || !usesRemote(settings, globalServiceOf(theirs))) continue;
        // Matched by port name, as Cilium matches a global Service's backends across clusters.
        remote.push(...(backendsByPort(svc, r.live.slicesOf(serviceKey)).get(port) ?? []));
      }
    }
    const chosen = selectBackends(settings.affinity, local, remote);
    selection.byPort.set(port, chosen);
    return chosen;
  }

  private ping(remote: RemoteCluster): void {
    this.send(remote.server, KEEPALIVE_PING, { seq: ++remote.pingSeq } satisfies KeepaliveBody);
    remote.unanswered ??= this.sim.timer(this.tuning.keepaliveTimeout, () => {
      remote.unanswered = undefined;
      this.lost(remote);
    });
    this.sim.after(this.tuning.keepaliveInterval, () => this.ping(remote));
  }

  private onPong(m: Message<KeepaliveBody>): void {
    const remote = [...this.remotes.values()].find((r) => r.server.ip === m.from.ip && r.server.port === m.from.port);
    if (!remote) return;
    remote.unanswered?.cancel();
    remote.unanswered = undefined;
    if (remote.state !== "disconnected" && remote.state !== "revoked") return;
    // Back: a new connection lists everything again, replacing what was kept.
    remote.revoke?.cancel();
    remote.revoke = undefined;
    this.setState(remote, "connecting");
    remote.watch.restart();
  }

  private lost(remote: RemoteCluster): void {
    if (remote.state === "disconnected" || remote.state === "revoked") return;
    this.setState(remote, "disconnected");
    if (this.tuning.cacheTtl <= 0) return;
    remote.revoke = this.sim.timer(this.tuning.cacheTtl, () => {
      remote.revoke = undefined;
      remote.live.clear();
      remote.pending = undefined;
      this.version++;
      this.setState(remote, "revoked");
    });
  }

  private setState(remote: RemoteCluster, state: RemoteState): void {
    remote.state = state;
    if (this.sim.trace.summary) this.sim.trace.record("clustermesh.remote", { cluster: this.cluster, remote: remote.name, state });
  }

  private rngOf(node: Node): Rng {
    let rng = this.rngs.get(node);
    if (!rng) this.rngs.set(node, (rng = this.sim.rng.stream(`cilium/${node.name}`)));
    return rng;
  }
}
