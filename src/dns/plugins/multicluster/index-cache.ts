import type { ApiServer, WatchEvent } from "../../../k8s/apiserver.js";
import type { EndpointSlice, ServiceImport } from "../../../k8s/objects.js";
import type { Sim } from "../../../sim/sim.js";
import type { Micros } from "../../../sim/time.js";

/** The label naming the ServiceImport an imported EndpointSlice belongs to (mcs.md §1.5, §4.2). */
export const MC_SERVICE_NAME_LABEL = "multicluster.kubernetes.io/service-name";
/** The label naming the cluster an imported EndpointSlice's endpoints live in (mcs.md §4.2). */
export const MC_SOURCE_CLUSTER_LABEL = "multicluster.kubernetes.io/source-cluster";

const KINDS = ["ServiceImport", "Namespace", "EndpointSlice"] as const;
const NO_SLICES: readonly Readonly<EndpointSlice>[] = Object.freeze([]);

/**
 * The multicluster plugin's informer caches (mcs.md §4.2 "Watches"): ServiceImports, Namespaces
 * and the imported EndpointSlices, as the watches delivered them (late, by the watch delay).
 */
export class MulticlusterIndex {
  /** Lower-cased namespace names. */
  readonly namespaces = new Set<string>();
  /** ServiceImports by `namespace/name`, lower-cased. */
  readonly imports = new Map<string, Readonly<ServiceImport>>();
  /**
   * Imported EndpointSlices by `<service-name label>.<namespace>` (lower-cased, the key CoreDNS's
   * multicluster plugin indexes them by), then by `namespace/name` of the slice.
   */
  readonly slices = new Map<string, Map<string, Readonly<EndpointSlice>>>();
  /** When the last change arrived: the SOA serial. */
  modifiedAt: Micros = 0;
  /** How many changes have arrived: what was read from the index holds while this stays the same. */
  generation = 0;
  private readonly pendingSync = new Set<string>(KINDS);
  private allSynced = false;
  /** Where each slice is filed, by `namespace/name`: its label may change, or go. */
  private readonly filedUnder = new Map<string, string>();

  constructor(
    readonly sim: Sim,
    api: ApiServer,
    watcher: string,
    noEndpoints: boolean,
  ) {
    for (const kind of KINDS) {
      // noendpoints: no endpoint watch at all (mcs.md §4.1), so nothing to wait for either.
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

  /** The imported slices of `<service>.<namespace>` (lower-cased). */
  slicesOf(key: string): readonly Readonly<EndpointSlice>[] {
    const m = this.slices.get(key);
    return m && m.size > 0 ? [...m.values()] : NO_SLICES;
  }

  private syncedKind(kind: (typeof KINDS)[number]): void {
    this.pendingSync.delete(kind);
    this.allSynced = this.pendingSync.size === 0;
  }

  private apply(event: WatchEvent): void {
    const o = event.object;
    // Local slices (no multicluster label, never filed) are not this plugin's: the label selector
    // CoreDNS's informer uses would not have delivered them.
    if (o.kind === "EndpointSlice" && !o.metadata.labels?.[MC_SERVICE_NAME_LABEL] && !this.filedUnder.has(sliceId(o))) return;
    this.modifiedAt = this.sim.now;
    this.generation++;
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
