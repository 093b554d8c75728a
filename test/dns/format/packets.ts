/**
 * Builders for the replies the format tests print: queries and replies made the way mcsim's
 * servers make them (makeQuery/makeReply), with dig's COOKIE option where a sample shows one.
 */

import type { PacketOpt, StringAnswer } from "dns-packet";
import { makeQuery, makeReply, type Answer, type Packet, type RecordType, type ReplyParts } from "../../../src/dns/message.js";

/** The client cookie of dns.md §6.1's sample, which CoreDNS echoed. */
export const SAMPLE_COOKIE = "3be3a2db162c8232";

/**
 * An OPT record carrying a COOKIE option. @types/dns-packet types only the options dns-packet
 * builds from fields; dns-packet writes any option from its `code` and `data`.
 */
export function optWithCookie(hex: string, udpPayloadSize = 1232): Answer {
  const cookie = { code: 10, data: Buffer.from(hex, "hex") } as unknown as PacketOpt;
  return { type: "OPT", name: ".", udpPayloadSize, extendedRcode: 0, ednsVersion: 0, flags: 0, flag_do: false, options: [cookie] };
}

/** Options of {@link reply}. */
export interface ReplyOptions extends ReplyParts {
  readonly id?: number;
  /** Advertise EDNS with this size in the query (so the reply echoes an OPT). */
  readonly edns?: number;
  /** Replace the echoed OPT by one carrying this cookie. */
  readonly cookie?: string;
}

/** A reply to a query for `name`/`type`, as CoreDNS builds it (AA, RD copied, OPT echoed). */
export function reply(name: string, type: RecordType, options: ReplyOptions = {}): Packet {
  const query = makeQuery(name, type, { id: options.id ?? 4242, ...(options.edns !== undefined ? { ednsUdpSize: options.edns } : {}) });
  const r = makeReply(query, options);
  if (options.cookie === undefined) return r;
  return { ...r, additionals: [...(r.additionals ?? []).filter((a) => a.type !== "OPT"), optWithCookie(options.cookie, options.edns ?? 1232)] };
}

/** An A record. */
export function a(name: string, address: string, ttl = 30): StringAnswer {
  return { type: "A", name, ttl, class: "IN", data: address };
}

/** The SOA CoreDNS's kubernetes plugin puts in negative answers for cluster.local (dns.md §6.1). */
export function clusterSoa(serial = 1718000000, ttl = 30): Answer {
  return {
    type: "SOA",
    name: "cluster.local",
    ttl,
    class: "IN",
    data: { mname: "ns.dns.cluster.local", rname: "hostmaster.cluster.local", serial, refresh: 7200, retry: 1800, expire: 86400, minimum: 30 },
  };
}

/** Expands tabs to 8-column stops, as a terminal shows them (and as copied samples hold them). */
export function expandTabs(text: string): string {
  return text
    .split("\n")
    .map((line) => {
      let out = "";
      for (const ch of line) out += ch === "\t" ? " ".repeat(8 - (out.length % 8)) : ch;
      return out;
    })
    .join("\n");
}
