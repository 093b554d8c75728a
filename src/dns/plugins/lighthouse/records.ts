/**
 * How Lighthouse reads a query's name and writes its records (`coredns/plugin/parse.go`,
 * `record.go`; mcs.md §5.3).
 */
import { wireName, type Answer, type RecordType } from "../../message.js";
import { recordsFor, strip } from "../kubernetes/records.js";
import type { DnsRecord, ServiceQuery } from "./resolver.js";

/** A query's name as Lighthouse reads it: the service and what narrows it, and the SRV port and protocol asked for (empty when none). */
export interface LighthouseQuery extends ServiceQuery {
  readonly port: string;
  readonly protocol: string;
}

/**
 * parse.go: the labels before the zone (lower-cased), right to left: `svc`, the namespace, the
 * service, then for A `cluster` or `host.cluster`, for SRV `cluster`, `port.proto` or
 * `port.proto.cluster` (underscores optional). Null for what it does not answer (NXDOMAIN): a
 * `pod` name, a name that is neither, the apex and `svc` themselves, and names too long. AAAA
 * reads no labels past the service, since it is answered empty whatever they are.
 */
export function parseQuery(base: string, qtype: RecordType): LighthouseQuery | null {
  if (base === "" || base === "svc") return null;
  const labels = base.split(".");
  if (labels.pop() !== "svc") return null;
  const namespace = labels.pop() ?? "";
  const service = labels.pop() ?? "";
  const query = { namespace, service, cluster: "", hostname: "", port: "", protocol: "" };
  if (labels.length === 0 || qtype === "AAAA") return query;
  if (qtype === "A") {
    if (labels.length === 1) return { ...query, cluster: labels[0]! };
    if (labels.length === 2) return { ...query, hostname: labels[0]!, cluster: labels[1]! };
    return null;
  }
  if (labels.length === 1) return { ...query, cluster: labels[0]! };
  if (labels.length === 2) return { ...query, port: strip(labels[0]!), protocol: strip(labels[1]!) };
  if (labels.length === 3) return { ...query, port: strip(labels[0]!), protocol: strip(labels[1]!), cluster: labels[2]! };
  return null;
}

/** `createARecords`: one A per address (deduplicated, mcs.md §5.3), owned by the name as asked. */
export function aRecords(records: readonly DnsRecord[], owner: string, ttl: number): Answer[] {
  const outcome = recordsFor("A", owner, records.map((r) => ({ ip: r.ip, port: -1, target: "" })), ttl);
  return outcome.kind === "answer" ? outcome.answers : [];
}

/**
 * `createSRVRecords`: for each record, one SRV (priority 0, weight 50) per port, or per port
 * matching the one asked for. The target is the service's name (`svc.ns.svc.Z`, with the cluster
 * in front when one was asked for), a headless record's `host.cluster.svc.ns.svc.Z`; `zone` is
 * the zone as the query spells it. A record without the port asked for leaves the answer empty,
 * as Lighthouse's loop returns there. Duplicate (target, port) pairs are written once.
 */
export function srvRecords(records: readonly DnsRecord[], query: LighthouseQuery, headless: boolean, owner: string, zone: string, ttl: number): Answer[] {
  const answers: Answer[] = [];
  const written = new Set<string>();
  const service = `${query.service}.${query.namespace}.svc.${zone}`;
  for (const record of records) {
    const ports = query.port === "" ? record.ports : record.ports.filter((p) => (p.name ?? "").toLowerCase() === query.port && (p.protocol ?? "TCP").toLowerCase() === query.protocol);
    if (ports.length === 0) return [];
    // Lighthouse would name an endpoint without a hostname with an empty first label, which no
    // DNS message can carry: such an endpoint has no SRV record here.
    if (headless && !record.hostname) continue;
    const target = headless ? `${record.hostname}.${record.cluster}.${service}` : query.cluster ? `${query.cluster}.${service}` : service;
    for (const p of ports) {
      if (p.port === undefined || written.has(`${target} ${p.port}`)) continue;
      written.add(`${target} ${p.port}`);
      answers.push({ type: "SRV", name: owner, ttl, class: "IN", data: { priority: 0, weight: 50, port: p.port, target: wireName(target) } });
    }
  }
  return answers;
}
