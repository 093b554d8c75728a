import type { Host } from "../net/host.js";
import type { Network } from "../net/network.js";
import type { Cluster, Node } from "../net/topology.js";
import { sample, type Distribution } from "../sim/distribution.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import { cloneData, type ApiServer, type WatchEvent } from "./apiserver.js";
import type { Condition, Pod } from "./objects.js";

/** A running container's behaviour: what a pod's image does in the simulation. */
export interface Process {
  /** Called when the pod stops (deleted or killed): unbind actors, cancel timers. */
  stop(): void;
}

/** What a container factory is given to start a pod's behaviour. */
export interface PodContext {
  readonly sim: Sim;
  readonly network: Network;
  readonly api: ApiServer;
  readonly pod: Readonly<Pod>;
  readonly host: Host;
}

/** Starts the behaviour of pods whose image matches. */
export interface ContainerFactory {
  /** Matched against each container's image; the first factory that matches any container (and {@link matches}) wins. */
  readonly image: RegExp;
  /** When given, the pod must pass it too: for behaviour chosen by labels (an app a scenario declares) rather than by image. */
  readonly matches?: (pod: Readonly<Pod>) => boolean;
  start(context: PodContext): Process;
}

/** Options of the {@link Kubelet}. */
export interface KubeletOptions {
  /** From the pod being scheduled to it running and ready. Default: lognormal, median 1s, p99 3s. */
  readonly podStartup?: Distribution;
}

const IPV4 = /^\d+\.\d+\.\d+\.\d+$/;

const DEFAULT_STARTUP: Distribution = { kind: "lognormal", median: 1_000_000, p99: 3_000_000 };

interface Running {
  readonly host: Host;
  readonly process: Process | null;
  readonly node: Node;
}

/**
 * The scheduler and the kubelets of one cluster, as one controller: it places new pods on nodes
 * (round-robin in node order, or the pod's `spec.nodeName`), gives each a network host with an
 * address from its node's range (or the `status.podIP` a manifest pinned), starts what its image
 * does, and after a startup delay reports it Running and Ready — unless the manifest pinned its
 * status, which is then kept as written, so that a scenario can reproduce a captured cluster.
 */
export class Kubelet {
  private readonly running = new Map<string, Running>();
  /** The hosts of running pods by namespace and name, for {@link hostOf} (asked on every lookup). */
  private readonly hosts = new Map<string, Map<string, Host>>();
  private hostChanges = 0;
  private readonly factories: ContainerFactory[] = [];
  private readonly rng: Rng;
  private nextNode = 0;
  private readonly startup: Distribution;

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly api: ApiServer,
    private readonly cluster: Cluster,
    options: KubeletOptions = {},
  ) {
    this.rng = sim.rng.stream(`kubelet/${cluster.name}`);
    this.startup = options.podStartup ?? DEFAULT_STARTUP;
    api.watch("Pod", "kubelet", (e) => this.onPod(e));
  }

  /** Registers what pods with a matching image do once they start. */
  registerImage(factory: ContainerFactory): void {
    this.factories.push(factory);
  }

  /** Changes with every pod started or stopped: what {@link hostOf} answered holds while it stays the same. */
  get hostsVersion(): number {
    return this.hostChanges;
  }

  /** The network host of a running pod. */
  hostOf(namespace: string, name: string): Host | undefined {
    return this.hosts.get(namespace)?.get(name);
  }

  /** Marks a pod Ready or not, as its readiness probe would. */
  setReady(namespace: string, name: string, ready: boolean): void {
    const pod = this.api.get("Pod", namespace, name);
    if (!pod) return;
    const status = cloneData(pod.status ?? {});
    status.conditions = withCondition(status.conditions ?? [], "Ready", ready);
    status.conditions = withCondition(status.conditions, "ContainersReady", ready);
    this.api.update({ ...pod, status });
  }

  private onPod(event: WatchEvent<"Pod">): void {
    const pod = event.object;
    const id = `${pod.metadata.namespace}/${pod.metadata.name}`;
    if (event.type === "DELETED") {
      this.stop(id, pod);
      return;
    }
    if (this.running.has(id)) return;
    // Start from the pod as it is now, not as the (older) event saw it: writing back the event's
    // copy would undo changes made since (a relabel, a readiness flip).
    const current = this.api.get("Pod", pod.metadata.namespace ?? "default", pod.metadata.name);
    if (current && current.metadata.uid === pod.metadata.uid) this.start(id, current);
  }

  private start(id: string, pod: Readonly<Pod>): void {
    const node = this.place(pod);
    // The network is IPv4: the pod's host takes the first IPv4 address the manifest pinned, if any.
    const pinnedIp = [pod.status?.podIP, ...(pod.status?.podIPs ?? []).map((p) => p.ip)].find((ip) => ip !== undefined && IPV4.test(ip));
    const host = this.network.addHost({ name: `${this.cluster.name}/${id}`, node, ...(pinnedIp ? { ip: pinnedIp } : {}) });
    const factory = this.factories.find((f) => pod.spec.containers.some((c) => f.image.test(c.image)) && (!f.matches || f.matches(pod)));
    const process = factory ? factory.start({ sim: this.sim, network: this.network, api: this.api, pod, host }) : null;
    this.running.set(id, { host, process, node });
    const ns = pod.metadata.namespace ?? "default";
    let hosts = this.hosts.get(ns);
    if (!hosts) {
      hosts = new Map();
      this.hosts.set(ns, hosts);
    }
    hosts.set(pod.metadata.name, host);
    this.hostChanges++;
    const pinned = pod.status?.conditions !== undefined;
    const scheduled: Pod = {
      ...pod,
      spec: { ...pod.spec, nodeName: node.name },
      status: {
        ...pod.status,
        phase: pod.status?.phase ?? "Pending",
        podIP: pod.status?.podIP ?? host.ip,
        podIPs: pod.status?.podIPs ?? [{ ip: host.ip }],
      },
    };
    this.api.update(scheduled);
    if (pinned) return;
    this.sim.after(sample(this.startup, this.rng), () => {
      const current = this.api.get("Pod", pod.metadata.namespace ?? "default", pod.metadata.name);
      if (!current || current.metadata.uid !== pod.metadata.uid) return;
      let conditions = current.status?.conditions ?? [];
      for (const type of ["PodScheduled", "Initialized", "ContainersReady", "Ready"]) conditions = withCondition(conditions, type, true);
      this.api.update({ ...current, status: { ...current.status, phase: "Running", conditions } });
    });
  }

  private stop(id: string, pod: Readonly<Pod>): void {
    const r = this.running.get(id);
    if (!r) return;
    this.running.delete(id);
    this.hosts.get(pod.metadata.namespace ?? "default")?.delete(pod.metadata.name);
    this.hostChanges++;
    r.process?.stop();
    this.network.removeHost(r.host);
  }

  /** The pod's node: the one it names, else the next in round-robin order. */
  private place(pod: Readonly<Pod>): Node {
    const wanted = pod.spec.nodeName;
    if (wanted) {
      const node = this.cluster.nodes.find((n) => n.name === wanted);
      if (node) return node;
    }
    const node = this.cluster.nodes[this.nextNode % this.cluster.nodes.length]!;
    this.nextNode++;
    return node;
  }
}

/** The conditions with one set to True or False (added when missing), others kept in order. */
function withCondition(conditions: readonly Condition[], type: string, value: boolean): Condition[] {
  const status = value ? "True" : "False";
  const out = conditions.map((c) => (c.type === type ? { ...c, status } : c)) as Condition[];
  if (!out.some((c) => c.type === type)) out.push({ type, status });
  return out;
}
