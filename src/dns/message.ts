import * as packet from "dns-packet";
import type { Answer, Packet, Question, RecordType } from "dns-packet";

/**
 * DNS messages inside the simulation are dns-packet's objects (DESIGN.md, 'Actors and
 * messages'): names without a trailing dot (the root is `.`), rcode and flags in `flags`.
 * These helpers build replies the way CoreDNS's server does and measure and truncate them the
 * way miekg/dns does, so that every answer the simulator builds is one the wire format carries.
 */

export type { Answer, Packet, Question, RecordType };

/** The response codes mcsim uses, by name, as dns-packet and dig spell them. */
export const RCODE = {
  NOERROR: 0,
  FORMERR: 1,
  SERVFAIL: 2,
  NXDOMAIN: 3,
  NOTIMP: 4,
  REFUSED: 5,
  /** The name is outside the server's zones: Lighthouse's answer for a zone it does not serve (mcs.md §5.3). */
  NOTZONE: 10,
} as const;

/** A response code name. */
export type Rcode = keyof typeof RCODE;

/** Each named code's name, by code: the codes are not contiguous (NOTZONE is 10). */
const RCODE_NAMES: readonly (Rcode | undefined)[] = Object.entries(RCODE).reduce<(Rcode | undefined)[]>((names, [name, code]) => {
  names[code] = name as Rcode;
  return names;
}, []);

/** The flag bits of the header, as dns-packet exports them. */
export const FLAGS = {
  AA: packet.AUTHORITATIVE_ANSWER,
  TC: packet.TRUNCATED_RESPONSE,
  RD: packet.RECURSION_DESIRED,
  RA: packet.RECURSION_AVAILABLE,
  AD: packet.AUTHENTIC_DATA,
  CD: packet.CHECKING_DISABLED,
} as const;

/** The message kind of a DNS query between actors. */
export const DNS_QUERY = "dns.query";
/** The message kind of a DNS response between actors. */
export const DNS_RESPONSE = "dns.response";

/** The body of a {@link DNS_QUERY} message. */
export interface DnsQueryBody {
  readonly packet: Packet;
  readonly transport: "udp" | "tcp";
}

/** The body of a {@link DNS_RESPONSE} message. */
export interface DnsResponseBody {
  readonly packet: Packet;
  readonly transport: "udp" | "tcp";
}

/** The response code of a message, by name (`RCODE_n` for codes mcsim does not name). */
export function rcodeOf(p: Packet): Rcode | `RCODE_${number}` {
  const code = (p.flags ?? 0) & 0xf;
  return RCODE_NAMES[code] ?? `RCODE_${code}`;
}

/** True when the flag bit is set. */
export function hasFlag(p: Packet, flag: number): boolean {
  return ((p.flags ?? 0) & flag) !== 0;
}

/** A name in lower case with a trailing dot: the form mcsim compares names in (`Foo.com` → `foo.com.`). */
export function canonical(name: string): string {
  const lower = hasUpper(name) ? name.toLowerCase() : name;
  if (lower === "." || lower === "") return ".";
  return lower.charCodeAt(lower.length - 1) === 46 ? lower : `${lower}.`;
}

/** True when `toLowerCase` would change the name (names are nearly always lower case already). */
function hasUpper(name: string): boolean {
  for (let i = 0; i < name.length; i++) {
    const c = name.charCodeAt(i);
    if ((c >= 65 && c <= 90) || c > 127) return true;
  }
  return false;
}

/** A name as dns-packet writes it: no trailing dot, the root as `.`. */
export function wireName(name: string): string {
  if (name === "." || name === "") return ".";
  return name.endsWith(".") ? name.slice(0, -1) : name;
}

/**
 * The most names {@link sharedCanonical}, {@link sharedWireName} and {@link sharedName} each remember: names nobody
 * asks twice (a scan of random names) must not grow them without end.
 */
const MAX_SHARED_NAMES = 16_384;
const wireForms = new Map<string, string>();
const askedForms = new Map<string, string>();

/** `form(name)`, remembered in `forms`. */
function shared(forms: Map<string, string>, name: string, form: (name: string) => string): string {
  let out = forms.get(name);
  if (out === undefined) {
    if (forms.size >= MAX_SHARED_NAMES) forms.clear();
    out = form(name);
    forms.set(name, out);
  }
  return out;
}

/**
 * Each name servers are asked, as asked, by number (dense, from 0), with its canonical form.
 * Servers keep per-name state in arrays indexed by the number: a query reaches its entry with one
 * read, where a map of the server's own by name takes several, in memory that the CPU has
 * likely not cached since the name was last asked there. Bounded as the shared forms are: when it
 * is full it numbers afresh, and {@link nameEpoch} changes so that arrays by the old numbers do too.
 */
const nameNumbers = new Map<string, number>();
const canonicalByNumber: string[] = [];
let numbering = 0;

/** The number of a name as asked (see {@link nameEpoch} for how long it holds). */
export function nameNumber(name: string): number {
  let n = nameNumbers.get(name);
  if (n === undefined) {
    if (canonicalByNumber.length >= MAX_SHARED_NAMES) {
      nameNumbers.clear();
      canonicalByNumber.length = 0;
      numbering++;
    }
    n = canonicalByNumber.length;
    canonicalByNumber.push(canonical(name));
    nameNumbers.set(name, n);
  }
  return n;
}

/** Which numbering {@link nameNumber} is in: a name keeps its number while this stays the same. */
export function nameEpoch(): number {
  return numbering;
}

/**
 * {@link canonical}, as one string per name for every server of every world in the process (the
 * function is pure, so sharing changes no result). Servers look question names up in maps and
 * compare them with zones on every query; with a string per name per server, a world of many
 * clusters asking the same names keeps many copies, and reading a copy the CPU has not cached
 * costs more than all the rest of the comparison.
 */
export function sharedCanonical(name: string): string {
  return canonicalByNumber[nameNumber(name)]!;
}

/** {@link wireName}, as one string per name for the whole process: see {@link sharedCanonical}. */
export function sharedWireName(name: string): string {
  return shared(wireForms, name, wireName);
}

/** The name as given, as one string per name for the whole process (for names a client asks again and again): see {@link sharedCanonical}. */
export function sharedName(name: string): string {
  return shared(askedForms, name, (n) => n);
}

/** The name with a trailing dot, case kept (`web.default.svc.cluster.local.`), as dig prints owners. */
export function fqdn(name: string): string {
  if (name === "." || name === "") return ".";
  return name.endsWith(".") ? name : `${name}.`;
}

/** Options of {@link makeQuery}. */
export interface QueryOptions {
  readonly id: number;
  /** Recursion desired; default true, as stub resolvers and dig set it. */
  readonly rd?: boolean;
  /** Advertise EDNS0 with this UDP payload size (dig: 1232); default: no EDNS, as glibc and musl. */
  readonly ednsUdpSize?: number;
  /** The DO bit, with EDNS. */
  readonly dnssecOk?: boolean;
}

/** A query for one name and type. */
export function makeQuery(name: string, type: RecordType, options: QueryOptions): Packet {
  const q: Packet = {
    type: "query",
    id: options.id,
    flags: options.rd === false ? 0 : FLAGS.RD,
    questions: [{ name: wireName(name), type, class: "IN" }],
  };
  if (options.ednsUdpSize !== undefined) {
    q.additionals = [
      { type: "OPT", name: ".", udpPayloadSize: options.ednsUdpSize, extendedRcode: 0, ednsVersion: 0, flags: options.dnssecOk ? packet.DNSSEC_OK : 0, flag_do: options.dnssecOk ?? false, options: [] },
    ];
  }
  return q;
}

/** What a reply carries besides what it copies from the query. */
export interface ReplyParts {
  readonly rcode?: Rcode;
  readonly authoritative?: boolean;
  readonly recursionAvailable?: boolean;
  readonly answers?: readonly Answer[];
  readonly authorities?: readonly Answer[];
  readonly additionals?: readonly Answer[];
}

/** The OPT record of a message, if it has one. */
export function optOf(p: Packet): Extract<Answer, { type: "OPT" }> | undefined {
  const additionals = p.additionals;
  if (!additionals) return undefined;
  for (let i = 0; i < additionals.length; i++) {
    const a = additionals[i]!;
    if (a.type === "OPT") return a;
  }
  return undefined;
}

/**
 * The EDNS options CoreDNS copies from a query's OPT into its reply (`request.supportedOptions`:
 * NSID, EXPIRE, COOKIE, TCP-KEEPALIVE, PADDING), so that dig reports its cookie "(echoed)"
 * (dns.md §6.1). Codes, as dns-packet decodes an option.
 */
const ECHOED_OPTIONS: ReadonlySet<number> = new Set([3, 9, 10, 11, 12]);
const NO_OPTIONS = Object.freeze([]) as never[];

/**
 * A reply to `query`, as CoreDNS writes one: same id and question, RD copied, the rcode and AA
 * given, and the query's OPT echoed (same UDP size, DO kept, other flags cleared, the options of
 * {@link ECHOED_OPTIONS} kept: the ScrubWriter, dns.md §3.2) when the query had one.
 */
export function makeReply(query: Packet, parts: ReplyParts): Packet {
  let flags = RCODE[parts.rcode ?? "NOERROR"];
  if (parts.authoritative) flags |= FLAGS.AA;
  if (parts.recursionAvailable) flags |= FLAGS.RA;
  if (hasFlag(query, FLAGS.RD)) flags |= FLAGS.RD;
  if (hasFlag(query, FLAGS.CD)) flags |= FLAGS.CD;
  // Every answer a server gives is built here, so it copies nothing it can share: messages are
  // never changed once sent, so the reply carries the query's question section and the caller's
  // sections as they are, and an empty section is the one shared frozen array.
  let additionals = sectionOf(parts.additionals);
  const opt = optOf(query);
  if (opt) {
    const doBit = (opt.flags ?? 0) & packet.DNSSEC_OK;
    const options = opt.options?.length ? opt.options.filter((o) => ECHOED_OPTIONS.has(o.code)) : NO_OPTIONS;
    additionals = [...additionals, { type: "OPT", name: ".", udpPayloadSize: opt.udpPayloadSize, extendedRcode: 0, ednsVersion: 0, flags: doBit, flag_do: doBit !== 0, options }];
  }
  return {
    type: "response",
    id: query.id ?? 0,
    flags,
    questions: query.questions ?? [],
    answers: sectionOf(parts.answers),
    authorities: sectionOf(parts.authorities),
    additionals,
  };
}

/** The empty section every reply without records shares; frozen, so a change fails loudly. */
const NO_RECORDS: readonly never[] = Object.freeze([]);

/** A section of a reply: the given records, shared (dns-packet's type has them mutable, but no one changes a sent message). */
function sectionOf(records: readonly Answer[] | undefined): Answer[] {
  return (records ?? NO_RECORDS) as Answer[];
}

/** A reply with only an rcode (SERVFAIL, REFUSED, FORMERR), as CoreDNS's server writes for an unhandled error. */
export function errorReply(query: Packet, rcode: Rcode): Packet {
  return makeReply(query, { rcode });
}

/** The size of a message on the wire, in bytes (dns-packet writes names uncompressed). */
export function wireSize(p: Packet): number {
  return packet.encodingLength(p);
}

/** The largest UDP reply a query accepts: 512 bytes without EDNS, else its advertised size (at least 512). */
export function udpLimit(query: Packet): number {
  const opt = optOf(query);
  return opt ? Math.max(512, opt.udpPayloadSize) : 512;
}

/**
 * Fits a reply into `limit` bytes as miekg/dns's Truncate does (dns.md §3.2): unchanged if it
 * fits; otherwise it keeps the OPT record and as many answer records as fit, drops the authority
 * and additional sections, and sets TC so that the client retries over TCP.
 */
export function truncate(reply: Packet, limit: number): Packet {
  if (sizeBound(reply) <= limit || wireSize(reply) <= limit) return reply;
  const opt = optOf(reply);
  const out: Packet = { ...reply, flags: (reply.flags ?? 0) | FLAGS.TC, answers: [], authorities: [], additionals: opt ? [opt] : [] };
  for (const a of reply.answers ?? []) {
    out.answers!.push(a);
    if (wireSize(out) > limit) {
      out.answers!.pop();
      break;
    }
  }
  return out;
}

/** At least a name's wire size: 3 bytes per UTF-16 unit covers any character, plus length bytes. */
function nameBound(name: string): number {
  return name === "." || name === "" ? 1 : name.length * 3 + 2;
}

/** At least the wire size of one record's data, or infinity for data this bound does not know. */
function dataBound(a: Answer): number {
  switch (a.type) {
    case "A":
      return 4;
    case "AAAA":
      return 16;
    case "CNAME":
    case "PTR":
    case "NS":
    case "DNAME":
      return nameBound(a.data);
    case "SRV":
      return 6 + nameBound(a.data.target);
    case "SOA":
      return nameBound(a.data.mname) + nameBound(a.data.rname) + 20;
    case "OPT":
      return a.options.length === 0 ? 0 : Number.POSITIVE_INFINITY;
    default:
      return Number.POSITIVE_INFINITY;
  }
}

/**
 * An upper bound of {@link wireSize} that costs a few additions, so that the common small reply
 * needs no exact measurement before deciding it fits.
 */
export function sizeBound(p: Packet): number {
  let size = 12;
  const questions = p.questions;
  if (questions) for (let i = 0; i < questions.length; i++) size += nameBound(questions[i]!.name) + 4;
  return size + sectionBound(p.answers) + sectionBound(p.authorities) + sectionBound(p.additionals);
}

function sectionBound(section: readonly Answer[] | undefined): number {
  let size = 0;
  if (section) for (let i = 0; i < section.length; i++) size += nameBound(section[i]!.name) + 10 + dataBound(section[i]!);
  return size;
}

/** The message as it comes out of the wire: encoded and decoded again. */
export function roundTrip(p: Packet): Packet {
  return packet.decode(packet.encode(p));
}
