import type { ApiServer, WatchEvent } from "../../../k8s/apiserver.js";
import { CLUSTER_ID_PROPERTY, type ServiceImport } from "../../../k8s/objects.js";
import type { Sim } from "../../../sim/sim.js";
import { MulticlusterIndex } from "../multicluster/index-cache.js";

/**
 * The lighthouse plugin's informer caches (mcs.md §5.3): the multicluster plugin's ServiceImports
 * and imported EndpointSlices, plus the local cluster's id. Lighthouse reads that id from
 * `SUBMARINER_CLUSTERID`, which Submariner's operator fills in from the cluster's id; mcsim reads
 * the cluster's `cluster.clusterset.k8s.io` ClusterProperty, where the ClusterSet keeps that id.
 */
export class LighthouseIndex extends MulticlusterIndex {
  /** The local cluster's id, empty while the cluster has none (then no cluster counts as local). */
  clusterId = "";
  /**
   * ServiceImports deleted while their slices remain, by `namespace/name`, with the key their
   * slices are filed under: Lighthouse keeps a service's records until its last slice goes too
   * (`RemoveServiceImport`, lighthouse PR #1472).
   */
  private readonly retained = new Map<string, { readonly serviceImport: Readonly<ServiceImport>; readonly slicesKey: string }>();

  constructor(sim: Sim, api: ApiServer, watcher: string) {
    super(sim, api, watcher, false, ["ClusterProperty"]);
  }

  /** The ServiceImport Lighthouse knows under a name, lower-cased: the current one, or one it keeps for its slices. */
  service(namespace: string, name: string): Readonly<ServiceImport> | undefined {
    const id = `${namespace}/${name}`;
    return this.imports.get(id) ?? this.retained.get(id)?.serviceImport;
  }

  protected override apply(event: WatchEvent): void {
    const o = event.object;
    if (o.kind === "ClusterProperty") {
      if (o.metadata.name !== CLUSTER_ID_PROPERTY) return;
      this.changed();
      this.clusterId = event.type === "DELETED" ? "" : o.spec.value;
      return;
    }
    if (o.kind === "ServiceImport") {
      const ns = (o.metadata.namespace ?? "").toLowerCase();
      const name = o.metadata.name.toLowerCase();
      const slicesKey = `${name}.${ns}`;
      if (event.type === "DELETED" && this.slicesOf(slicesKey).length > 0) this.retained.set(`${ns}/${name}`, { serviceImport: o, slicesKey });
      else this.retained.delete(`${ns}/${name}`);
    }
    super.apply(event);
    // `RemoveEndpointSlice`: a service no longer exported goes with its last slice.
    if (o.kind === "EndpointSlice") for (const [id, kept] of this.retained) if (this.slicesOf(kept.slicesKey).length === 0) this.retained.delete(id);
  }
}
