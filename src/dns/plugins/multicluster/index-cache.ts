import type { ApiServer, WatchEvent } from "../../../k8s/apiserver.js";
import type { EndpointSlice, Kind, ServiceImport } from "../../../k8s/objects.js";
import type { Sim } from "../../../sim/sim.js";
import { WatchedIndex } from "../watched-index.js";

/** The label naming the ServiceImport an imported EndpointSlice belongs to (mcs.md §1.5, §4.2). */
export const MC_SERVICE_NAME_LABEL = "multicluster.kubernetes.io/service-name";
/** The label naming the cluster an imported EndpointSlice's endpoints live in (mcs.md §4.2). */
export const MC_SOURCE_CLUSTER_LABEL = "multicluster.kubernetes.io/source-cluster";

const KINDS = ["ServiceImport", "Namespace", "EndpointSlice"] as const;

/**
 * The multicluster plugin's informer caches (mcs.md §4.2 "Watches"): ServiceImports, Namespaces
 * and the imported EndpointSlices, as the watches delivered them (late, by the watch delay).
 */
export class MulticlusterIndex extends WatchedIndex {
  /** Lower-cased namespace names. */
  readonly namespaces = new Set<string>();
  /** ServiceImports by `namespace/name`, lower-cased. */
  readonly imports = new Map<string, Readonly<ServiceImport>>();
  /** Where each slice is filed, by `namespace/name`: its label may change, or go. */
  private readonly filedUnder = new Map<string, string>();

  /**
   * Imported EndpointSlices are filed by `<service-name label>.<namespace>` (lower-cased, the key
   * CoreDNS's multicluster plugin indexes them by), then by `namespace/name` of the slice.
   * `moreKinds` are watched too, for a subclass to file (Lighthouse's ClusterProperty).
   */
  constructor(sim: Sim, api: ApiServer, watcher: string, noEndpoints: boolean, moreKinds: readonly Kind[] = []) {
    // noendpoints: no endpoint watch at all (mcs.md §4.1), so nothing to wait for either.
    super(sim, api, watcher, [...(noEndpoints ? KINDS.filter((k) => k !== "EndpointSlice") : KINDS), ...moreKinds]);
  }

  protected apply(event: WatchEvent): void {
    const o = event.object;
    // Local slices (no multicluster label, never filed) are not this plugin's: the label selector
    // CoreDNS's informer uses would not have delivered them.
    if (o.kind === "EndpointSlice" && !o.metadata.labels?.[MC_SERVICE_NAME_LABEL] && !this.filedUnder.has(sliceId(o))) return;
    this.changed();
    const gone = event.type === "DELETED";
    const ns = (o.metadata.namespace ?? "").toLowerCase();
    switch (o.kind) {
      case "Namespace":
        if (gone) this.namespaces.delete(o.metadata.name.toLowerCase());
        else this.namespaces.add(o.metadata.name.toLowerCase());
        break;
      case "ServiceImport": {
        const id = `${ns}/${o.metadata.name.toLowerCase()}`;
        if (gone) this.imports.delete(id);
        else this.imports.set(id, o);
        break;
      }
      case "EndpointSlice":
        this.fileSlice(o, ns, gone);
        break;
    }
  }

  private fileSlice(slice: Readonly<EndpointSlice>, ns: string, gone: boolean): void {
    const id = sliceId(slice);
    const before = this.filedUnder.get(id);
    if (before !== undefined) this.slices.get(before)?.delete(id);
    const svc = slice.metadata.labels?.[MC_SERVICE_NAME_LABEL];
    if (gone || !svc) {
      this.filedUnder.delete(id);
      return;
    }
    const key = `${svc.toLowerCase()}.${ns}`;
    let m = this.slices.get(key);
    if (!m) {
      m = new Map();
      this.slices.set(key, m);
    }
    m.set(id, slice);
    this.filedUnder.set(id, key);
  }
}

function sliceId(slice: Readonly<EndpointSlice>): string {
  return `${slice.metadata.namespace ?? ""}/${slice.metadata.name}`;
}
