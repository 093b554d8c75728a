import { sample, type Distribution } from "../sim/distribution.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import { Fifo } from "../sim/fifo.js";
import type { Micros } from "../sim/time.js";
import { API_VERSIONS, NAMESPACED, type K8sObject, type Kind, type ObjectOfKind, type Secret } from "./objects.js";
import { formatTimestamp } from "./timestamp.js";

declare module "../sim/trace.js" {
  interface TraceEventMap {
    /** The API server stored a change (summary level). */
    "k8s.write": { cluster: string; verb: "create" | "update" | "delete"; kind: string; namespace: string; name: string; resourceVersion: string };
  }
}

/** A watch event, as the API server streams them. */
export interface WatchEvent<K extends Kind = Kind> {
  readonly type: "ADDED" | "MODIFIED" | "DELETED";
  readonly object: Readonly<ObjectOfKind<K>>;
  /**
   * For MODIFIED and DELETED, the object as this watch last delivered it: what an informer
   * hands its update and delete handlers as the old object, so that a watcher need not keep a
   * cache only to learn what changed.
   */
  readonly previous?: Readonly<ObjectOfKind<K>>;
}

/** Why the API server refused a request; `reason` is the API's StatusReason. */
export type ApiReason = "NotFound" | "AlreadyExists" | "Invalid" | "Conflict";

/**
 * A request the API server refused. The message is shaped as kubectl prints it:
 * `Error from server (NotFound): services "web" not found`.
 */
export class ApiError extends Error {
  override readonly name = "ApiError";
  constructor(
    readonly reason: ApiReason,
    readonly detail: string,
  ) {
    super(`Error from server (${reason}): ${detail}`);
  }
}

/** The resource (plural) name of each kind, as the API and kubectl name them. */
export const RESOURCES: Readonly<Record<Kind, string>> = {
  Namespace: "namespaces",
  Pod: "pods",
  Service: "services",
  EndpointSlice: "endpointslices",
  ConfigMap: "configmaps",
  Secret: "secrets",
  Deployment: "deployments",
  StatefulSet: "statefulsets",
  ServiceExport: "serviceexports",
  ServiceImport: "serviceimports",
  ClusterProperty: "clusterproperties",
  VirtualService: "virtualservices",
  DestinationRule: "destinationrules",
  ServiceEntry: "serviceentries",
  Gateway: "gateways",
  PeerAuthentication: "peerauthentications",
  Link: "links",
  TrafficSplit: "trafficsplits",
};

/**
 * The resource as the API server names it in errors: the plural, qualified by the API group
 * outside the core group (`pods`, `deployments.apps`, `endpointslices.discovery.k8s.io`).
 */
export function qualifiedResource(kind: Kind): string {
  const apiVersion = API_VERSIONS[kind];
  const slash = apiVersion.indexOf("/");
  return slash < 0 ? RESOURCES[kind] : `${RESOURCES[kind]}.${apiVersion.slice(0, slash)}`;
}

/** Options of an {@link ApiServer}. */
export interface ApiServerOptions {
  /**
   * How long a change takes to reach each watcher (the watch cache, the network to the
   * informer). Default: 5–15 ms uniform.
   */
  readonly watchDelay?: Distribution;
}

/**
 * Runs before a create, update or delete is stored (`object` is null for a delete), and may fill
 * in fields (a Service's clusterIP), refuse the request with an {@link ApiError}, or release what
 * a deleted object held, as the API server's admission chain and registries do.
 */
export type Admission = (object: K8sObject | null, current: Readonly<K8sObject> | undefined) => void;

interface Watcher {
  readonly kind: Kind;
  /** A selector: the watch sees only the objects it accepts. */
  readonly selects: ((object: Readonly<K8sObject>) => boolean) | undefined;
  readonly handler: (event: WatchEvent) => void;
  readonly rng: Rng;
  readonly delay: Distribution;
  /** Deliveries never overtake each other: a watch is an ordered stream. */
  lastDelivery: Micros;
  active: boolean;
  /**
   * Events on their way, oldest first. They are scheduled at non-decreasing instants, so they
   * fire in this order, and one handler per watch can take them from the front: no closure per
   * delivery.
   */
  readonly queue: Fifo<WatchEvent>;
  readonly deliverNext: () => void;
}

/**
 * Sees every stored change at once, in the order of writes: `previous` is the object before the
 * change (undefined for a create), `object` the object after it (for a delete, the deleted one).
 */
export type StoreObserver = (type: WatchEvent["type"], object: Readonly<K8sObject>, previous: Readonly<K8sObject> | undefined) => void;

/** Objects of one kind by namespace, by label or by controller owner (see {@link ApiServer.listByLabel}). */
type Buckets = Map<string, Map<string, K8sObject>>;

const DEFAULT_WATCH_DELAY: Distribution = { kind: "uniform", min: 5_000, max: 15_000 };

/** The namespaces every cluster starts with. */
export const INITIAL_NAMESPACES = ["default", "kube-node-lease", "kube-public", "kube-system"] as const;

/**
 * One cluster's API server: an object store with resourceVersions and watches. Writes are
 * immediate; watchers see them after a propagation delay, in order, as informers do — so
 * controllers, kube-proxy and CoreDNS act on changes late, as in a real cluster.
 *
 * Objects are copied on the way in and must be treated as read-only on the way out.
 */
export class ApiServer {
  /**
   * The objects, by kind, then namespace ("" for cluster-scoped kinds), then name: the store and
   * its namespace index in one, so that each object costs one entry.
   */
  private readonly objects = new Map<Kind, Buckets>();
  /**
   * Indexes of the store, so that controllers in large clusters find what they need without
   * listing a whole kind: by label key, namespace and value, and by `namespace, controller owner
   * kind, owner name`. Each maps to objects by name. A label key is indexed from the first time
   * someone lists by it (an informer's indexer is added by whoever needs it): most label keys
   * are never asked for, and an index entry per label per object is much of what a large store
   * costs.
   */
  private readonly byLabel = new Map<Kind, Map<string, Map<string, Buckets>>>();
  private readonly byOwner = new Map<Kind, Buckets>();
  private readonly observers: { readonly kind: Kind; readonly observer: StoreObserver }[] = [];
  private readonly watchers: Watcher[] = [];
  private readonly admissions: Admission[] = [];
  private written = 0;
  private stampedAt = -1;
  private stamp = "";
  private readonly uidRng: Rng;
  private readonly watchDelay: Distribution;

  constructor(
    readonly sim: Sim,
    /** The cluster this API server belongs to. */
    readonly cluster: string,
    options: ApiServerOptions = {},
  ) {
    this.uidRng = sim.rng.stream(`apiserver/${cluster}/uid`);
    this.watchDelay = options.watchDelay ?? DEFAULT_WATCH_DELAY;
    for (const name of INITIAL_NAMESPACES) this.create({ apiVersion: "v1", kind: "Namespace", metadata: { name } });
  }

  /** Adds a step to the admission chain, run in the order added. */
  addAdmission(admission: Admission): void {
    this.admissions.push(admission);
  }

  /** The latest resourceVersion the store has written. */
  get resourceVersion(): string {
    return String(this.written);
  }

  /**
   * {@link resourceVersion} as a number: it changes with every write, so what was read from the
   * store holds while it stays the same.
   */
  get revision(): number {
    return this.written;
  }

  /** Creates an object; refuses one that exists or whose namespace does not. */
  create<T extends K8sObject>(object: T): Readonly<T> {
    const { namespace, name } = this.identity(object);
    if (this.current(object.kind, namespace, name)) {
      throw new ApiError("AlreadyExists", `${qualifiedResource(object.kind)} "${name}" already exists`);
    }
    const stored = storeCopy(object);
    if (stored.kind === "Secret") mergeStringData(stored);
    for (const admit of this.admissions) admit(stored, undefined);
    stored.metadata.uid = this.newUid();
    stored.metadata.creationTimestamp = this.timestamp();
    if (NAMESPACED.has(object.kind)) stored.metadata.namespace = namespace;
    else delete stored.metadata.namespace;
    this.write("create", stored, undefined);
    return stored;
  }

  /** Replaces an existing object, keeping its uid and creation time. A change that changes nothing is not written. */
  update<T extends K8sObject>(object: T): Readonly<T> {
    const { namespace, name } = this.identity(object);
    const current = this.current(object.kind, namespace, name);
    if (!current) throw new ApiError("NotFound", `${qualifiedResource(object.kind)} "${name}" not found`);
    const stored = storeCopy(object);
    if (stored.kind === "Secret") mergeStringData(stored);
    for (const admit of this.admissions) admit(stored, current);
    stored.metadata.uid = current.metadata.uid!;
    stored.metadata.creationTimestamp = current.metadata.creationTimestamp!;
    stored.metadata.resourceVersion = current.metadata.resourceVersion!;
    if (NAMESPACED.has(object.kind)) stored.metadata.namespace = namespace;
    else delete stored.metadata.namespace;
    if (sameContent(stored, current)) return current as T;
    this.write("update", stored, current);
    return stored;
  }

  /**
   * Creates the object, or updates it when it exists (what `kubectl apply` amounts to here). As
   * apply's merge does, what the cluster filled in and the manifest leaves out is kept: the
   * object's `status`, and a Pod's `spec.nodeName`; so re-applying an unchanged manifest changes
   * nothing.
   */
  apply<T extends K8sObject>(object: T): Readonly<T> {
    const { namespace, name } = this.identity(object);
    const current = this.current(object.kind, namespace, name);
    if (!current) return this.create(object);
    let merged: K8sObject = object;
    if (!("status" in merged) && "status" in current) merged = { ...merged, status: current.status } as K8sObject;
    if (merged.kind === "Pod" && current.kind === "Pod" && merged.spec.nodeName === undefined && current.spec.nodeName !== undefined) {
      merged = { ...merged, spec: { ...merged.spec, nodeName: current.spec.nodeName } };
    }
    return this.update(merged as T);
  }

  /**
   * Deletes an object. Deleting a namespace deletes everything in it. Returns the deleted object.
   *
   * @throws ApiError NotFound when there is no such object.
   */
  delete<K extends Kind>(kind: K, namespace: string, name: string): Readonly<ObjectOfKind<K>> {
    const current = this.current(kind, NAMESPACED.has(kind) ? namespace : "", name);
    if (!current) throw new ApiError("NotFound", `${qualifiedResource(kind)} "${name}" not found`);
    if (kind === "Namespace") {
      for (const [k, namespaces] of this.objects) {
        if (!NAMESPACED.has(k)) continue;
        for (const obj of [...(namespaces.get(name)?.values() ?? [])]) this.delete(k, name, obj.metadata.name);
      }
    }
    for (const admit of this.admissions) admit(null, current);
    this.unindex(current);
    this.written++;
    const deleted = { ...current, metadata: { ...current.metadata, resourceVersion: String(this.written) } } as K8sObject;
    this.trace("delete", deleted);
    this.observe(kind, "DELETED", deleted, current);
    this.notify({ type: "DELETED", object: deleted, previous: current });
    return deleted as ObjectOfKind<K>;
  }

  /** One object, or undefined. */
  get<K extends Kind>(kind: K, namespace: string, name: string): Readonly<ObjectOfKind<K>> | undefined {
    return this.current(kind, NAMESPACED.has(kind) ? namespace : "", name) as ObjectOfKind<K> | undefined;
  }

  /** Objects of a kind, in one namespace or all, sorted by namespace then name as the API lists them. */
  list<K extends Kind>(kind: K, namespace?: string): Readonly<ObjectOfKind<K>>[] {
    const namespaces = this.objects.get(kind);
    if (namespace !== undefined) return byName(namespaces?.get(NAMESPACED.has(kind) ? namespace : ""));
    const out: ObjectOfKind<K>[] = [];
    for (const objects of namespaces?.values() ?? []) for (const o of objects.values()) out.push(o as ObjectOfKind<K>);
    return out.sort((a, b) => compare(a.metadata.namespace ?? "", b.metadata.namespace ?? "") || compare(a.metadata.name, b.metadata.name));
  }

  /** How many objects of a kind there are, in one namespace or all, without listing them. */
  count(kind: Kind, namespace?: string): number {
    const namespaces = this.objects.get(kind);
    if (namespace !== undefined) return namespaces?.get(NAMESPACED.has(kind) ? namespace : "")?.size ?? 0;
    let n = 0;
    for (const objects of namespaces?.values() ?? []) n += objects.size;
    return n;
  }

  /**
   * The objects of a kind in a namespace whose label `key` is `value`, sorted by name: what
   * `list(kind, namespace)` filtered on that label gives, without reading the whole namespace.
   */
  listByLabel<K extends Kind>(kind: K, namespace: string, key: string, value: string): Readonly<ObjectOfKind<K>>[] {
    return byName(this.labelIndex(kind, key).get(namespace)?.get(value));
  }

  /**
   * The object named `name` among those {@link listByLabel} would return, or undefined: a lookup
   * among the few objects of one label value, not in the whole namespace.
   */
  getByLabel<K extends Kind>(kind: K, namespace: string, key: string, value: string, name: string): Readonly<ObjectOfKind<K>> | undefined {
    return this.labelIndex(kind, key).get(namespace)?.get(value)?.get(name) as ObjectOfKind<K> | undefined;
  }

  /** How many objects {@link listByLabel} would return, without listing them. */
  countByLabel(kind: Kind, namespace: string, key: string, value: string): number {
    return this.labelIndex(kind, key).get(namespace)?.get(value)?.size ?? 0;
  }

  /**
   * The objects of a kind in a namespace whose controller (the first owner reference with
   * `controller` set) is `ownerKind` `ownerName`, sorted by name.
   */
  listByOwner<K extends Kind>(kind: K, namespace: string, ownerKind: string, ownerName: string): Readonly<ObjectOfKind<K>>[] {
    return byName(this.byOwner.get(kind)?.get(ownerKey(namespace, ownerKind, ownerName)));
  }

  /**
   * Calls `observer` at once, inside the write, for every change of a kind stored from now on.
   * This is for indexes of the store's current state, kept by code that already reads that state
   * directly (a controller's work queue); anything that reacts to changes as a cluster component
   * would must {@link watch} instead, which delivers them late, as informers do.
   */
  observeStore(kind: Kind, observer: StoreObserver): void {
    this.observers.push({ kind, observer });
  }

  /**
   * Watches a kind: the handler gets an ADDED event for every existing object, then every change,
   * each after the watch delay and never out of order. `watcher` names who watches (its delays
   * draw from their own stream). Returns a function that stops the watch.
   */
  watch<K extends Kind>(
    kind: K,
    watcher: string,
    handler: (event: WatchEvent<K>) => void,
    options: {
      readonly delay?: Distribution;
      /** Called once the initial list has been delivered (an informer's HasSynced). */
      readonly onSynced?: () => void;
      /**
       * A selector (as a label selector on a watch): only objects it accepts are delivered, and
       * an object that stops being accepted is delivered as DELETED.
       */
      readonly selects?: (object: Readonly<ObjectOfKind<K>>) => boolean;
    } = {},
  ): () => void {
    const queue = new Fifo<WatchEvent>();
    const w: Watcher = {
      kind,
      selects: options.selects as ((object: Readonly<K8sObject>) => boolean) | undefined,
      handler: handler as (event: WatchEvent) => void,
      rng: this.sim.rng.stream(`apiserver/${this.cluster}/watch/${watcher}/${kind}`),
      delay: options.delay ?? this.watchDelay,
      lastDelivery: this.sim.now,
      active: true,
      queue,
      deliverNext: () => {
        const event = queue.shift()!;
        if (w.active) w.handler(event);
      },
    };
    this.watchers.push(w);
    const initial = options.selects ? this.list(kind).filter((o) => options.selects!(o)) : this.list(kind);
    for (const obj of initial) this.deliver(w, { type: "ADDED", object: obj as K8sObject });
    const onSynced = options.onSynced;
    if (onSynced) {
      // After the initial list, or after one watch delay when there was nothing to list.
      const at = initial.length > 0 ? w.lastDelivery : this.sim.now + sample(w.delay, w.rng);
      w.lastDelivery = Math.max(w.lastDelivery, at);
      this.sim.at(at, () => {
        if (w.active) onSynced();
      });
    }
    return () => {
      w.active = false;
      const i = this.watchers.indexOf(w);
      if (i >= 0) this.watchers.splice(i, 1);
    };
  }

  private identity(object: K8sObject): { namespace: string; name: string } {
    const name = object.metadata.name;
    if (!NAMESPACED.has(object.kind)) return { namespace: "", name };
    const namespace = object.metadata.namespace ?? "default";
    if (!this.current("Namespace", "", namespace)) {
      throw new ApiError("NotFound", `namespaces "${namespace}" not found`);
    }
    return { namespace, name };
  }

  private current(kind: Kind, namespace: string, name: string): K8sObject | undefined {
    return this.objects.get(kind)?.get(namespace)?.get(name);
  }

  /** The index of one label key (by namespace, then value), built from the store the first time the key is asked for. */
  private labelIndex(kind: Kind, key: string): Map<string, Buckets> {
    let keys = this.byLabel.get(kind);
    if (!keys) {
      keys = new Map();
      this.byLabel.set(kind, keys);
    }
    let index = keys.get(key);
    if (index) return index;
    index = new Map<string, Buckets>();
    keys.set(key, index);
    for (const objects of this.objects.get(kind)?.values() ?? []) {
      for (const o of objects.values()) {
        const value = o.metadata.labels?.[key];
        if (value !== undefined && o.metadata.namespace !== undefined) bucket(index, o.metadata.namespace, value).set(o.metadata.name, o);
      }
    }
    return index;
  }

  /** The creation time of objects written now: one string for every write at the same instant. */
  private timestamp(): string {
    if (this.stampedAt !== this.sim.now) {
      this.stampedAt = this.sim.now;
      this.stamp = formatTimestamp(this.sim.now);
    }
    return this.stamp;
  }

  private write(verb: "create" | "update", stored: K8sObject, previous: K8sObject | undefined): void {
    this.written++;
    stored.metadata.resourceVersion = String(this.written);
    // Most updates keep the labels and owner (a status change): the object only takes the old
    // one's place in its buckets.
    if (previous && sameIndexKeys(previous, stored)) this.index(stored);
    else {
      if (previous) this.unindex(previous);
      this.index(stored);
    }
    this.trace(verb, stored);
    const type = verb === "create" ? "ADDED" : "MODIFIED";
    this.observe(stored.kind, type, stored, previous);
    this.notify(previous ? { type, object: stored, previous } : { type, object: stored });
  }

  private observe(kind: Kind, type: WatchEvent["type"], object: K8sObject, previous: K8sObject | undefined): void {
    for (const o of this.observers) if (o.kind === kind) o.observer(type, object, previous);
  }

  /** Puts a stored object in the store and, when it is namespaced, in the indexes. */
  private index(object: K8sObject): void {
    const ns = object.metadata.namespace;
    const name = object.metadata.name;
    bucket(this.objects, object.kind, ns ?? "").set(name, object);
    if (ns === undefined) return;
    const labels = object.metadata.labels;
    const indexed = this.byLabel.get(object.kind);
    if (labels && indexed) {
      for (const k in labels) {
        const index = indexed.get(k);
        if (index) bucket(index, ns, labels[k]!).set(name, object);
      }
    }
    const owner = object.metadata.ownerReferences?.find((o) => o.controller);
    if (owner) bucket(this.byOwner, object.kind, ownerKey(ns, owner.kind, owner.name)).set(name, object);
  }

  /** Takes an object, as it was indexed, out of the store and the indexes. */
  private unindex(object: K8sObject): void {
    const ns = object.metadata.namespace;
    const name = object.metadata.name;
    unbucket(this.objects, object.kind, ns ?? "", name);
    if (ns === undefined) return;
    const labels = object.metadata.labels;
    const indexed = this.byLabel.get(object.kind);
    if (labels && indexed) {
      for (const k in labels) {
        const index = indexed.get(k);
        if (index) unbucket(index, ns, labels[k]!, name);
      }
    }
    const owner = object.metadata.ownerReferences?.find((o) => o.controller);
    if (owner) unbucket(this.byOwner, object.kind, ownerKey(ns, owner.kind, owner.name), name);
  }

  private trace(verb: "create" | "update" | "delete", object: K8sObject): void {
    if (!this.sim.trace.summary) return;
    this.sim.trace.record("k8s.write", {
      cluster: this.cluster,
      verb,
      kind: object.kind,
      namespace: object.metadata.namespace ?? "",
      name: object.metadata.name,
      resourceVersion: object.metadata.resourceVersion ?? "",
    });
  }

  private notify(event: WatchEvent): void {
    for (const w of this.watchers) {
      if (!w.active || w.kind !== event.object.kind) continue;
      if (!w.selects) {
        this.deliver(w, event);
        continue;
      }
      // As a selector's watch does: an object that comes to match is ADDED, one that stops
      // matching is DELETED (as it was last seen), and the others are not this watch's business.
      const now = event.type !== "DELETED" && w.selects(event.object);
      const before = event.previous !== undefined && w.selects(event.previous);
      if (now && before) this.deliver(w, event);
      else if (now) this.deliver(w, { type: "ADDED", object: event.object });
      else if (before) this.deliver(w, { type: "DELETED", object: event.type === "DELETED" ? event.object : event.previous!, previous: event.previous! });
    }
  }

  private deliver(watcher: Watcher, event: WatchEvent): void {
    const at = Math.max(this.sim.now + sample(watcher.delay, watcher.rng), watcher.lastDelivery);
    watcher.lastDelivery = at;
    watcher.queue.push(event);
    this.sim.at(at, watcher.deliverNext);
  }

  /** A version 4 UUID from the cluster's own stream: unique, and the same on every run. */
  private newUid(): string {
    const a = this.uidRng.nextUint32();
    const b = this.uidRng.nextUint32();
    const c = this.uidRng.nextUint32();
    const d = this.uidRng.nextUint32();
    // xxxxxxxx-xxxx-4xxx-Vxxx-xxxxxxxxxxxx: b's fifth hex digit gives way to the version, c's
    // first to the variant (8, 9, a or b, from its two low bits).
    hexInto(0, a, 8);
    hexInto(9, b >>> 16, 4);
    hexInto(15, b & 0xfff, 3);
    UID[19] = HEX_DIGITS[8 + ((c >>> 28) & 3)]!;
    hexInto(20, (c >>> 16) & 0xfff, 3);
    hexInto(24, c & 0xffff, 4);
    hexInto(28, d, 8);
    // One flat string from the buffer: a large store keeps a uid per object.
    return UID.toString("latin1");
  }
}

const hasOwn = Object.prototype.hasOwnProperty;

/** The characters of a uid being written (one at a time: the simulation runs on one thread). */
const UID = Buffer.from("00000000-0000-4000-8000-000000000000", "latin1");
const HEX_DIGITS = Buffer.from("0123456789abcdef", "latin1");

/** Writes the low `digits` hex digits of `n` into {@link UID} at `at`. */
function hexInto(at: number, n: number, digits: number): void {
  for (let i = digits - 1; i >= 0; i--) {
    UID[at + i] = HEX_DIGITS[n & 15]!;
    n >>>= 4;
  }
}

/**
 * A deep copy of plain data (objects, arrays, primitives), as `structuredClone` makes it but at a
 * fraction of the cost on the small objects the API server copies on every write. Anything that
 * is not plain data (a Date, a Map) goes through `structuredClone`, which also refuses functions.
 */
export function cloneData<T>(value: T): T {
  return copy(value, false);
}

/**
 * What the store keeps of an object written to it: a copy whose top level and metadata are its
 * own (the store writes uid, versions and times there), and whose other parts are copied too,
 * except the frozen ones, which are shared. A controller that writes the same content into many
 * clusters (the MCS agents' imported slices) freezes it once with {@link deepFreeze} and pays for
 * it once.
 */
function storeCopy<T extends K8sObject>(object: T): T {
  const out = shallowThenDeep(object as unknown as Record<string, unknown>);
  out.metadata = shallowThenDeep(object.metadata as unknown as Record<string, unknown>);
  return out as unknown as T;
}

/**
 * A spread copy (the engine's fast path for copying an object's own properties) whose unfrozen
 * object values are then copied in turn. A `__proto__` key has no place in what the store keeps:
 * it goes the slow way, which keeps it as data.
 */
function shallowThenDeep(value: Record<string, unknown>): Record<string, unknown> {
  if (hasOwn.call(value, "__proto__")) return copyObject(value, true);
  const out = { ...value };
  for (const k in out) {
    const v = out[k];
    if ((typeof v === "object" && v !== null && !Object.isFrozen(v)) || typeof v === "function") out[k] = copy(v, true);
  }
  return out;
}

/**
 * Freezes plain data all the way down, so that the API server may share it between the objects it
 * stores instead of copying it into each (see {@link ApiServer.create}). Returns the value.
 */
export function deepFreeze<T>(value: T): T {
  if (typeof value !== "object" || value === null || Object.isFrozen(value)) return value;
  for (const k of Object.keys(value)) deepFreeze((value as Record<string, unknown>)[k]);
  return Object.freeze(value);
}

function copy<T>(value: T, shareFrozen: boolean): T {
  if (typeof value !== "object" || value === null) return typeof value === "function" ? structuredClone(value) : value;
  if (shareFrozen && Object.isFrozen(value)) return value;
  if (Array.isArray(value)) {
    const out: unknown[] = new Array(value.length);
    for (let i = 0; i < value.length; i++) out[i] = copy(value[i], shareFrozen);
    return out as T;
  }
  const proto = Object.getPrototypeOf(value);
  if (proto !== Object.prototype && proto !== null) return structuredClone(value);
  return copyObject(value as Record<string, unknown>, shareFrozen) as T;
}

/** A plain object's own keys, each value copied. */
function copyObject(value: Record<string, unknown>, shareFrozen: boolean): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const k in value) {
    // Own keys only, as structuredClone copies them (plain data has no others).
    if (!hasOwn.call(value, k)) continue;
    const v = copy(value[k], shareFrozen);
    // A key spelt __proto__ is data here, not the prototype.
    if (k === "__proto__") Object.defineProperty(out, k, { value: v, enumerable: true, writable: true, configurable: true });
    else out[k] = v;
  }
  return out;
}

/**
 * What the API server does with a Secret's `stringData` on every write: each value, base64-encoded,
 * replaces the `data` entry of its key, and `stringData` itself is dropped (it is write-only). A
 * new `data` map, since the written one may be shared with the caller or frozen.
 */
function mergeStringData(secret: Secret): void {
  const strings = secret.stringData;
  if (strings === undefined) return;
  delete secret.stringData;
  const data: Record<string, string> = { ...secret.data };
  for (const key of Object.keys(strings)) {
    // Defined, not assigned, so that a key spelt __proto__ is data.
    Object.defineProperty(data, key, { value: Buffer.from(strings[key]!, "utf8").toString("base64"), enumerable: true, writable: true, configurable: true });
  }
  secret.data = data;
}

const ownerKey = (namespace: string, kind: string, name: string) => `${namespace}\u0000${kind}\u0000${name}`;

function bucket<K>(index: Map<K, Buckets>, first: K, k: string): Map<string, K8sObject> {
  let buckets = index.get(first);
  if (!buckets) {
    buckets = new Map();
    index.set(first, buckets);
  }
  let b = buckets.get(k);
  if (!b) {
    b = new Map();
    buckets.set(k, b);
  }
  return b;
}

function unbucket<K>(index: Map<K, Buckets>, first: K, k: string, name: string): void {
  const buckets = index.get(first);
  const b = buckets?.get(k);
  if (!b) return;
  b.delete(name);
  // Empty buckets go, so that label values that come and go (template hashes) do not pile up.
  if (b.size === 0) buckets!.delete(k);
}

/** True when two versions of an object sit in the same index buckets. */
function sameIndexKeys(a: K8sObject, b: K8sObject): boolean {
  if (a.metadata.namespace !== b.metadata.namespace) return false;
  const la = a.metadata.labels;
  const lb = b.metadata.labels;
  if (la !== lb) {
    if (!la || !lb) return false;
    let n = 0;
    for (const k in la) {
      if (la[k] !== lb[k]) return false;
      n++;
    }
    for (const _ in lb) n--;
    if (n !== 0) return false;
  }
  const oa = a.metadata.ownerReferences?.find((o) => o.controller);
  const ob = b.metadata.ownerReferences?.find((o) => o.controller);
  return oa?.kind === ob?.kind && oa?.name === ob?.name;
}

/** A bucket's objects sorted by name, as `list` orders them within a namespace. */
function byName<T>(b: Map<string, K8sObject> | undefined): T[] {
  if (!b) return [];
  const out = [...b.values()] as T[];
  return out.sort((x, y) => compare((x as K8sObject).metadata.name, (y as K8sObject).metadata.name));
}

function compare(a: string, b: string): number {
  return a < b ? -1 : a > b ? 1 : 0;
}

/**
 * Deep equality of plain data, whatever the order of keys. A key whose value is undefined counts
 * as absent, as in the JSON the API speaks.
 */
function sameContent(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== "object" || typeof b !== "object" || a === null || b === null) return false;
  const array = Array.isArray(a);
  if (array !== Array.isArray(b)) return false;
  if (array) {
    const x = a as unknown[];
    const y = b as unknown[];
    if (x.length !== y.length) return false;
    for (let i = 0; i < x.length; i++) if (!sameContent(x[i], y[i])) return false;
    return true;
  }
  // Every write compares the object with the stored one: no key arrays, no closures.
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  let defined = 0;
  for (const k in ra) {
    if (!hasOwn.call(ra, k)) continue;
    const v = ra[k];
    if (v === undefined) continue;
    defined++;
    if (!hasOwn.call(rb, k) || !sameContent(v, rb[k])) return false;
  }
  for (const k in rb) if (hasOwn.call(rb, k) && rb[k] !== undefined) defined--;
  return defined === 0;
}
