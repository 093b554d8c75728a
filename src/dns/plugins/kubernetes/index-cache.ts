import type { ApiServer, WatchEvent } from "../../../k8s/apiserver.js";
import type { EndpointSlice, Pod, Service } from "../../../k8s/objects.js";
import { SERVICE_NAME_LABEL } from "../../../k8s/endpointslices.js";
import type { Sim } from "../../../sim/sim.js";
import type { Micros } from "../../../sim/time.js";

const KINDS = ["Namespace", "Service", "EndpointSlice", "Pod"] as const;
const NO_SLICES: readonly Readonly<EndpointSlice>[] = Object.freeze([]);

/**
 * The kubernetes plugin's informer caches: Namespaces, Services, EndpointSlices and Pods as the
 * watches delivered them (late, by the watch delay), indexed the way lookups need them.
 */
export class KubernetesIndex {
  /** Lower-cased namespace names. */
  readonly namespaces = new Set<string>();
  /** Services by `namespace/name`, lower-cased. */
  readonly services = new Map<string, Readonly<Service>>();
  /** EndpointSlices by the `namespace/name` of their Service, lower-cased, then by slice name. */
  readonly slices = new Map<string, Map<string, Readonly<EndpointSlice>>>();
  /** Pods by IP, for `pods verified`. */
  readonly podsByIp = new Map<string, Set<string>>();
  /** When the last change arrived: the SOA serial. */
  modifiedAt: Micros = 0;
  /** How many changes have arrived: what was read from the index holds while this stays the same. */
  generation = 0;
  private readonly pendingSync = new Set<string>(KINDS);
  /** {@link synced}, kept as a field since every query asks: `pendingSync` stays out of the way. */
  private allSynced = false;
  private readonly podIps = new Map<string, string[]>();

  constructor(
    readonly sim: Sim,
    api: ApiServer,
    watcher: string,
    noEndpoints: boolean,
  ) {
    for (const kind of KINDS) {
      if (kind === "EndpointSlice" && noEndpoints) {
        this.pendingSync.delete(kind);
        continue;
      }
      api.watch(kind, watcher, (e) => this.apply(e as WatchEvent), { onSynced: () => this.syncedKind(kind) });
    }
  }

  /** True once every watch has delivered its initial list. */
  get synced(): boolean {
    return this.allSynced;
  }

  private syncedKind(kind: (typeof KINDS)[number]): void {
    this.pendingSync.delete(kind);
    this.allSynced = this.pendingSync.size === 0;
  }

  /** The slices of a Service (`namespace/name`, lower-cased). */
  slicesOf(id: string): readonly Readonly<EndpointSlice>[] {
    const m = this.slices.get(id);
    return m && m.size > 0 ? [...m.values()] : NO_SLICES;
  }

  private apply(event: WatchEvent): void {
    this.modifiedAt = this.sim.now;
    this.generation++;
    const o = event.object;
    const gone = event.type === "DELETED";
    const ns = (o.metadata.namespace ?? "").toLowerCase();
    const id = `${ns}/${o.metadata.name.toLowerCase()}`;
    switch (o.kind) {
      case "Namespace":
        if (gone) this.namespaces.delete(o.metadata.name.toLowerCase());
        else this.namespaces.add(o.metadata.name.toLowerCase());
        break;
      case "Service":
        if (gone) this.services.delete(id);
        else this.services.set(id, o);
        break;
      case "EndpointSlice": {
        const svc = o.metadata.labels?.[SERVICE_NAME_LABEL];
        if (!svc) break;
        const key = `${ns}/${svc.toLowerCase()}`;
        let m = this.slices.get(key);
        if (!m) {
          m = new Map();
          this.slices.set(key, m);
        }
        if (gone) m.delete(o.metadata.name);
        else m.set(o.metadata.name, o);
        break;
      }
      case "Pod":
        this.indexPod(id, ns, gone ? null : o);
        break;
    }
  }

  private indexPod(id: string, ns: string, pod: Readonly<Pod> | null): void {
    const before = this.podIps.get(id);
    const podIps = pod ? (pod.status?.podIPs ?? []) : [];
    // Most pod changes (readiness, labels) keep the addresses: nothing to re-index.
    if (before && before.length === podIps.length && before.every((ip, i) => ip === podIps[i]!.ip)) return;
    for (const ip of before ?? []) this.podsByIp.get(ip)?.delete(ns);
    const ips = podIps.map((p) => p.ip);
    this.podIps.set(id, ips);
    for (const ip of ips) {
      let set = this.podsByIp.get(ip);
      if (!set) {
        set = new Set();
        this.podsByIp.set(ip, set);
      }
      set.add(ns);
    }
  }
}
