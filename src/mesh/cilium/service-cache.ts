/**
 * What a Cilium agent knows of one cluster's Services and EndpointSlices (its own, from its
 * informers, or a remote cluster's, from that cluster's clustermesh-apiserver): the Services by
 * `namespace/name` and each one's slices, as the watch events have delivered them.
 */
import type { WatchEvent } from "../../k8s/apiserver.js";
import { SERVICE_NAME_LABEL } from "../../k8s/endpointslices.js";
import type { EndpointSlice, Kind, Service } from "../../k8s/objects.js";

const keyOf = (namespace: string | undefined, name: string) => `${namespace ?? "default"}/${name}`;

/** One cluster's Services and their slices. */
export class ServiceCache {
  readonly services = new Map<string, Readonly<Service>>();
  /** Slices by the `namespace/name` of the Service their label names, then by slice name. */
  private readonly slicesByService = new Map<string, Map<string, Readonly<EndpointSlice>>>();
  /** The Service each cached slice was filed under, by `namespace/slice`, to move it when relabelled. */
  private readonly serviceOfSlice = new Map<string, string>();

  /** Takes one watch event of a Service or an EndpointSlice (other kinds are ignored). */
  apply(kind: Kind, e: WatchEvent): void {
    const o = e.object;
    const k = keyOf(o.metadata.namespace, o.metadata.name);
    if (kind === "Service") {
      if (e.type === "DELETED") this.services.delete(k);
      else this.services.set(k, o as Service);
      return;
    }
    if (kind !== "EndpointSlice") return;
    const before = this.serviceOfSlice.get(k);
    if (before !== undefined) this.slicesByService.get(before)?.delete(o.metadata.name);
    this.serviceOfSlice.delete(k);
    const service = o.metadata.labels?.[SERVICE_NAME_LABEL];
    if (e.type === "DELETED" || service === undefined) return;
    const sk = keyOf(o.metadata.namespace, service);
    let slices = this.slicesByService.get(sk);
    if (!slices) this.slicesByService.set(sk, (slices = new Map()));
    slices.set(o.metadata.name, o as EndpointSlice);
    this.serviceOfSlice.set(k, sk);
  }

  /** The slices of a Service (`namespace/name`), by name in order, as kube-proxy reads them. */
  slicesOf(serviceKey: string): Readonly<EndpointSlice>[] {
    const slices = this.slicesByService.get(serviceKey);
    if (!slices) return [];
    return [...slices.values()].sort((a, b) => (a.metadata.name < b.metadata.name ? -1 : a.metadata.name > b.metadata.name ? 1 : 0));
  }

  /** Forgets everything (a cache revoked, mesh.md §6). */
  clear(): void {
    this.services.clear();
    this.slicesByService.clear();
    this.serviceOfSlice.clear();
  }
}
