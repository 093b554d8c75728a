import * as dnsPacket from "dns-packet";
import fc from "fast-check";
import { openClusterDns, type ClusterDns } from "../../src/cli/serve-dns.js";
import { readScenarioFile } from "../../src/cli/scenario-file.js";
import type { WireTransport } from "../../src/dns/bridge.js";
import { FLAGS, type Packet, type RecordType } from "../../src/dns/message.js";

/** The scenario with every record form (A, AAAA, SRV, PTR, CNAME, a 60-endpoint headless Service). */
export const FIXTURE = "test/dns/fixtures/serve-dns.yaml";

/** A scenario's cluster DNS as `mcsim serve-dns` opens it: same world, same instant, same bridge. */
export function clusterDns(file = FIXTURE, cluster = "east"): ClusterDns {
  return openClusterDns(readScenarioFile(file).scenario, cluster);
}

/** How to write a query. */
export interface QueryShape {
  readonly name: string;
  readonly type: RecordType | "ANY" | `UNKNOWN_${number}`;
  readonly id?: number;
  readonly class?: "IN" | "CH";
  /** EDNS UDP size; default 1232 (dig's); null for no EDNS (glibc, musl). */
  readonly edns?: number | null;
}

/** A query in wire format, as dig writes one (RD set, EDNS with dig's 1232 bytes unless told). */
export function queryBytes(q: QueryShape): Buffer {
  const edns = q.edns === undefined ? 1232 : q.edns;
  return dnsPacket.encode({
    type: "query",
    id: q.id ?? 4242,
    flags: FLAGS.RD,
    questions: [{ name: q.name, type: q.type as RecordType, class: q.class ?? "IN" }],
    ...(edns === null ? {} : { additionals: [{ type: "OPT", name: ".", udpPayloadSize: edns, flags: 0, options: [] }] }),
  } as Packet);
}

/** Asks the bridge and decodes its reply (null for none). */
export function ask(dns: ClusterDns, q: QueryShape, transport: WireTransport = "udp", source = "test"): Packet | null {
  const reply = dns.bridge.answer(queryBytes(q), transport, source);
  return reply && dnsPacket.decode(Buffer.from(reply));
}

/** Names the fixture cluster and quickstart's east serve, and some they do not. */
const NAMES = [
  "web.shop.svc.cluster.local",
  "_http._tcp.web.shop.svc.cluster.local",
  "many.shop.svc.cluster.local",
  "api.shop.svc.cluster.local",
  "payments.shop.svc.cluster.local",
  "shop.svc.cluster.local",
  "cluster.local",
  "10.0.96.10.in-addr.arpa",
  "5.0.10.10.in-addr.arpa",
  "dns-version.cluster.local",
  "web.shop.svc.west.local",
  "example.com",
  ".",
];
const TYPES = ["A", "AAAA", "SRV", "PTR", "TXT", "CNAME", "NS", "SOA", "MX", "ANY", "UNKNOWN_65"] as const;

const label = fc.stringMatching(/^[a-z0-9][a-z0-9-]{0,14}$/);
const name = fc.oneof(
  fc.constantFrom(...NAMES),
  fc.tuple(fc.array(label, { minLength: 1, maxLength: 4 }), fc.constantFrom("", "shop.svc.cluster.local", "svc.cluster.local", "in-addr.arpa", "west.local")).map(([ls, zone]) =>
    [...ls, ...(zone ? [zone] : [])].join("."),
  ),
);

/** A well-formed query of a random name, type, class, id and EDNS size. */
export const validQuery: fc.Arbitrary<Buffer> = fc
  .record({
    name,
    type: fc.constantFrom(...TYPES),
    id: fc.integer({ min: 0, max: 0xffff }),
    class: fc.constantFrom("IN" as const, "IN" as const, "CH" as const),
    edns: fc.option(fc.integer({ min: 0, max: 4096 }), { nil: null }),
  })
  .map(queryBytes);

/** One change to a message's bytes. */
const mutation = fc.oneof(
  fc.record({ kind: fc.constant("flip" as const), at: fc.nat(), value: fc.integer({ min: 0, max: 255 }) }),
  fc.record({ kind: fc.constant("cut" as const), at: fc.nat() }),
  fc.record({ kind: fc.constant("append" as const), bytes: fc.uint8Array({ maxLength: 40 }) }),
  fc.record({ kind: fc.constant("count" as const), field: fc.integer({ min: 0, max: 3 }), value: fc.integer({ min: 0, max: 3 }) }),
);

type Mutation = typeof mutation extends fc.Arbitrary<infer M> ? M : never;

function mutate(bytes: Buffer, changes: readonly Mutation[]): Buffer {
  let out = Buffer.from(bytes);
  for (const m of changes) {
    if (m.kind === "flip" && out.length > 0) out[m.at % out.length] = m.value;
    else if (m.kind === "cut") out = out.subarray(0, m.at % (out.length + 1));
    else if (m.kind === "append") out = Buffer.concat([out, m.bytes]);
    else if (m.kind === "count" && out.length >= 12) out.writeUInt16BE(m.value, 4 + 2 * m.field);
  }
  return out;
}

/** Garbage, queries with a few bytes changed, and well-formed queries, in equal shares. */
export const anyPacket: fc.Arbitrary<Buffer> = fc.oneof(
  fc.uint8Array({ maxLength: 600 }).map((b) => Buffer.from(b)),
  fc.tuple(validQuery, fc.array(mutation, { minLength: 1, maxLength: 4 })).map(([q, ms]) => mutate(q, ms)),
  validQuery,
);
