/**
 * What Lighthouse answers for a service (`coredns/resolver/*`, mcs.md §5.3): the records of its
 * imported EndpointSlices, per source cluster, chosen as `GetDNSRecords` chooses them.
 *
 * Lighthouse also asks Submariner's Gateway whether each cluster is connected
 * (`status.connections[].status == "connected"`). mcsim does not model the Gateway, and without
 * the connectivity component every cluster counts as connected (mcs.md §5.3), so here every
 * cluster is: the round robin skips only clusters without healthy endpoints, and a headless
 * answer is the union over all clusters.
 */
import type { EndpointPort, EndpointSlice, ServiceImportPort } from "../../../k8s/objects.js";
import { MC_SOURCE_CLUSTER_LABEL } from "../multicluster/index-cache.js";
import { SmoothWeightedRoundRobin } from "./balancer.js";
import type { LighthouseIndex } from "./index-cache.js";

/** Lighthouse's mirror of a Service's `publishNotReadyAddresses` on its imported slices (mcs.md §5.2). */
export const PUBLISH_NOT_READY_ANNOTATION = "lighthouse.submariner.io/publish-not-ready-addresses";

/** A port of a record: an imported slice's, or the ServiceImport's for its clusterset IP. */
export type RecordPort = Readonly<EndpointPort | ServiceImportPort>;

/** One address Lighthouse answers with (`resolver.DNSRecord`). */
export interface DnsRecord {
  readonly ip: string;
  readonly ports: readonly RecordPort[];
  /** A headless endpoint's hostname, empty when it has none. */
  readonly hostname: string;
  /** The source cluster; empty for the clusterset IP. */
  readonly cluster: string;
}

/** The service a query names, lower-cased, with the cluster and host it narrows to (empty when not). */
export interface ServiceQuery {
  readonly namespace: string;
  readonly service: string;
  readonly cluster: string;
  readonly hostname: string;
}

/** What the resolver found: the records (none is NODATA), and whether the service is headless. */
export interface Found {
  readonly records: readonly DnsRecord[];
  readonly headless: boolean;
}

/** A ClusterIP service's record in one cluster: the exporter's Service IP, healthy when it has a ready backend. */
interface ClusterIpInfo {
  readonly record: DnsRecord;
  readonly healthy: boolean;
}

/** A headless service's records in one cluster, and each hostname's. */
interface HeadlessInfo {
  readonly records: DnsRecord[];
  readonly byHost: Map<string, DnsRecord[]>;
}

/** A ClusterIP service's round robin, with the slices it was set up from. */
interface Balancing {
  readonly slices: readonly Readonly<EndpointSlice>[];
  readonly clusters: SmoothWeightedRoundRobin<string>;
}

/**
 * The resolver of one lighthouse plugin instance. The round robin's state lives here, one per
 * ClusterIP service: deterministic, since the clusters are taken in the order their slices
 * arrived (Lighthouse iterates a Go map, in no fixed order).
 */
export class LighthouseResolver {
  private readonly balancing = new Map<string, Balancing>();

  constructor(private readonly index: LighthouseIndex) {}

  /** `GetDNSRecords`: the service's records for the query, or undefined when the service, cluster or host is unknown (NXDOMAIN). */
  records(query: ServiceQuery): Found | undefined {
    const key = `${query.namespace}/${query.service}`;
    const imported = this.index.service(query.namespace, query.service);
    if (!imported) {
      this.balancing.delete(key);
      return undefined;
    }
    const slices = this.index.slicesOf(`${query.service}.${query.namespace}`);
    if (imported.spec.type === "Headless") {
      const records = headlessRecords(headlessClusters(slices), query);
      return records && { records, headless: true };
    }
    const clusters = clusterIpClusters(slices);
    let record: DnsRecord | null | undefined;
    if (query.cluster) {
      // Step 1: the cluster asked for, even if unhealthy or disconnected.
      record = clusters.get(query.cluster)?.record;
    } else if (imported.spec.ips?.length) {
      // Step 2: the clusterset IP, when enabled (one A record: the first).
      record = { ip: imported.spec.ips[0]!, ports: imported.spec.ports, hostname: "", cluster: "" };
    } else {
      const local = this.index.clusterId ? clusters.get(this.index.clusterId) : undefined;
      // Step 3: the local cluster when it exports and is healthy, with no round robin; step 4 the
      // round robin; step 5 nothing (NODATA). Either answer carries the ports all clusters share.
      const chosen = local?.healthy ? local : this.next(key, slices, clusters);
      record = chosen ? { ...chosen.record, ports: mergedPorts(clusters) } : null;
    }
    if (record === undefined) return undefined;
    return { records: record ? [record] : [], headless: false };
  }

  /**
   * `selectIP`: the next healthy cluster of the service's round robin, each unusable one skipped
   * for a round. The round robin starts afresh whenever the service's slices change, as
   * Lighthouse's `resetLoadBalancing` does on every slice it is given.
   */
  private next(key: string, slices: readonly Readonly<EndpointSlice>[], clusters: ReadonlyMap<string, ClusterIpInfo>): ClusterIpInfo | undefined {
    let state = this.balancing.get(key);
    if (!state || state.slices.length !== slices.length || state.slices.some((s, i) => s !== slices[i])) {
      state = { slices, clusters: new SmoothWeightedRoundRobin(clusters.keys()) };
      this.balancing.set(key, state);
    }
    for (let i = 0; i < state.clusters.size; i++) {
      const id = state.clusters.next()!;
      const info = clusters.get(id)!;
      if (info.healthy) return info;
      state.clusters.skip(id);
    }
    return undefined;
  }
}

/**
 * `putClusterIPEndpointSlice`: each cluster's one endpoint, the exporter's Service IP (mcs.md
 * §5.2), healthy unless it is marked not ready. A slice without an endpoint is ignored.
 */
function clusterIpClusters(slices: readonly Readonly<EndpointSlice>[]): Map<string, ClusterIpInfo> {
  const clusters = new Map<string, ClusterIpInfo>();
  for (const slice of slices) {
    const cluster = slice.metadata.labels?.[MC_SOURCE_CLUSTER_LABEL];
    const endpoint = slice.endpoints[0];
    const ip = endpoint?.addresses[0];
    if (!cluster || ip === undefined) continue;
    clusters.set(cluster, { record: { ip, ports: slice.ports ?? [], hostname: "", cluster }, healthy: endpoint!.conditions?.ready !== false });
  }
  return clusters;
}

/** `mergePorts`: the ports every cluster's record has (name, protocol, number and app protocol alike), in the first cluster's order. */
function mergedPorts(clusters: ReadonlyMap<string, ClusterIpInfo>): readonly RecordPort[] {
  const key = (p: RecordPort) => `${p.name ?? ""}:${p.protocol ?? ""}:${p.port ?? ""}:${p.appProtocol ?? ""}`;
  let ports: readonly RecordPort[] | undefined;
  for (const { record } of clusters.values()) {
    const theirs = new Set(record.ports.map(key));
    ports = ports === undefined ? record.ports : ports.filter((p) => theirs.has(key(p)));
  }
  return ports ?? [];
}

/**
 * `putHeadlessEndpointSlices`: each cluster's endpoint addresses, not-ready ones left out unless
 * the slice publishes them; an endpoint's hostname is its `hostname`, else the name of the Pod it
 * targets.
 */
function headlessClusters(slices: readonly Readonly<EndpointSlice>[]): Map<string, HeadlessInfo> {
  const clusters = new Map<string, HeadlessInfo>();
  for (const slice of slices) {
    const cluster = slice.metadata.labels?.[MC_SOURCE_CLUSTER_LABEL];
    if (!cluster) continue;
    let info = clusters.get(cluster);
    if (!info) clusters.set(cluster, (info = { records: [], byHost: new Map() }));
    const publishNotReady = slice.metadata.annotations?.[PUBLISH_NOT_READY_ANNOTATION] === "true";
    const ports = slice.ports ?? [];
    for (const ep of slice.endpoints) {
      if (ep.conditions?.ready === false && !publishNotReady) continue;
      const hostname = ep.hostname || (ep.targetRef?.kind.toLowerCase() === "pod" ? ep.targetRef.name : "");
      const records = ep.addresses.map((ip): DnsRecord => ({ ip, ports, hostname, cluster }));
      if (hostname) info.byHost.set(hostname, records);
      info.records.push(...records);
    }
  }
  return clusters;
}

/** `getHeadlessRecords`: the union over the clusters, one cluster's records, or one host's in it; undefined for an unknown cluster or host. */
function headlessRecords(clusters: ReadonlyMap<string, HeadlessInfo>, query: ServiceQuery): readonly DnsRecord[] | undefined {
  if (!query.cluster) return [...clusters.values()].flatMap((c) => c.records);
  const info = clusters.get(query.cluster);
  if (!info) return undefined;
  return query.hostname ? info.byHost.get(query.hostname) : info.records;
}
