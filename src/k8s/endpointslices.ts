import type { Topology } from "../net/topology.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import type { ApiServer, WatchEvent } from "./apiserver.js";
import { matchesLabels } from "./labels.js";
import { randomSuffix } from "./names.js";
import type { Endpoint, EndpointPort, EndpointSlice, Pod, Service, StringMap } from "./objects.js";

/** The label that ties a slice to its Service. */
export const SERVICE_NAME_LABEL = "kubernetes.io/service-name";
/** The label that says which controller manages a slice. */
export const MANAGED_BY_LABEL = "endpointslice.kubernetes.io/managed-by";
/** The controller's name in {@link MANAGED_BY_LABEL}. */
export const MANAGED_BY = "endpointslice-controller.k8s.io";
/** The most endpoints one slice holds (the controller's default `--max-endpoints-per-slice`). */
export const MAX_ENDPOINTS_PER_SLICE = 100;

const isReady = (pod: Readonly<Pod>) => pod.status?.conditions?.some((c) => c.type === "Ready" && c.status === "True") ?? false;

/**
 * One `queue` of every Service of a namespace, as a pod change makes (see
 * {@link EndpointSliceController.onPod}), held as one event instead of one per Service. Its
 * members are the Services that had a selector and were not already queued when it was made:
 * while no Service of the namespace has been written since (`members` null), that is every
 * Service with a selector now except `excluded`; once one is written, the members are written
 * down (`members`).
 */
interface Sweep {
  readonly namespace: string;
  members: Set<string> | null;
  readonly excluded: Set<string>;
}

/**
 * The EndpointSlice controller: for every Service with a selector it keeps slices listing the
 * selected pods that have an address, with the fields real slices carry (addresses,
 * `conditions.ready`, `hostname` for pods whose subdomain names the Service, `nodeName`, `zone`,
 * `targetRef`) and the Service's ports resolved to the pods' container ports. It sees changes
 * through watches, so slices lag the pods and Services by the watch delays. Services without a
 * selector are left alone: their slices are written by hand.
 *
 * Any pod event queues every Service of the pod's namespace, and a queued Service is reconciled
 * against the API server's current state. In a namespace of thousands of Services and pods that
 * is millions of reconciles, nearly all of which change nothing; so the controller keeps, from
 * the store's changes as they are written, which Services may be out of date ("dirty": their
 * Service, one of their slices, or a pod their selector matched before or after the change was
 * written since their last reconcile), skips the reconcile of the others (which would write
 * nothing and draw nothing), and holds the queueing of a whole namespace as one {@link Sweep}.
 * Which Service is reconciled when is exactly as if each were queued and reconciled.
 */
export class EndpointSliceController {
  private readonly rng: Rng;
  /** Services queued one by one and not yet reconciled, by `namespace/name`. */
  private readonly pending = new Set<string>();
  /** Sweeps not yet run, by namespace, oldest first. */
  private readonly sweeps = new Map<string, Sweep[]>();
  /** Services that may be out of date, by namespace (see the class comment). */
  private readonly dirty = new Map<string, Set<string>>();
  /** Each Service's selector, for those that have one, by `namespace/name`. */
  private readonly selectors = new Map<string, StringMap>();
  /**
   * Services with a selector by namespace, then by one `key\0value` of their selector (the
   * first; `""` for an empty selector, which selects every pod): to find the Services a pod's
   * labels may match without trying every Service.
   */
  private readonly selecting = new Map<string, Map<string, Set<string>>>();
  /**
   * The Service being reconciled, by namespace and name: its own slice writes do not make it
   * dirty. Two fields, so that the check at every slice write builds no string.
   */
  private reconcilingNamespace: string | null = null;
  private reconcilingName: string | null = null;

  constructor(
    private readonly sim: Sim,
    private readonly api: ApiServer,
    private readonly topology: Topology,
  ) {
    this.rng = sim.rng.stream(`endpointslice-controller/${api.cluster}`);
    for (const svc of api.list("Service")) {
      this.indexService(svc, true);
      this.markDirty(svc.metadata.namespace ?? "default", svc.metadata.name);
    }
    api.observeStore("Service", (_type, object, previous) => this.serviceWritten(object as Readonly<Service>, previous as Readonly<Service> | undefined));
    api.observeStore("Pod", (_type, object, previous) => this.podWritten(object as Readonly<Pod>, previous as Readonly<Pod> | undefined));
    api.observeStore("EndpointSlice", (_type, object, previous) => {
      const ns = object.metadata.namespace ?? "default";
      const svc = object.metadata.labels?.[SERVICE_NAME_LABEL];
      if (svc !== undefined) this.markDirty(ns, svc);
      const before = previous?.metadata.labels?.[SERVICE_NAME_LABEL];
      if (before !== undefined && before !== svc) this.markDirty(ns, before);
    });
    api.watch("Service", "endpointslice-controller", (e) => this.onService(e));
    api.watch("Pod", "endpointslice-controller", (e) => this.onPod(e));
  }

  private onService(event: WatchEvent<"Service">): void {
    const svc = event.object;
    this.queue(svc.metadata.namespace ?? "default", svc.metadata.name);
  }

  /** A pod changed: every Service of its namespace that has a selector is queued, as one sweep. */
  private onPod(event: WatchEvent<"Pod">): void {
    const ns = event.object.metadata.namespace ?? "default";
    let open = this.sweeps.get(ns);
    if (!open) {
      open = [];
      this.sweeps.set(ns, open);
    }
    let sweep: Sweep;
    if (open.length === 0) {
      // Every Service with a selector but those already queued one by one.
      const excluded = new Set<string>();
      const prefix = `${ns}/`;
      for (const id of this.pending) if (id.startsWith(prefix)) excluded.add(id.slice(prefix.length));
      sweep = { namespace: ns, members: null, excluded };
    } else {
      // Only what no queue holds yet. When the oldest sweep still stands for every Service with a
      // selector but its exclusions, only those exclusions can be left.
      const first = open[0]!;
      const candidates = first.members === null ? first.excluded : this.withSelector(ns);
      const members = new Set<string>();
      for (const name of candidates) {
        if (this.selectors.has(`${ns}/${name}`) && !this.isQueued(ns, name)) members.add(name);
      }
      sweep = { namespace: ns, members, excluded: new Set() };
    }
    open.push(sweep);
    this.sim.after(0, this.runSweep, sweep);
  }

  private readonly runSweep = (sweep: Sweep): void => {
    const open = this.sweeps.get(sweep.namespace)!;
    open.splice(open.indexOf(sweep), 1);
    const dirty = this.dirty.get(sweep.namespace);
    if (!dirty || dirty.size === 0) return;
    // Members that may be out of date, in the order the API lists them (by name); the rest would
    // write nothing.
    const names = [...dirty].filter((name) => this.inSweep(sweep, name)).sort(compare);
    for (const name of names) this.reconcile(sweep.namespace, name);
  };

  /** Reconciles a Service once at the end of this instant, however many events touched it. */
  private queue(namespace: string, name: string): void {
    if (this.isQueued(namespace, name)) return;
    const id = `${namespace}/${name}`;
    this.pending.add(id);
    this.sim.after(0, () => {
      this.pending.delete(id);
      this.reconcile(namespace, name);
    });
  }

  /** True when a reconcile of the Service is queued: on its own, or in a sweep not yet run. */
  private isQueued(namespace: string, name: string): boolean {
    if (this.pending.has(`${namespace}/${name}`)) return true;
    const open = this.sweeps.get(namespace);
    if (open) for (const sweep of open) if (this.inSweep(sweep, name)) return true;
    return false;
  }

  private inSweep(sweep: Sweep, name: string): boolean {
    if (sweep.members !== null) return sweep.members.has(name);
    return this.selectors.has(`${sweep.namespace}/${name}`) && !sweep.excluded.has(name);
  }

  /** The names of a namespace's Services that have a selector. */
  private withSelector(namespace: string): string[] {
    const out: string[] = [];
    for (const names of this.selecting.get(namespace)?.values() ?? []) out.push(...names);
    return out;
  }

  private markDirty(namespace: string, name: string): void {
    if (this.reconcilingName === name && this.reconcilingNamespace === namespace) return;
    let names = this.dirty.get(namespace);
    if (!names) {
      names = new Set();
      this.dirty.set(namespace, names);
    }
    names.add(name);
  }

  private serviceWritten(svc: Readonly<Service>, previous: Readonly<Service> | undefined): void {
    const ns = svc.metadata.namespace ?? "default";
    // Sweeps that stand for "every Service with a selector" must keep the Services they stood for
    // before this write: write their members down now, while the index still says who they were.
    for (const sweep of this.sweeps.get(ns) ?? []) {
      if (sweep.members !== null) continue;
      sweep.members = new Set(this.withSelector(ns).filter((name) => !sweep.excluded.has(name)));
    }
    if (previous) this.indexService(previous, false);
    // A deleted Service comes here too: it is no longer in the store, so it stays out of the index.
    if (this.api.get("Service", ns, svc.metadata.name) === svc) this.indexService(svc, true);
    this.markDirty(ns, svc.metadata.name);
  }

  private indexService(svc: Readonly<Service>, add: boolean): void {
    const selector = svc.spec.selector;
    if (!selector) return;
    const ns = svc.metadata.namespace ?? "default";
    const id = `${ns}/${svc.metadata.name}`;
    let byKey = this.selecting.get(ns);
    if (!byKey) {
      byKey = new Map();
      this.selecting.set(ns, byKey);
    }
    const first = Object.keys(selector)[0];
    const k = first === undefined ? "" : `${first}\u0000${selector[first]}`;
    let names = byKey.get(k);
    if (add) {
      this.selectors.set(id, selector);
      if (!names) {
        names = new Set();
        byKey.set(k, names);
      }
      names.add(svc.metadata.name);
    } else {
      this.selectors.delete(id);
      names?.delete(svc.metadata.name);
      if (names?.size === 0) byKey.delete(k);
    }
  }

  /** A pod was written: the Services its labels matched before, or match now, may be out of date. */
  private podWritten(pod: Readonly<Pod>, previous: Readonly<Pod> | undefined): void {
    const ns = pod.metadata.namespace ?? "default";
    this.markSelecting(ns, pod.metadata.labels);
    if (previous && previous.metadata.labels !== pod.metadata.labels) this.markSelecting(ns, previous.metadata.labels);
  }

  private markSelecting(ns: string, labels: StringMap | undefined): void {
    const byKey = this.selecting.get(ns);
    if (!byKey) return;
    for (const name of byKey.get("") ?? []) this.markDirty(ns, name);
    if (!labels) return;
    for (const key in labels) {
      const names = byKey.get(`${key}\u0000${labels[key]}`);
      if (!names) continue;
      for (const name of names) if (matchesLabels(labels, this.selectors.get(`${ns}/${name}`)!)) this.markDirty(ns, name);
    }
  }

  /**
   * Makes the Service's slices what its selected pods say, unless nothing it reads has been
   * written since it last did (then it would write nothing).
   */
  private reconcile(namespace: string, name: string): void {
    const dirty = this.dirty.get(namespace);
    if (!dirty?.delete(name)) return;
    this.reconcilingNamespace = namespace;
    this.reconcilingName = name;
    try {
      this.write(namespace, name);
    } catch (e) {
      // Left half done: try again at the next occasion, as the real controller requeues.
      this.reconcilingName = null;
      this.markDirty(namespace, name);
      throw e;
    } finally {
      this.reconcilingName = null;
    }
  }

  private write(namespace: string, name: string): void {
    const svc = this.api.get("Service", namespace, name);
    const owned = this.api
      .listByLabel("EndpointSlice", namespace, SERVICE_NAME_LABEL, name)
      .filter((s) => s.metadata.labels?.[MANAGED_BY_LABEL] === MANAGED_BY);
    if (!svc || !svc.spec.selector || (svc.spec.type ?? "ClusterIP") === "ExternalName") {
      for (const s of owned) this.api.delete("EndpointSlice", namespace, s.metadata.name);
      return;
    }
    const desired = this.desiredSlices(svc);
    // A slice's addressType never changes: reuse existing slices only for slices of their family.
    for (const family of ["IPv4", "IPv6"] as const) {
      const have = owned.filter((s) => s.addressType === family);
      const want = desired.filter((s) => s.addressType === family);
      have.forEach((current, i) => {
        const slice = want[i];
        if (!slice) this.api.delete("EndpointSlice", namespace, current.metadata.name);
        else this.api.update({ ...slice, metadata: { ...slice.metadata, name: current.metadata.name } });
      });
      for (const slice of want.slice(have.length)) {
        this.api.create({ ...slice, metadata: { ...slice.metadata, name: `${name}-${randomSuffix(this.rng)}` } });
      }
    }
  }

  /** The pods of a namespace a selector matches, by name, read through the label index. */
  private selected(namespace: string, selector: StringMap): Readonly<Pod>[] {
    // The rarest of the selector's labels narrows the pods to try.
    let best: string | undefined;
    let fewest = Number.POSITIVE_INFINITY;
    for (const key in selector) {
      const n = this.api.countByLabel("Pod", namespace, key, selector[key]!);
      if (n < fewest) {
        fewest = n;
        best = key;
      }
    }
    const pods = best === undefined ? this.api.list("Pod", namespace) : this.api.listByLabel("Pod", namespace, best, selector[best]!);
    return pods.filter((p) => matchesLabels(p.metadata.labels, selector));
  }

  /** The slices a Service should have, each at most {@link MAX_ENDPOINTS_PER_SLICE} endpoints, per address family. */
  private desiredSlices(svc: Readonly<Service>): EndpointSlice[] {
    const ns = svc.metadata.namespace ?? "default";
    const pods = this.selected(ns, svc.spec.selector!).filter((p) => p.status?.phase !== "Succeeded" && p.status?.phase !== "Failed");
    const slices: EndpointSlice[] = [];
    for (const family of svc.spec.ipFamilies ?? ["IPv4"]) {
      const endpoints: Endpoint[] = [];
      for (const pod of pods) {
        const ip = (pod.status?.podIPs ?? []).map((p) => p.ip).find((a) => (family === "IPv6") === a.includes(":"));
        if (!ip) continue;
        endpoints.push(this.endpointOf(svc, pod, ip));
      }
      const ports = this.portsOf(svc, pods);
      for (let i = 0; i === 0 || i < endpoints.length; i += MAX_ENDPOINTS_PER_SLICE) {
        slices.push({
          apiVersion: "discovery.k8s.io/v1",
          kind: "EndpointSlice",
          metadata: {
            name: "",
            namespace: ns,
            labels: { [SERVICE_NAME_LABEL]: svc.metadata.name, [MANAGED_BY_LABEL]: MANAGED_BY },
            ownerReferences: [{ apiVersion: "v1", kind: "Service", name: svc.metadata.name, uid: svc.metadata.uid ?? "", controller: true }],
          },
          addressType: family,
          endpoints: endpoints.slice(i, i + MAX_ENDPOINTS_PER_SLICE),
          ports,
        });
      }
    }
    return slices;
  }

  private endpointOf(svc: Readonly<Service>, pod: Readonly<Pod>, ip: string): Endpoint {
    // As the real controller: serving is the pod's readiness; ready is also set for every pod when
    // the Service publishes not-ready addresses.
    const serving = isReady(pod);
    const ready = serving || svc.spec.publishNotReadyAddresses === true;
    const endpoint: Endpoint = { addresses: [ip], conditions: { ready, serving, terminating: false } };
    // The endpoint's hostname is the pod's, when the pod names this Service as its subdomain.
    if (pod.spec.hostname && pod.spec.subdomain === svc.metadata.name) endpoint.hostname = pod.spec.hostname;
    const nodeName = pod.spec.nodeName;
    if (nodeName) {
      endpoint.nodeName = nodeName;
      const node = this.topology.nodes.get(nodeName);
      if (node) endpoint.zone = node.zone;
    }
    endpoint.targetRef = { kind: "Pod", name: pod.metadata.name, namespace: pod.metadata.namespace ?? "default", uid: pod.metadata.uid ?? "" };
    return endpoint;
  }

  /** The Service's ports with each targetPort resolved: a number as is, a name through the first selected pod that has it. */
  private portsOf(svc: Readonly<Service>, pods: readonly Readonly<Pod>[]): EndpointPort[] {
    const out: EndpointPort[] = [];
    for (const port of svc.spec.ports ?? []) {
      const target = port.targetPort ?? port.port;
      let number: number | undefined;
      if (typeof target === "number") number = target;
      else {
        for (const pod of pods) {
          for (const c of pod.spec.containers) {
            const found = c.ports?.find((p) => p.name === target);
            if (found) number = found.containerPort;
          }
          if (number !== undefined) break;
        }
      }
      if (number === undefined) continue;
      out.push({ name: port.name ?? "", port: number, protocol: port.protocol ?? "TCP", ...(port.appProtocol ? { appProtocol: port.appProtocol } : {}) });
    }
    return out;
  }
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}
