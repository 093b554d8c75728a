import type { ApiServer, WatchEvent } from "../../../k8s/apiserver.js";
import type { Pod, Service } from "../../../k8s/objects.js";
import { SERVICE_NAME_LABEL } from "../../../k8s/endpointslices.js";
import type { Sim } from "../../../sim/sim.js";
import { WatchedIndex } from "../watched-index.js";

const KINDS = ["Namespace", "Service", "EndpointSlice", "Pod"] as const;

/**
 * The kubernetes plugin's informer caches: Namespaces, Services, EndpointSlices and Pods as the
 * watches delivered them (late, by the watch delay), indexed the way lookups need them.
 */
export class KubernetesIndex extends WatchedIndex {
  /** Lower-cased namespace names. */
  readonly namespaces = new Set<string>();
  /** Services by `namespace/name`, lower-cased. */
  readonly services = new Map<string, Readonly<Service>>();
  /** Pods by IP, for `pods verified`. */
  readonly podsByIp = new Map<string, Set<string>>();
  private readonly podIps = new Map<string, string[]>();

  /** EndpointSlices are filed by the `namespace/name` of their Service, lower-cased, then by slice name. */
  constructor(sim: Sim, api: ApiServer, watcher: string, noEndpoints: boolean) {
    super(sim, api, watcher, noEndpoints ? KINDS.filter((k) => k !== "EndpointSlice") : KINDS);
  }

  protected apply(event: WatchEvent): void {
    this.changed();
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
