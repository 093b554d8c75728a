/**
 * What Linkerd's destination controller knows of one cluster, as its proxies ask it: the
 * Service behind a cluster IP or a name, and the ready endpoints of one of its ports, from the
 * Services and EndpointSlices it watches (so it learns of changes a watch delay late, as the
 * real controller's informers do). A mirror Service's slices, written by the service mirror,
 * are read like any other: in gateway mode they hold the remote gateway's address (mesh.md §5.2).
 */
import type { ApiServer, WatchEvent } from "../../k8s/apiserver.js";
import { SERVICE_NAME_LABEL } from "../../k8s/endpointslices.js";
import type { TrafficSplit } from "../../k8s/linkerd.js";
import type { EndpointSlice, Service } from "../../k8s/objects.js";

/** An address and port to connect to. */
export interface Target {
  readonly address: string;
  readonly port: number;
}

/** A Service port's backends, as the destination controller answers a proxy. */
export interface Destination {
  readonly service: Readonly<Service>;
  /** The ready endpoints of the port. */
  readonly targets: readonly Target[];
  /** Every endpoint's address of the port, ready or not (for fail-fast messages and `check`). */
  readonly total: number;
  /** Annotations of the port's slices: a mirror's name the remote Service (`mirror.linkerd.io/remote-svc-fq-name`). */
  readonly annotations: Readonly<Record<string, string>>;
}

interface Known {
  service: Readonly<Service>;
  readonly slices: Map<string, Readonly<EndpointSlice>>;
  /** Answers by service port, made on first ask after a change. */
  readonly answers: Map<number, Destination>;
}

/** The destination controller's view of one cluster. */
export class Destinations {
  private readonly byRef = new Map<string, Known>();
  private readonly byIp = new Map<string, Known>();
  /** TrafficSplits by apex Service (`namespace/service`). */
  private readonly splits = new Map<string, Readonly<TrafficSplit>>();

  /** The view of a cluster's API server, fed by its watches (the destination controller's informers). */
  static watching(api: ApiServer, watcher: string): Destinations {
    const d = new Destinations();
    api.watch("Service", `${watcher}/services`, (e) => d.service(e.type, e.object));
    api.watch("EndpointSlice", `${watcher}/endpointslices`, (e) => d.slice(e.type, e.object));
    api.watch("TrafficSplit", `${watcher}/trafficsplits`, (e) => d.split(e.type, e.object));
    return d;
  }

  /** A Service was added, changed or deleted. */
  service(type: WatchEvent["type"], s: Readonly<Service>): void {
    const ref = `${s.metadata.namespace ?? "default"}/${s.metadata.name}`;
    const known = this.byRef.get(ref);
    if (known?.service.spec.clusterIP) this.byIp.delete(known.service.spec.clusterIP);
    if (type === "DELETED") {
      this.byRef.delete(ref);
      return;
    }
    const entry = known ?? { service: s, slices: new Map(), answers: new Map() };
    entry.service = s;
    entry.answers.clear();
    this.byRef.set(ref, entry);
    if (s.spec.clusterIP && s.spec.clusterIP !== "None") this.byIp.set(s.spec.clusterIP, entry);
  }

  /** An EndpointSlice was added, changed or deleted. */
  slice(type: WatchEvent["type"], slice: Readonly<EndpointSlice>): void {
    const service = slice.metadata.labels?.[SERVICE_NAME_LABEL];
    if (service === undefined) return;
    const namespace = slice.metadata.namespace ?? "default";
    const ref = `${namespace}/${service}`;
    let known = this.byRef.get(ref);
    // A slice may arrive before its Service: keep it for when the Service comes.
    if (!known) this.byRef.set(ref, (known = { service: placeholder(namespace, service), slices: new Map(), answers: new Map() }));
    if (type === "DELETED") known.slices.delete(slice.metadata.name);
    else known.slices.set(slice.metadata.name, slice);
    known.answers.clear();
  }

  /** A TrafficSplit was added, changed or deleted. */
  split(type: WatchEvent["type"], split: Readonly<TrafficSplit>): void {
    const ref = `${split.metadata.namespace ?? "default"}/${split.spec.service}`;
    if (type === "DELETED") this.splits.delete(ref);
    else this.splits.set(ref, split);
  }

  /** The TrafficSplit whose apex is the Service `namespace/service`, if any. */
  splitOf(namespace: string, service: string): Readonly<TrafficSplit> | undefined {
    return this.splits.get(`${namespace}/${service}`);
  }

  /** The Service `namespace/name` as last seen, if any. */
  serviceOf(namespace: string, name: string): Readonly<Service> | undefined {
    const s = this.byRef.get(`${namespace}/${name}`)?.service;
    return s?.spec.ports !== undefined ? s : undefined;
  }

  /**
   * Whether a Service has any ready address: not "empty" as the service mirror reads it (no
   * endpoints, or only not-ready ones; `isEmptyEndpoints`, mesh.md §5.2).
   */
  hasReady(namespace: string, name: string): boolean {
    const known = this.byRef.get(`${namespace}/${name}`);
    if (!known) return false;
    for (const slice of known.slices.values()) for (const e of slice.endpoints) if (e.conditions?.ready !== false && e.addresses.length > 0) return true;
    return false;
  }

  /** The Service at a cluster IP, with the backends of `port`; undefined for an address no Service has. */
  byClusterIp(ip: string, port: number): Destination | undefined {
    const known = this.byIp.get(ip);
    return known && answer(known, port);
  }

  /** The Service `namespace/name`, with the backends of `port`; undefined when there is none. */
  byName(namespace: string, name: string, port: number): Destination | undefined {
    const known = this.byRef.get(`${namespace}/${name}`);
    return known && known.service.spec.ports !== undefined ? answer(known, port) : undefined;
  }
}

function answer(known: Known, port: number): Destination | undefined {
  const cached = known.answers.get(port);
  if (cached) return cached;
  const servicePort = known.service.spec.ports?.find((p) => p.port === port);
  if (!servicePort) return undefined;
  const targets: Target[] = [];
  let total = 0;
  const annotations: Record<string, string> = {};
  for (const slice of known.slices.values()) {
    Object.assign(annotations, slice.metadata.annotations);
    const p = (slice.ports ?? []).find((x) => (x.name ?? "") === (servicePort.name ?? ""));
    if (p?.port === undefined) continue;
    for (const e of slice.endpoints) {
      total++;
      if (e.conditions?.ready === false) continue;
      for (const address of e.addresses) targets.push({ address, port: p.port });
    }
  }
  const found: Destination = { service: known.service, targets, total, annotations };
  known.answers.set(port, found);
  return found;
}

/** A Service not seen yet, for slices that came first: it has no ports, so nothing answers for it. */
function placeholder(namespace: string, name: string): Readonly<Service> {
  return { apiVersion: "v1", kind: "Service", metadata: { name, namespace }, spec: {} };
}
