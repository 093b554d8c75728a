import type { Endpoint } from "../../../k8s/objects.js";
import type { DnsRequest } from "../../plugin.js";
import { NODATA, NXDOMAIN, answer, matches, recordsFor, strip, type Entry, type Outcome } from "../kubernetes/records.js";
import { MC_SOURCE_CLUSTER_LABEL, type MulticlusterIndex } from "./index-cache.js";

/** What the multicluster answers depend on, from either plugin's options. */
export interface MulticlusterConfig {
  /** The zones answered from ServiceImports (`clusterset.local`), canonical. */
  readonly zones: readonly string[];
  /** 5 for the multicluster plugin (fixed, mcs.md §4.2); the kubernetes plugin's ttl for its option. */
  readonly ttl: number;
  /** No endpoint watch: endpoint and headless queries are NXDOMAIN (mcs.md §4.1). */
  readonly noEndpoints: boolean;
}

/**
 * The schema version `dns-version.<zone>` answers. The MCS DNS spec (mcs.md §2) says 1.0.0, but
 * CoreDNS's multicluster code answers 1.1.0 (mcs.md §4.2), and mcsim follows the code.
 */
export const MC_DNS_SCHEMA_VERSION = "1.1.0";

/**
 * Answers a query in a multicluster zone from ServiceImports and imported EndpointSlices (mcs.md
 * §2 and §4.2: parse.go, multicluster.go). Pure, like the kubernetes plugin's answerQuery: the
 * caller adds the SOA and writes the reply.
 */
export function answerMulticluster(request: DnsRequest, zone: string, config: MulticlusterConfig, index: MulticlusterIndex): Outcome {
  const name = request.name;
  const qtype = request.qtype;
  // mcs.md §4.2: apex, `svc`, `pod` and `<ns>.svc` parse to no service: NODATA.
  if (name === zone) return NODATA;
  const base = name.slice(0, name.length - zone.length - 1);
  if (base === "dns-version" && qtype === "TXT") {
    return answer([{ type: "TXT", name: request.qname, ttl: 28800, class: "IN", data: MC_DNS_SCHEMA_VERSION }]);
  }
  if (base === "svc" || base === "pod") return NODATA;
  // parse.go, right to left after the zone: svc|pod, namespace, service, then 0 or 2 labels.
  const labels = base.split(".");
  const kind = labels.pop();
  if (kind !== "svc" && kind !== "pod") return NXDOMAIN;
  const ns = labels.pop()!;
  if (!index.namespaces.has(ns)) return NXDOMAIN;
  if (labels.length === 0) return NODATA;
  const serviceLabel = labels.pop()!;
  // mcs.md §2: `<clusterid>.<svc>...` (one more label) must not exist; longer names are not in the grammar.
  if (labels.length !== 0 && labels.length !== 2) return NXDOMAIN;
  // `pod` parses but no pod records exist in the clusterset zone.
  if (kind === "pod") return NXDOMAIN;
  const imported = index.imports.get(`${ns}/${serviceLabel}`);
  if (!imported) return NXDOMAIN;

  // The `_port._proto` asked for (a leading underscore tells it from `endpoint.clusterid`), empty when none.
  const wanted = labels.length === 2 && labels[0]!.startsWith("_") ? { port: strip(labels[0]!), proto: strip(labels[1]!) } : { port: "", proto: "" };
  const [endpointLabel, clusterLabel] = labels.length === 2 && !labels[0]!.startsWith("_") ? [labels[0]!, labels[1]!] : ["", ""];
  const zoneAsAsked = request.qname.slice(request.qname.length - (zone.length - 1));
  const svcName = `${imported.metadata.name}.${imported.metadata.namespace}.svc.${zoneAsAsked}`;
  const headless = imported.spec.type === "Headless";
  if ((headless || endpointLabel) && config.noEndpoints) return NXDOMAIN;

  const entries: Entry[] = [];
  if (!headless && !endpointLabel) {
    // mcs.md §2: one record per clusterset IP, whatever the slices hold (the `svcempty` test).
    const ports = imported.spec.ports;
    const matching = ports.filter((p) => matches(p.name ?? "", wanted.port) && matches(p.protocol ?? "TCP", wanted.proto));
    const list = ports.length === 0 && !wanted.port ? [{ port: -1 }] : matching;
    for (const p of list) for (const ip of imported.spec.ips ?? []) entries.push({ ip, port: p.port, target: svcName });
  } else {
    // mcs.md §4.2: headless, or any endpoint query, reads the imported slices of every cluster.
    for (const slice of index.slicesOf(`${serviceLabel}.${ns}`)) {
      const cluster = slice.metadata.labels?.[MC_SOURCE_CLUSTER_LABEL] ?? "";
      // A slice that names no source cluster has no names to give its endpoints (the cluster
      // label would be empty); the MCS controller always sets it (mcs.md §1.5).
      if (!cluster) continue;
      if (clusterLabel && cluster.toLowerCase() !== clusterLabel) continue;
      const ports = slice.ports ?? [];
      const matching = ports.filter((p) => matches(p.name ?? "", wanted.port) && matches(p.protocol ?? "TCP", wanted.proto));
      // object/endpoint.go: a slice without ports gets one sentinel port, so its addresses still answer A/AAAA.
      const list = ports.length === 0 && !wanted.port ? [{ port: -1 }] : matching;
      for (const ep of slice.endpoints) {
        if (ep.conditions?.ready === false) continue;
        for (const ip of ep.addresses) {
          const host = endpointHostname(ep, ip);
          if (endpointLabel && host !== endpointLabel) continue;
          for (const p of list) entries.push({ ip, port: p.port ?? -1, target: `${host}.${cluster}.${svcName}` });
        }
      }
    }
  }
  if (entries.length === 0) return headless || endpointLabel || wanted.port ? NXDOMAIN : NODATA;
  return recordsFor(qtype, request.qname, entries, config.ttl);
}

/**
 * multicluster.go endpointHostname: the endpoint's hostname in lower case, else its address with
 * dots (or colons) as dashes. Unlike the kubernetes plugin it does not complete a trailing dash
 * of an IPv6 address with 0.
 */
function endpointHostname(ep: Readonly<Endpoint>, ip: string): string {
  if (ep.hostname) return ep.hostname.toLowerCase();
  return ip.replace(/[.:]/g, "-");
}
