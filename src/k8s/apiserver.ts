import { sample, type Distribution } from "../sim/distribution.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import type { Micros } from "../sim/time.js";
import { API_VERSIONS, NAMESPACED, type K8sObject, type Kind, type ObjectOfKind } from "./objects.js";
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
  Deployment: "deployments",
  StatefulSet: "statefulsets",
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
  readonly handler: (event: WatchEvent) => void;
  readonly rng: Rng;
  readonly delay: Distribution;
  /** Deliveries never overtake each other: a watch is an ordered stream. */
  lastDelivery: Micros;
  active: boolean;
}

const DEFAULT_WATCH_DELAY: Distribution = { kind: "uniform", min: 5_000, max: 15_000 };

/** The namespaces every cluster starts with. */
export const INITIAL_NAMESPACES = ["default", "kube-node-lease", "kube-public", "kube-system"] as const;

const key = (namespace: string, name: string) => `${namespace}/${name}`;

/**
 * One cluster's API server: an object store with resourceVersions and watches. Writes are
 * immediate; watchers see them after a propagation delay, in order, as informers do — so
 * controllers, kube-proxy and CoreDNS act on changes late, as in a real cluster.
 *
 * Objects are copied on the way in and must be treated as read-only on the way out.
 */
export class ApiServer {
  private readonly store = new Map<Kind, Map<string, K8sObject>>();
  private readonly watchers: Watcher[] = [];
  private readonly admissions: Admission[] = [];
  private revision = 0;
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
    return String(this.revision);
  }

  /** Creates an object; refuses one that exists or whose namespace does not. */
  create<T extends K8sObject>(object: T): Readonly<T> {
    const { namespace, name } = this.identity(object);
    const objects = this.objectsOf(object.kind);
    if (objects.has(key(namespace, name))) {
      throw new ApiError("AlreadyExists", `${qualifiedResource(object.kind)} "${name}" already exists`);
    }
    const stored = structuredClone(object);
    for (const admit of this.admissions) admit(stored, undefined);
    stored.metadata.uid = this.newUid();
    stored.metadata.creationTimestamp = formatTimestamp(this.sim.now);
    if (NAMESPACED.has(object.kind)) stored.metadata.namespace = namespace;
    else delete stored.metadata.namespace;
    this.write("create", stored);
    return stored;
  }

  /** Replaces an existing object, keeping its uid and creation time. A change that changes nothing is not written. */
  update<T extends K8sObject>(object: T): Readonly<T> {
    const { namespace, name } = this.identity(object);
    const current = this.objectsOf(object.kind).get(key(namespace, name));
    if (!current) throw new ApiError("NotFound", `${qualifiedResource(object.kind)} "${name}" not found`);
    const stored = structuredClone(object);
    for (const admit of this.admissions) admit(stored, current);
    stored.metadata.uid = current.metadata.uid!;
    stored.metadata.creationTimestamp = current.metadata.creationTimestamp!;
    stored.metadata.resourceVersion = current.metadata.resourceVersion!;
    if (NAMESPACED.has(object.kind)) stored.metadata.namespace = namespace;
    else delete stored.metadata.namespace;
    if (sameContent(stored, current)) return current as T;
    this.write("update", stored);
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
    const current = this.objectsOf(object.kind).get(key(namespace, name));
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
    const ns = NAMESPACED.has(kind) ? namespace : "";
    const objects = this.objectsOf(kind);
    const current = objects.get(key(ns, name));
    if (!current) throw new ApiError("NotFound", `${qualifiedResource(kind)} "${name}" not found`);
    if (kind === "Namespace") {
      for (const [k, map] of this.store) {
        if (!NAMESPACED.has(k)) continue;
        for (const obj of [...map.values()]) if (obj.metadata.namespace === name) this.delete(k, name, obj.metadata.name);
      }
    }
    for (const admit of this.admissions) admit(null, current);
    objects.delete(key(ns, name));
    this.revision++;
    const deleted = { ...current, metadata: { ...current.metadata, resourceVersion: String(this.revision) } } as K8sObject;
    this.trace("delete", deleted);
    this.notify({ type: "DELETED", object: deleted });
    return deleted as ObjectOfKind<K>;
  }

  /** One object, or undefined. */
  get<K extends Kind>(kind: K, namespace: string, name: string): Readonly<ObjectOfKind<K>> | undefined {
    return this.objectsOf(kind).get(key(NAMESPACED.has(kind) ? namespace : "", name)) as ObjectOfKind<K> | undefined;
  }

  /** Objects of a kind, in one namespace or all, sorted by namespace then name as the API lists them. */
  list<K extends Kind>(kind: K, namespace?: string): Readonly<ObjectOfKind<K>>[] {
    const out: ObjectOfKind<K>[] = [];
    for (const obj of this.objectsOf(kind).values()) {
      if (namespace === undefined || obj.metadata.namespace === namespace) out.push(obj as ObjectOfKind<K>);
    }
    return out.sort((a, b) => compare(a.metadata.namespace ?? "", b.metadata.namespace ?? "") || compare(a.metadata.name, b.metadata.name));
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
    } = {},
  ): () => void {
    const w: Watcher = {
      kind,
      handler: handler as (event: WatchEvent) => void,
      rng: this.sim.rng.stream(`apiserver/${this.cluster}/watch/${watcher}/${kind}`),
      delay: options.delay ?? this.watchDelay,
      lastDelivery: this.sim.now,
      active: true,
    };
    this.watchers.push(w);
    const initial = this.list(kind);
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
    if (!this.objectsOf("Namespace").has(key("", namespace))) {
      throw new ApiError("NotFound", `namespaces "${namespace}" not found`);
    }
    return { namespace, name };
  }

  private objectsOf(kind: Kind): Map<string, K8sObject> {
    let objects = this.store.get(kind);
    if (!objects) {
      objects = new Map();
      this.store.set(kind, objects);
    }
    return objects;
  }

  private write(verb: "create" | "update", stored: K8sObject): void {
    this.revision++;
    stored.metadata.resourceVersion = String(this.revision);
    this.objectsOf(stored.kind).set(key(stored.metadata.namespace ?? "", stored.metadata.name), stored);
    this.trace(verb, stored);
    this.notify({ type: verb === "create" ? "ADDED" : "MODIFIED", object: stored });
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
    for (const w of this.watchers) if (w.active && w.kind === event.object.kind) this.deliver(w, event);
  }

  private deliver(watcher: Watcher, event: WatchEvent): void {
    const at = Math.max(this.sim.now + sample(watcher.delay, watcher.rng), watcher.lastDelivery);
    watcher.lastDelivery = at;
    this.sim.at(at, () => {
      if (watcher.active) watcher.handler(event);
    });
  }

  /** A version 4 UUID from the cluster's own stream: unique, and the same on every run. */
  private newUid(): string {
    const hex = (n: number) => n.toString(16).padStart(8, "0");
    const a = hex(this.uidRng.nextUint32());
    const b = hex(this.uidRng.nextUint32());
    const c = hex(this.uidRng.nextUint32());
    const d = hex(this.uidRng.nextUint32());
    const variant = "89ab"[parseInt(c[0]!, 16) & 3];
    return `${a}-${b.slice(0, 4)}-4${b.slice(5, 8)}-${variant}${c.slice(1, 4)}-${c.slice(4)}${d}`;
  }
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
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((v, i) => sameContent(v, (b as unknown[])[i]));
  const ra = a as Record<string, unknown>;
  const rb = b as Record<string, unknown>;
  const ka = Object.keys(ra).filter((k) => ra[k] !== undefined);
  const kb = Object.keys(rb).filter((k) => rb[k] !== undefined);
  if (ka.length !== kb.length) return false;
  return ka.every((k) => Object.prototype.hasOwnProperty.call(rb, k) && sameContent(ra[k], rb[k]));
}
