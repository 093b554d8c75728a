import { Actor, type ActorId, type ServiceModel } from "../sim/actor.js";
import type { Sim } from "../sim/sim.js";
import { DNS_QUERY, DNS_RESPONSE, canonical, makeReply, truncate, udpLimit, wireName, type Answer, type DnsQueryBody, type DnsResponseBody } from "./message.js";

/** A record the upstream resolver knows. */
export interface UpstreamRecord {
  readonly name: string;
  readonly type: "A" | "AAAA" | "CNAME" | "TXT";
  readonly data: string;
  /** Seconds; default 300. */
  readonly ttl?: number;
}

/**
 * The upstream resolver's default service model: a recursive resolver on the internet answers
 * in a few milliseconds from its cache and in tens when it has to ask authoritative servers.
 */
export const DEFAULT_UPSTREAM_SERVICE: ServiceModel = {
  workers: 16,
  serviceTime: { kind: "lognormal", median: 2_000, p99: 40_000 },
  queueLimit: 10_000,
};

/** How long a negative answer says it may be cached (the SOA minimum most zones use). */
const NEGATIVE_TTL = 300;

/**
 * The world outside the clusters: the recursive resolver a node's `/etc/resolv.conf` names, where
 * `forward . /etc/resolv.conf` sends what no cluster knows. It answers from a fixed table of
 * records (following CNAMEs inside it), NODATA for a known name without the asked type, and
 * NXDOMAIN otherwise, with recursion available and the SOA of the name's parent zone.
 */
export class UpstreamDns extends Actor {
  private readonly records = new Map<string, UpstreamRecord[]>();

  constructor(sim: Sim, id: ActorId, records: readonly UpstreamRecord[] = [], options: { readonly service?: ServiceModel } = {}) {
    super(sim, id, { service: options.service ?? DEFAULT_UPSTREAM_SERVICE });
    for (const r of records) this.add(r);
    this.handle<DnsQueryBody>(DNS_QUERY, (m) => {
      const query = m.body.packet;
      const q = query.questions?.[0];
      let reply = makeReply(query, { rcode: "SERVFAIL", recursionAvailable: true });
      if (q) {
        const answers = this.answer(canonical(q.name), q.type, q.name);
        if (answers.length > 0) reply = makeReply(query, { recursionAvailable: true, answers });
        else reply = makeReply(query, { rcode: this.records.has(canonical(q.name)) ? "NOERROR" : "NXDOMAIN", recursionAvailable: true, authorities: [soaFor(q.name)] });
      }
      const sized = m.body.transport === "udp" ? truncate(reply, udpLimit(query)) : reply;
      this.reply(m, DNS_RESPONSE, { packet: sized, transport: m.body.transport } satisfies DnsResponseBody);
    });
  }

  /** Adds a record. */
  add(record: UpstreamRecord): void {
    const key = canonical(record.name);
    const list = this.records.get(key) ?? [];
    list.push(record);
    this.records.set(key, list);
  }

  private answer(name: string, type: string, owner: string, depth = 0): Answer[] {
    const list = this.records.get(name) ?? [];
    const exact = list.filter((r) => r.type === type);
    if (exact.length > 0) return exact.map((r) => record(r, owner));
    const cname = list.find((r) => r.type === "CNAME");
    if (!cname || depth >= 8) return [];
    const target = canonical(cname.data);
    const rest = this.answer(target, type, wireName(target), depth + 1);
    return [record(cname, owner), ...rest];
  }
}

function record(r: UpstreamRecord, owner: string): Answer {
  const ttl = r.ttl ?? 300;
  if (r.type === "CNAME") return { type: "CNAME", name: owner, ttl, class: "IN", data: wireName(r.data) };
  if (r.type === "TXT") return { type: "TXT", name: owner, ttl, class: "IN", data: r.data };
  return { type: r.type, name: owner, ttl, class: "IN", data: r.data };
}

/** The SOA of a name's parent zone (its last two labels), as an authoritative server would send it. */
function soaFor(name: string): Answer {
  const labels = wireName(name).split(".").filter(Boolean);
  const zone = labels.length >= 2 ? labels.slice(-2).join(".") : labels.join(".") || ".";
  return {
    type: "SOA",
    name: zone,
    ttl: NEGATIVE_TTL,
    class: "IN",
    // The root's SOA names its own servers, as the real one does (`ns1..` is no name at all).
    data: {
      ...(zone === "." ? { mname: "a.root-servers.net", rname: "nstld.verisign-grs.com" } : { mname: `ns1.${zone}`, rname: `hostmaster.${zone}` }),
      serial: 2026010101,
      refresh: 7200,
      retry: 3600,
      expire: 1209600,
      minimum: NEGATIVE_TTL,
    },
  };
}
