import type { Micros } from "../../../sim/time.js";
import { makeReply, type Answer, type Packet } from "../../message.js";
import type { DnsRequest, NextHandler, ResponseWriter } from "../../plugin.js";
import type { Outcome } from "./records.js";

/**
 * How the kubernetes and multicluster plugins turn an {@link Outcome} into a reply: CoreDNS's
 * multicluster plugin is a copy of the kubernetes plugin's handler.go over other objects
 * (mcs.md §4.2), so both share this one copy here.
 */
export interface Responder {
  /** True once every watch has delivered its initial list. */
  readonly synced: boolean;
  /** Zones a name error falls through for, or null. */
  readonly fallthrough: readonly string[] | null;
  soa(request: DnsRequest, zone: string): Answer;
  outcome(request: DnsRequest, zone: string): Outcome;
}

/** Writes the reply to a query in `zone` (dns.md §2.4; mcs.md §4.2 for the multicluster zones). */
export function respond(request: DnsRequest, writer: ResponseWriter, next: NextHandler, zone: string, responder: Responder): void {
  // handler.go: SOA is answered at the zone's apex only; for any other name, existing or not, it is NODATA.
  if (request.qtype === "SOA") {
    const soa = responder.soa(request, zone);
    return writer.write(makeReply(request.query, { authoritative: true, ...(request.name === zone ? { answers: [soa] } : { authorities: [soa] }) }));
  }
  const outcome = responder.outcome(request, zone);
  switch (outcome.kind) {
    case "answer":
      return writer.write(makeReply(request.query, { authoritative: true, answers: outcome.answers, additionals: outcome.additionals }));
    case "nodata":
      return writer.write(makeReply(request.query, { authoritative: true, authorities: [responder.soa(request, zone)] }));
    case "nxdomain":
      // handler.go: a name error falls through first; unsynced, it is a server failure.
      if (fallsThrough(request.name, responder.fallthrough)) return next(request, writer);
      return writer.write(makeReply(request.query, { rcode: responder.synced ? "NXDOMAIN" : "SERVFAIL", authoritative: true, authorities: [responder.soa(request, zone)] }));
    case "upstream":
      // An ExternalName outside the zone: the CNAME, then what the server's own chain finds for the target.
      request.server.lookup(outcome.target, request.qtype, (reply: Packet) => {
        writer.write(makeReply(request.query, { authoritative: true, answers: [...outcome.answers, ...(reply.answers ?? [])] }));
      });
      return;
  }
}

function fallsThrough(name: string, ft: readonly string[] | null): boolean {
  return ft !== null && ft.some((z) => z === "." || name === z || name.endsWith(`.${z}`));
}

/** The SOA's owner: the zone, spelt as the query spells it. */
export function soaOwner(request: DnsRequest, zone: string): string {
  const length = zone.length - 1;
  return request.qname.length >= length ? request.qname.slice(request.qname.length - length) : zone.slice(0, -1);
}

/** Unix time of the epoch the simulation starts at (2026-01-01T00:00:00Z). */
const EPOCH_UNIX_SECONDS = 1_767_225_600;

/**
 * The SOA of negative answers (dns.md §2.4): owner the zone with the query's case (and so are the
 * mname and rname built from it: backend_lookup.go SOA), header TTL min(ttl, 300), serial the
 * Unix time of the last change the plugin saw (`modifiedAt`), minimum the plugin ttl.
 */
export function soaRecord(request: DnsRequest, zone: string, ttl: number, modifiedAt: Micros): Answer {
  const owner = soaOwner(request, zone);
  return {
    type: "SOA",
    name: owner,
    ttl: Math.min(ttl, 300),
    class: "IN",
    data: {
      mname: `ns.dns.${owner}`,
      rname: `hostmaster.${owner}`,
      serial: EPOCH_UNIX_SECONDS + Math.floor(modifiedAt / 1_000_000),
      refresh: 7200,
      retry: 1800,
      expire: 86400,
      minimum: ttl,
    },
  };
}
