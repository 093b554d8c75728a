import type { ApiServer, WatchEvent } from "../../k8s/apiserver.js";
import type { EndpointSlice, Kind } from "../../k8s/objects.js";
import type { Sim } from "../../sim/sim.js";
import type { Micros } from "../../sim/time.js";

const NO_SLICES: readonly Readonly<EndpointSlice>[] = Object.freeze([]);

/**
 * What the kubernetes and multicluster plugins' informer caches share: watches on the cluster's
 * API server for a set of kinds, whether each has delivered its initial list (SERVFAIL until
 * then), a count of changes that answers remembered from the cache are valid for, the time of the
 * last change (the SOA serial), and EndpointSlices filed by the service they belong to.
 */
export abstract class WatchedIndex {
  /** EndpointSlices by the key of their service (each index says what the key is), then by slice. */
  readonly slices = new Map<string, Map<string, Readonly<EndpointSlice>>>();
  /** When the last change arrived: the SOA serial. */
  modifiedAt: Micros = 0;
  /** How many changes have arrived: what was read from the index holds while this stays the same. */
  generation = 0;
  private readonly pendingSync: Set<Kind>;
  /** {@link synced}, kept as a field since every query asks: `pendingSync` stays out of the way. */
  private allSynced = false;

  constructor(
    readonly sim: Sim,
    api: ApiServer,
    watcher: string,
    kinds: readonly Kind[],
  ) {
    this.pendingSync = new Set(kinds);
    // Deliveries come after the watch delay, never during this constructor, so the subclass's
    // fields are in place when `apply` first runs.
    for (const kind of kinds) api.watch(kind, watcher, (e) => this.apply(e as WatchEvent), { onSynced: () => this.syncedKind(kind) });
  }

  /** True once every watch has delivered its initial list. */
  get synced(): boolean {
    return this.allSynced;
  }

  /** The slices filed under a service's key. */
  slicesOf(key: string): readonly Readonly<EndpointSlice>[] {
    const m = this.slices.get(key);
    return m && m.size > 0 ? [...m.values()] : NO_SLICES;
  }

  /** Files one watch event. */
  protected abstract apply(event: WatchEvent): void;

  /** Records that what the index holds changed now. */
  protected changed(): void {
    this.modifiedAt = this.sim.now;
    this.generation++;
  }

  private syncedKind(kind: Kind): void {
    this.pendingSync.delete(kind);
    this.allSynced = this.pendingSync.size === 0;
  }
}
