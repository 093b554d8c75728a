/**
 * BIND 9.18 `nslookup` output, as in the dnsutils image (dns.md §6.2; `bin/dig/nslookup.c`).
 *
 * Without `-type=` nslookup looks the name up as A, and after a NOERROR reply as AAAA for the
 * name the A answer's CNAME chain ends at. Its printmessage writes `Server:`/`Address:` and
 * `Non-authoritative answer:` (when AA is clear) only for the first of the two, and for a lookup
 * of another type (a PTR for an address) never the server lines; `*** Can't find NAME: No answer`
 * only when both found nothing. A non-zero rcode is `** server can't find NAME: RCODE`, where
 * NAME is the name as typed for NXDOMAIN and the queried name otherwise. Tries that time out
 * print `;; communications error to IP#53: timed out`; a lookup that never got a reply ends with
 * `;; no servers could be reached`. main() prints a last empty line. Exit status 1 when no reply
 * came or one had a non-zero rcode.
 */

import type { Answer, Packet } from "../message.js";
import { FLAGS } from "../message.js";
import { bindSocket, type Endpoint } from "./address.js";
import { nameText } from "./names.js";
import type { ToolOutput } from "./output.js";
import { rdataText } from "./rdata.js";
import { soaLines } from "./soa.js";

/** The rcode names of nslookup's own table (codes past 16 as `?n`). */
const RCODES = [
  "NOERROR",
  "FORMERR",
  "SERVFAIL",
  "NXDOMAIN",
  "NOTIMP",
  "REFUSED",
  "YXDOMAIN",
  "YXRRSET",
  "NXRRSET",
  "NOTAUTH",
  "NOTZONE",
  "RESERVED11",
  "RESERVED12",
  "RESERVED13",
  "RESERVED14",
  "RESERVED15",
  "BADVERS",
];

/** nslookup's words before the RDATA of each type it knows, by type code (rtypetext). */
const RTYPE_TEXT = [
  "rtype_0 = ", "internet address = ", "nameserver = ", "md = ", "mf = ", "canonical name = ", "soa = ", "mb = ",
  "mg = ", "mr = ", "rtype_10 = ", "protocol = ", "name = ", "hinfo = ", "minfo = ", "mail exchanger = ",
  "text = ", "rp = ", "afsdb = ", "x25 address = ", "isdn address = ", "rt = ", "nsap = ", "nsap_ptr = ",
  "signature = ", "key = ", "px = ", "gpos = ", "has AAAA address ", "loc = ", "next = ", "rtype_31 = ",
  "rtype_32 = ", "service = ", "rtype_34 = ", "naptr = ", "kx = ", "cert = ", "v6 address = ", "dname = ",
  "rtype_40 = ", "optional = ",
];

/** Codes of the types {@link rdataText} writes, for {@link RTYPE_TEXT}. */
const TYPE_CODES: Readonly<Record<string, number>> = { A: 1, NS: 2, CNAME: 5, SOA: 6, NULL: 10, PTR: 12, MX: 15, TXT: 16, AAAA: 28, SRV: 33, DNAME: 39 };

/** Something that happened during a BIND nslookup run. */
export type BindNslookupEvent =
  /** A try that timed out. */
  | { readonly kind: "timeout"; readonly server: Endpoint }
  /**
   * A reply nslookup printed (of a search walk, only the last), from `server`, whose `name` is the
   * server as given on the command line or in resolv.conf (default: its address).
   */
  | { readonly kind: "reply"; readonly server: Endpoint & { readonly name?: string }; readonly packet: Packet };

/** A run of BIND `nslookup NAME [SERVER]`. */
export interface BindNslookupRun {
  readonly style: "bind";
  /** The name as nslookup holds it: as typed, or for an address its reverse name. */
  readonly name: string;
  /** The type given with `-type=`; absent, nslookup's default A-then-AAAA lookups. */
  readonly type?: string;
  /** What happened, in order. A run whose last event is a timeout ended without a reply. */
  readonly events: readonly BindNslookupEvent[];
}

/** A name as `dns_name_format` writes it: no final dot. */
function bare(name: string): string {
  return nameText(name, { absolute: false });
}

/** The type code of a record type as dns-packet names it, if nslookup's table can use it. */
function typeCode(type: string): number | undefined {
  return type.startsWith("UNKNOWN_") ? Number(type.slice(8)) : TYPE_CODES[type];
}

/** printsection: the lines for one section of a reply. */
function sectionLines(records: readonly Answer[] | undefined, answers: boolean): string[] {
  const lines: string[] = [];
  for (const r of records ?? []) {
    if (r.type === "OPT") continue;
    if ((r.type === "A" || r.type === "AAAA") && answers) {
      lines.push(`Name:\t${bare(r.name)}`, `Address: ${rdataText(r)}`);
    } else if (r.type === "SOA") {
      lines.push(...soaLines(r));
    } else {
      const code = typeCode(r.type);
      const words = code === undefined ? `rdata_${r.type} = ` : (RTYPE_TEXT[code] ?? `rdata_${code} = `);
      lines.push(`${bare(r.name)}\t${words}${rdataText(r)}`);
    }
  }
  return lines;
}

/** The name an A answer's CNAME chain ends at, from `qname` (chase_cnamechain). */
export function chaseCnames(reply: Packet, qname: string): string {
  let name = qname;
  for (let i = 0; i < (reply.answers ?? []).length; i++) {
    const cname = (reply.answers ?? []).find((a) => a.type === "CNAME" && a.name.toLowerCase() === name.toLowerCase());
    if (cname === undefined || cname.type !== "CNAME") break;
    name = cname.data;
  }
  return name;
}

/** What BIND `nslookup` prints for a run, and its exit status. */
export function formatBindNslookup(run: BindNslookupRun): ToolOutput {
  const defaults = run.type === undefined;
  const lines: string[] = [];
  let replied = false;
  let failed = false;
  let textname = run.name;
  let aNoAnswer = false;
  for (const event of run.events) {
    if (event.kind === "timeout") {
      lines.push(`;; communications error to ${bindSocket(event.server)}: timed out`);
      continue;
    }
    const reply = event.packet;
    const qname = reply.questions?.[0]?.name ?? textname;
    const rdtype = reply.questions?.[0]?.type ?? run.type?.toUpperCase() ?? "A";
    const primary = !defaults || rdtype === "A";
    const authoritative = ((reply.flags ?? 0) & FLAGS.AA) !== 0;
    replied = true;
    if (primary) lines.push(`Server:\t\t${event.server.name ?? event.server.address}`, `Address:\t${bindSocket(event.server)}`, "");
    const rcode = (reply.flags ?? 0) & 0xf;
    if (rcode !== 0) {
      failed = true;
      lines.push(`** server can't find ${rcode === 3 ? textname : bare(qname)}: ${RCODES[rcode] ?? `?${rcode}`}`);
      continue;
    }
    if (!authoritative && primary) lines.push("Non-authoritative answer:");
    if ((reply.answers ?? []).length > 0) {
      lines.push(...sectionLines(reply.answers, true));
    } else if (defaults && rdtype === "A") {
      aNoAnswer = true;
    } else if (!defaults || (rdtype === "AAAA" && aNoAnswer)) {
      lines.push(`*** Can't find ${textname}: No answer`);
    }
    if (!authoritative && rdtype !== "A" && rdtype !== "AAAA") {
      lines.push("", "Authoritative answers can be found from:", ...sectionLines(reply.authorities, false), ...sectionLines(reply.additionals, false));
    }
    // The AAAA lookup nslookup adds after an A reply is for the end of its CNAME chain.
    if (defaults && rdtype === "A") textname = bare(chaseCnames(reply, qname));
  }
  // dighost's error format ends in a newline and its printer adds one: a blank line follows.
  if (run.events.at(-1)?.kind === "timeout") lines.push(";; no servers could be reached", "");
  lines.push("");
  return { stdout: `${lines.join("\n")}\n`, stderr: "", exitCode: !replied || failed ? 1 : 0 };
}
