/**
 * cache — a frontend cache of the replies the rest of the chain writes, one per server block.
 *
 * Syntax (CoreDNS's plugin/cache README):
 *
 *     cache [TTL] [ZONES...] {
 *         success CAPACITY [TTL] [MINTTL]
 *         denial CAPACITY [TTL] [MINTTL]
 *         prefetch AMOUNT [[DURATION] [PERCENTAGE%]]
 *         serve_stale [DURATION] [immediate|verify]
 *         servfail DURATION
 *         disable success|denial [ZONES...]
 *         keepttl
 *     }
 *
 * Behaviour follows shared/reference/dns.md §4.3, which is read from CoreDNS's cache.go,
 * handler.go, item.go, setup.go, response/typify.go and dnsutil/ttl.go:
 *
 * - Classification (`response.Typify`): answers with NOERROR are a success, an SOA with NOERROR is
 *   NODATA, an SOA with NXDOMAIN a name error (both denial), SERVFAIL and NOTIMP a server error
 *   (kept in the denial cache for `servfail`, 5 s by default), NS-only NOERROR a delegation and
 *   empty NOERROR a success; anything else (REFUSED, FORMERR, NXDOMAIN without SOA) is not cached,
 *   nor is a truncated reply, a zone transfer, or a reply whose question is not the query's.
 * - `msgTTL` is the least TTL of every record (OPT excluded), at most 3600; for a denial it is the
 *   SOA record's own TTL; a reply without records counts as 5 s. The entry lives
 *   `duration = min(max(msgTTL, MINTTL), TTL)` (server errors: the `servfail` duration).
 * - On a miss every record of the reply the client gets carries `duration` as its TTL, whether or
 *   not it was stored (a `disable`d zone too). On a hit every record carries `duration − whole
 *   seconds since stored`, AA is set, RA and the rcode are the stored reply's, AD only when the
 *   query had DO or AD. An entry whose remaining TTL is 0 is a miss (without `serve_stale`).
 * - The key is (DO, CD, qtype, qclass, lower-cased qname). Each of the two caches has 256 shards
 *   of max(4, ⌊CAPACITY/256⌋) entries (default capacity 10000: 39 a shard), the shard chosen by
 *   the low byte of the FNV-1 hash CoreDNS computes; a full shard drops a random entry, drawn
 *   from the server's `cache` random stream where Go would take its random map order.
 * - `serve_stale`: an entry expired less than DURATION ago (default 1 h) is served with TTL 0;
 *   `immediate` (default) then refreshes it in the background, `verify` asks the chain first and
 *   serves the stale entry only when the chain's answer is neither NOERROR nor NXDOMAIN.
 * - `prefetch AMOUNT [DURATION] [PERCENTAGE%]`: an entry hit AMOUNT times with gaps of at most
 *   DURATION (default 1m) is refreshed in the background, once its remaining TTL is at most
 *   ⌈PERCENTAGE% × its duration⌉ (default 10%). Background refreshes (prefetch, immediate stale) are asked over
 *   TCP, as CoreDNS's prefetch writer presents a TCP client address.
 * - `keepttl`: hits carry the full duration instead of the remaining TTL.
 *
 * Time is the simulation clock: an entry stored at t is a hit until t + duration.
 */
import type { Rng } from "../../sim/rng.js";
import { SECOND, parseDuration, type Micros } from "../../sim/time.js";
import type { Directive } from "../corefile.js";
import { FLAGS, canonical, hasFlag, makeReply, optOf, type Answer, type Packet, type RecordType } from "../message.js";
import { directiveError, inZone, type DnsRequest, type NextHandler, type Plugin, type PluginFactory, type ResponseWriter, type SetupContext } from "../plugin.js";
import { onlyOnce } from "./directives.js";
import { returnedErrorOf } from "./returned-error.js";

/** dnsutil.MaximumDefaulTTL: the success cache's default max TTL, in seconds. */
export const MAX_SUCCESS_TTL = 3600;
/** maxNTTL: the denial cache's default max TTL, in seconds. */
export const MAX_DENIAL_TTL = 1800;
/** dnsutil.MinimalDefaultTTL: the default min TTL, and the TTL of a reply without records, in seconds. */
export const MIN_TTL = 5;
/** defaultCap: entries per cache, before sharding. */
export const DEFAULT_CAPACITY = 10_000;
/** The number of shards of each cache. */
export const SHARDS = 256;
/** The SERVFAIL/NOTIMP cache duration by default, and the most `servfail` may set. */
export const DEFAULT_SERVFAIL: Micros = 5 * SECOND;
const MAX_SERVFAIL: Micros = 300 * SECOND;
const DEFAULT_STALE: Micros = 3600 * SECOND;

/** How `response.Typify` classifies a reply. */
export type ReplyKind = "success" | "delegation" | "nodata" | "nxdomain" | "servererror" | "other" | "meta";

/** The parsed options of one `cache` directive. */
export interface CacheConfig {
  zones: string[];
  success: { capacity: number; maxTtl: number; minTtl: number };
  denial: { capacity: number; maxTtl: number; minTtl: number };
  servfail: Micros;
  prefetch: { amount: number; window: Micros; percentage: number };
  /** 0: serve_stale off. */
  staleUpTo: Micros;
  verifyStale: boolean;
  successExcept: string[];
  denialExcept: string[];
  keepTtl: boolean;
}

function atoi(text: string | undefined): number | null {
  return text !== undefined && /^[+-]?\d+$/.test(text) ? Number(text) : null;
}

function parseConfig(context: SetupContext): CacheConfig {
  const d = context.directive;
  const config: CacheConfig = {
    zones: [...context.zones],
    success: { capacity: DEFAULT_CAPACITY, maxTtl: MAX_SUCCESS_TTL, minTtl: MIN_TTL },
    denial: { capacity: DEFAULT_CAPACITY, maxTtl: MAX_DENIAL_TTL, minTtl: MIN_TTL },
    servfail: DEFAULT_SERVFAIL,
    prefetch: { amount: 0, window: 60 * SECOND, percentage: 10 },
    staleUpTo: 0,
    verifyStale: false,
    successExcept: [],
    denialExcept: [],
    keepTtl: false,
  };
  let args = d.args;
  const ttl = atoi(args[0]);
  if (ttl !== null) {
    if (ttl <= 0) throw directiveError(d, `cache: cache TTL can not be zero or negative: ${ttl}`);
    config.success.maxTtl = ttl;
    config.denial.maxTtl = ttl;
    args = args.slice(1);
  }
  if (args.length > 0) config.zones = args.map(canonical);

  const duration = (option: Directive, text: string): Micros => {
    try {
      return parseDuration(text);
    } catch (e) {
      throw directiveError(option, `cache: ${option.name}: ${(e as Error).message}`);
    }
  };
  for (const option of d.block ?? []) {
    const a = option.args;
    const noArgs = () => {
      if (a.length > 0) throw directiveError(option, `cache: ${option.name} takes no arguments, got ${a.length}`);
    };
    switch (option.name) {
      case "success":
      case "denial": {
        const which = option.name === "success" ? config.success : config.denial;
        if (a.length === 0) throw directiveError(option, `cache: expected "${option.name} CAPACITY [TTL] [MINTTL]"`);
        const capacity = atoi(a[0]);
        if (capacity === null) throw directiveError(option, `cache: ${option.name}: CAPACITY must be a whole number, got ${JSON.stringify(a[0])}`);
        which.capacity = capacity;
        if (a.length > 1) {
          const max = atoi(a[1]);
          if (max === null) throw directiveError(option, `cache: ${option.name}: TTL must be a whole number of seconds, got ${JSON.stringify(a[1])}`);
          if (max <= 0) throw directiveError(option, `cache: cache TTL can not be zero or negative: ${max}`);
          which.maxTtl = max;
          if (a.length > 2) {
            const min = atoi(a[2]);
            if (min === null) throw directiveError(option, `cache: ${option.name}: MINTTL must be a whole number of seconds, got ${JSON.stringify(a[2])}`);
            if (min < 0) throw directiveError(option, `cache: cache min TTL can not be negative: ${min}`);
            which.minTtl = min;
          }
        }
        break;
      }
      case "prefetch": {
        if (a.length === 0 || a.length > 3) throw directiveError(option, 'cache: expected "prefetch AMOUNT [[DURATION] [PERCENTAGE%]]"');
        const amount = atoi(a[0]);
        if (amount === null) throw directiveError(option, `cache: prefetch: AMOUNT must be a whole number, got ${JSON.stringify(a[0])}`);
        if (amount < 0) throw directiveError(option, `cache: prefetch amount should be positive: ${amount}`);
        config.prefetch.amount = amount;
        if (a.length > 1) config.prefetch.window = duration(option, a[1]!);
        if (a.length > 2) {
          const pct = a[2]!;
          if (!pct.endsWith("%")) throw directiveError(option, `cache: last character of percentage should be \`%\`, but is: ${JSON.stringify(pct.slice(-1))}`);
          const num = atoi(pct.slice(0, -1));
          if (num === null) throw directiveError(option, `cache: prefetch: PERCENTAGE must be a whole number followed by %, got ${JSON.stringify(pct)}`);
          if (num < 10 || num > 90) throw directiveError(option, `cache: percentage should fall in range [10, 90]: ${num}`);
          config.prefetch.percentage = num;
        }
        break;
      }
      case "serve_stale": {
        if (a.length > 2) throw directiveError(option, 'cache: expected "serve_stale [DURATION] [immediate|verify]"');
        config.staleUpTo = a.length > 0 ? duration(option, a[0]!) : DEFAULT_STALE;
        config.verifyStale = false;
        if (a.length > 1) {
          const mode = a[1]!.toLowerCase();
          if (mode !== "immediate" && mode !== "verify") throw directiveError(option, `cache: invalid value for serve_stale refresh mode: ${mode}`);
          config.verifyStale = mode === "verify";
        }
        break;
      }
      case "servfail": {
        if (a.length !== 1) throw directiveError(option, 'cache: expected "servfail DURATION"');
        const d2 = duration(option, a[0]!);
        if (d2 > MAX_SERVFAIL) throw directiveError(option, "cache: caching SERVFAIL responses over 5 minutes is not permitted");
        config.servfail = d2;
        break;
      }
      case "disable": {
        if (a.length < 1) throw directiveError(option, 'cache: expected "disable success|denial [ZONES...]"');
        const zones = a.length > 1 ? a.slice(1).map(canonical) : ["."];
        if (a[0] === "success") config.successExcept = zones;
        else if (a[0] === "denial") config.denialExcept = zones;
        else throw directiveError(option, `cache: cache type for disable must be "success" or "denial", got ${JSON.stringify(a[0])}`);
        break;
      }
      case "keepttl":
        noArgs();
        config.keepTtl = true;
        break;
      case "serve_stale_policy":
        throw directiveError(option, "cache: the option serve_stale_policy is not supported by mcsim");
      default:
        throw directiveError(option, `cache: unknown property ${JSON.stringify(option.name)}`);
    }
  }
  return config;
}

// ---------------------------------------------------------------------------------------------
// Classification and TTLs (response.Typify, dnsutil.MinimalTTL, cache.computeTTL)

/** The class of a reply as CoreDNS's `response.Typify` decides it (DNSSEC signature expiry aside). */
export function typify(reply: Packet): ReplyKind {
  const qtype = reply.questions?.[0]?.type;
  if (qtype === "AXFR" || qtype === "IXFR") return "meta";
  const rcode = (reply.flags ?? 0) & 0xf;
  if ((reply.answers?.length ?? 0) > 0 && rcode === 0) return "success";
  let soa = false;
  let ns = 0;
  for (const r of reply.authorities ?? []) {
    if (r.type === "SOA") soa = true;
    else if (r.type === "NS") ns++;
  }
  if (soa && rcode === 0) return "nodata";
  if (soa && rcode === 3) return "nxdomain";
  if (rcode === 2 || rcode === 4) return "servererror";
  if (ns > 0 && rcode === 0) return "delegation";
  if (rcode === 0) return "success";
  return "other";
}

const ttlOf = (r: Answer): number => ("ttl" in r && typeof r.ttl === "number" ? r.ttl : 0);

/**
 * The TTL a reply is cached by, in seconds, before MINTTL and TTL (dns.md §4.3): the least of
 * its records' TTLs (OPT excluded) and 3600; for a denial, the SOA record's TTL; 5 for a reply
 * without records and for kinds that are not success or denial.
 */
export function messageTtl(reply: Packet, kind: ReplyKind): number {
  if (kind !== "success" && kind !== "nxdomain" && kind !== "nodata") return MIN_TTL;
  const extra = reply.additionals ?? [];
  if ((reply.answers?.length ?? 0) + (reply.authorities?.length ?? 0) === 0 && (extra.length === 0 || (extra.length === 1 && extra[0]!.type === "OPT"))) return MIN_TTL;
  let min = MAX_SUCCESS_TTL;
  if (kind === "nxdomain" || kind === "nodata") {
    for (const r of reply.authorities ?? []) if (r.type === "SOA") min = Math.min(min, ttlOf(r));
    return min;
  }
  return Math.min(min, leastTtl(reply.answers), leastTtl(reply.authorities), leastTtl(extra));
}

/** The least TTL of a section's records, OPT excluded; infinity for none. */
function leastTtl(records: readonly Answer[] | undefined): number {
  let min = Number.POSITIVE_INFINITY;
  if (records) for (let i = 0; i < records.length; i++) if (records[i]!.type !== "OPT") min = Math.min(min, ttlOf(records[i]!));
  return min;
}

function computeTtl(msgTtl: number, minTtl: number, maxTtl: number): number {
  return Math.min(Math.max(msgTtl, minTtl), maxTtl);
}

/**
 * Every record's TTL set to `ttl` (OPT kept as it is). A record that already has it is shared,
 * not copied: messages are never changed once sent.
 */
function withTtl(records: readonly Answer[] | undefined, ttl: number): Answer[] {
  return (records ?? []).map((r) => (r.type === "OPT" || r.ttl === ttl ? r : ({ ...r, ttl } as Answer)));
}

/** True when {@link withTtl} would change nothing in a section that is present. */
function hasTtl(records: readonly Answer[] | undefined, ttl: number): boolean {
  if (!records) return false;
  for (let i = 0; i < records.length; i++) {
    const r = records[i]!;
    if (r.type !== "OPT" && r.ttl !== ttl) return false;
  }
  return true;
}

// ---------------------------------------------------------------------------------------------
// Keys and shards

const QTYPE_CODES: Readonly<Record<string, number>> = {
  A: 1, NS: 2, CNAME: 5, SOA: 6, NULL: 10, HINFO: 13, PTR: 12, MX: 15, TXT: 16, RP: 17, AFSDB: 18, SIG: 24, KEY: 25,
  AAAA: 28, LOC: 29, SRV: 33, NAPTR: 35, KX: 36, CERT: 37, DNAME: 39, OPT: 41, APL: 42, DS: 43, SSHFP: 44,
  IPSECKEY: 45, RRSIG: 46, NSEC: 47, DNSKEY: 48, DHCID: 49, NSEC3: 50, NSEC3PARAM: 51, TLSA: 52, HIP: 55,
  CDS: 59, CDNSKEY: 60, OPENPGPKEY: 61, CSYNC: 62, SVCB: 64, HTTPS: 65, SPF: 99, TKEY: 249, TSIG: 250,
  IXFR: 251, AXFR: 252, ANY: 255, URI: 256, CAA: 257, TA: 32768, DLV: 32769,
};

function qtypeCode(type: string): number {
  const known = QTYPE_CODES[type];
  if (known !== undefined) return known;
  const m = /^TYPE(\d+)$/i.exec(type);
  return m ? Number(m[1]) & 0xffff : 0;
}

/**
 * The shard of a key: the low byte of CoreDNS's `hash` (FNV-1, 64 bits, over "1"/"0" for DO,
 * "1"/"0" for CD, the qtype's two bytes and the lower-cased qname). The low byte of a product
 * and of an xor depends only on the low bytes, so 8-bit arithmetic gives it exactly.
 */
export function shardOf(name: string, qtype: RecordType, dnssecOk: boolean, checkingDisabled: boolean): number {
  let h = 0x25; // low byte of the FNV-64 offset basis 0xcbf29ce484222325
  h = fnvStep(h, dnssecOk ? 0x31 : 0x30);
  h = fnvStep(h, checkingDisabled ? 0x31 : 0x30);
  const code = qtypeCode(qtype);
  h = fnvStep(h, code >> 8);
  h = fnvStep(h, code & 0xff);
  if (isAscii(name)) {
    // An ASCII name is its own UTF-8: hash its characters without encoding it.
    for (let i = 0; i < name.length; i++) h = fnvStep(h, name.charCodeAt(i));
  } else {
    for (const byte of Buffer.from(name, "utf8")) h = fnvStep(h, byte);
  }
  return h;
}

/** One byte into the hash: the low byte of FNV-1's multiply by the FNV-64 prime 0x100000001b3, then xor. */
function fnvStep(h: number, byte: number): number {
  return (Math.imul(h, 0xb3) & 0xff) ^ byte;
}

function isAscii(text: string): boolean {
  for (let i = 0; i < text.length; i++) if (text.charCodeAt(i) > 127) return false;
  return true;
}

interface Freq {
  /** Last hit, or null before the first. */
  last: Micros | null;
  hits: number;
}

/** One cached reply (item.go). */
interface Item {
  readonly rcode: number;
  readonly ad: boolean;
  readonly ra: boolean;
  readonly answers: readonly Answer[];
  readonly authorities: readonly Answer[];
  /** Without the OPT record: it is hop-by-hop. */
  readonly additionals: readonly Answer[];
  /** The reply's question, to check a hit against (item.matches). */
  readonly qname: string;
  readonly qtype: RecordType;
  /** The duration in whole seconds. */
  readonly origTtl: number;
  readonly stored: Micros;
  freq: Freq;
}

function itemTtl(item: Item, now: Micros): number {
  return item.origTtl - Math.floor((now - item.stored) / SECOND);
}

/** One of the two caches: 256 shards, each dropping a random entry when full (plugin/pkg/cache). */
export class ShardedCache {
  private readonly shards: (Map<string, Item> | undefined)[] = new Array(SHARDS);
  readonly shardSize: number;

  constructor(
    capacity: number,
    private readonly rng: Rng,
  ) {
    this.shardSize = Math.max(4, Math.trunc(capacity / SHARDS));
  }

  get(shard: number, key: string): Item | undefined {
    return this.shards[shard]?.get(key);
  }

  /** Stores an item; true when another was evicted for it. */
  add(shard: number, key: string, item: Item): boolean {
    let s = this.shards[shard];
    if (!s) this.shards[shard] = s = new Map();
    let evicted = false;
    if (s.size >= this.shardSize && !s.has(key)) {
      let victim = this.rng.int(s.size);
      for (const k of s.keys()) {
        if (victim-- === 0) {
          s.delete(k);
          evicted = true;
          break;
        }
      }
    }
    s.set(key, item);
    return evicted;
  }

  remove(shard: number, key: string): void {
    this.shards[shard]?.delete(key);
  }

  /** Entries held. */
  get size(): number {
    let n = 0;
    for (const s of this.shards) n += s?.size ?? 0;
    return n;
  }
}

interface Key {
  readonly key: string;
  readonly shard: number;
}

function dnssecOk(query: Packet): boolean {
  const opt = optOf(query);
  return opt !== undefined && ((opt.flags ?? 0) & 0x8000) !== 0;
}

function keyOf(request: DnsRequest): Key {
  const q = request.query;
  const doBit = dnssecOk(q);
  const cd = hasFlag(q, FLAGS.CD);
  const qclass = q.questions?.[0]?.class ?? "IN";
  return { key: `${doBit ? 1 : 0}${cd ? 1 : 0}/${request.qtype}/${qclass}/${request.name}`, shard: shardOf(request.name, request.qtype, doBit, cd) };
}

/** request.Match: one question, a response, same name (any case) and type. */
function replyMatches(request: DnsRequest, reply: Packet): boolean {
  const qs = reply.questions ?? [];
  return qs.length === 1 && reply.type === "response" && canonical(qs[0]!.name) === request.name && qs[0]!.type === request.qtype;
}

/** True when `name` is in one of `zones`: a loop, as every query asks. */
function inAnyZone(name: string, zones: readonly string[]): boolean {
  for (let i = 0; i < zones.length; i++) if (inZone(name, zones[i]!)) return true;
  return false;
}

/** How a cache writer treats what the chain writes. */
type WriterMode =
  /** A miss: store, rewrite TTLs, write to the client. */
  | "client"
  /** A prefetch or background refresh: store only. */
  | "prefetch";

/** The cache of one server block. */
export class CachePlugin implements Plugin {
  readonly name = "cache";
  /** The success cache (pcache). */
  readonly positive: ShardedCache;
  /** The denial cache (ncache): NXDOMAIN, NODATA and server errors. */
  readonly negative: ShardedCache;

  constructor(
    readonly config: CacheConfig,
    rng: Rng,
  ) {
    this.positive = new ShardedCache(config.success.capacity, rng);
    this.negative = new ShardedCache(config.denial.capacity, rng);
  }

  serve(request: DnsRequest, writer: ResponseWriter, next: NextHandler): void {
    if (!inAnyZone(request.name, this.config.zones)) return next(request, writer);
    // A name disabled in both caches (kubeadm's cluster zone) is never stored, so never found:
    // no key to build, no lookup, only the TTL rewrite of a miss.
    if (this.neverStored(request.name)) return next(request, this.writer(request, null, writer, "client"));
    const now = request.server.sim.now;
    const key = keyOf(request);
    const item = this.getIgnoreTtl(now, request, key);
    if (!item) return next(request, this.writer(request, key, writer, "client"));

    let at = now;
    const ttl = itemTtl(item, now);
    let refresh = false;
    if (ttl < 0) {
      // Expired but within the stale window: reply with TTL 0 (the clock moved back by the overrun).
      at = now + ttl * SECOND;
      if (this.config.verifyStale) {
        next(request, {
          write: (reply) => {
            // verifyStaleResponseWriter: NOERROR and NXDOMAIN replace the stale entry; anything else is dropped.
            const rcode = (reply.flags ?? 0) & 0xf;
            if (returnedErrorOf(reply) === undefined && (rcode === 0 || rcode === 3)) this.writer(request, key, writer, "client").write(reply);
            else writer.write(this.toReply(item, request, at));
          },
        });
        return;
      }
      refresh = true;
    } else if (this.shouldPrefetch(item, now)) {
      refresh = true;
    }
    writer.write(this.toReply(item, request, at));
    if (refresh) this.prefetch(request, key, next, item, at);
  }

  /** getIgnoreTTL: the entry for the key, fresh or within the stale window; denial first. */
  private getIgnoreTtl(now: Micros, request: DnsRequest, key: Key): Item | undefined {
    const staleSeconds = Math.floor(this.config.staleUpTo / SECOND);
    for (const cache of [this.negative, this.positive]) {
      const item = cache.get(key.shard, key.key);
      if (!item || item.qtype !== request.qtype || item.qname !== request.name) continue;
      const ttl = itemTtl(item, now);
      if (ttl > 0 || (this.config.staleUpTo > 0 && -ttl < staleSeconds)) return item;
    }
    return undefined;
  }

  private shouldPrefetch(item: Item, now: Micros): boolean {
    const p = this.config.prefetch;
    if (p.amount <= 0) return false;
    // freq.Update: a gap longer than the window starts the count again.
    if (item.freq.last === null || item.freq.last < now - p.window) item.freq = { last: now, hits: 1 };
    else item.freq = { last: now, hits: item.freq.hits + 1 };
    const threshold = Math.ceil((p.percentage / 100) * item.origTtl);
    return item.freq.hits >= p.amount && itemTtl(item, now) <= threshold;
  }

  /** doPrefetch: asks the chain again (over TCP) and stores the answer, keeping the hit count. */
  private prefetch(request: DnsRequest, key: Key, next: NextHandler, item: Item, at: Micros): void {
    const store = this.writer(request, key, { write: () => {} }, "prefetch");
    next(
      { ...request, transport: "tcp" },
      {
        write: (reply) => {
          store.write(reply);
          const fresh = this.negative.get(key.shard, key.key) ?? this.positive.get(key.shard, key.key);
          if (fresh) fresh.freq = { last: at, hits: item.freq.hits };
        },
      },
    );
  }

  /** True for a name that `disable success` and `disable denial` both cover. */
  private neverStored(name: string): boolean {
    return inAnyZone(name, this.config.successExcept) && inAnyZone(name, this.config.denialExcept);
  }

  /** The writer for what the chain answers a request: see {@link CacheWriter}. */
  private writer(request: DnsRequest, key: Key | null, client: ResponseWriter, mode: WriterMode): ResponseWriter {
    return new CacheWriter(this, request, key, client, mode);
  }

  /** @internal Stores a reply the chain wrote (for {@link CacheWriter}). */
  set(reply: Packet, key: Key, kind: ReplyKind, duration: Micros, prefetch: boolean, now: Micros): void {
    const question = reply.questions![0]!;
    const name = canonical(question.name);
    const item: Item = {
      rcode: (reply.flags ?? 0) & 0xf,
      ad: hasFlag(reply, FLAGS.AD),
      ra: hasFlag(reply, FLAGS.RA),
      answers: [...(reply.answers ?? [])],
      authorities: [...(reply.authorities ?? [])],
      additionals: (reply.additionals ?? []).filter((r) => r.type !== "OPT"),
      qname: name,
      qtype: question.type,
      origTtl: Math.floor(duration / SECOND),
      stored: now,
      freq: { last: null, hits: 0 },
    };
    if (kind === "success" || kind === "delegation") {
      if (this.config.successExcept.some((z) => inZone(name, z))) return;
      this.positive.add(key.shard, key.key, item);
      if (prefetch) this.negative.remove(key.shard, key.key);
    } else {
      if (this.config.denialExcept.some((z) => inZone(name, z))) return;
      this.negative.add(key.shard, key.key, item);
    }
  }

  /** item.toMsg: the stored reply tailored to this query, TTLs aged to `at` (or kept, with keepttl). */
  private toReply(item: Item, request: DnsRequest, at: Micros): Packet {
    const query = request.query;
    const ttl = Math.max(0, itemTtl(item, this.config.keepTtl ? item.stored : at));
    const reply = makeReply(query, { answers: withTtl(item.answers, ttl), authorities: withTtl(item.authorities, ttl), additionals: withTtl(item.additionals, ttl) });
    let flags = ((reply.flags ?? 0) & ~0xf) | item.rcode | FLAGS.AA;
    if (item.ra) flags |= FLAGS.RA;
    if (item.ad && (dnssecOk(query) || hasFlag(query, FLAGS.AD))) flags |= FLAGS.AD;
    return { ...reply, flags };
  }
}

/**
 * The ResponseWriter of cache.go: classifies, stores (unless `key` is null), and (for a client)
 * rewrites TTLs and writes. An object rather than a closure, as one is made per query.
 */
class CacheWriter implements ResponseWriter {
  private readonly doBit: boolean;
  private readonly ad: boolean;

  constructor(
    private readonly plugin: CachePlugin,
    private readonly request: DnsRequest,
    private readonly key: Key | null,
    private readonly client: ResponseWriter,
    private readonly mode: WriterMode,
  ) {
    this.doBit = dnssecOk(request.query);
    this.ad = hasFlag(request.query, FLAGS.AD);
  }

  write(reply: Packet): void {
    const plugin = this.plugin;
    // A plugin's returned error never reaches CoreDNS's cache writer: the server writes it.
    if (returnedErrorOf(reply) !== undefined) {
      if (this.mode === "client") this.client.write(reply);
      return;
    }
    const c = plugin.config;
    const kind = typify(reply);
    const hasKey = !hasFlag(reply, FLAGS.TC) && kind !== "other" && kind !== "meta";
    const msgTtl = messageTtl(reply, kind);
    let duration: Micros;
    if (kind === "nxdomain" || kind === "nodata") duration = computeTtl(msgTtl, c.denial.minTtl, c.denial.maxTtl) * SECOND;
    else if (kind === "servererror") duration = c.servfail;
    else duration = computeTtl(msgTtl, c.success.minTtl, c.success.maxTtl) * SECOND;

    if (this.key && hasKey && duration > 0 && replyMatches(this.request, reply)) plugin.set(reply, this.key, kind, duration, this.mode === "prefetch", this.request.server.sim.now);
    if (this.mode === "prefetch") return;

    // "Apply capped TTL to this reply to avoid jarring TTL experience 1799 -> 8."
    const ttl = Math.floor(duration / SECOND);
    let flags = reply.flags ?? 0;
    if (!this.doBit && !this.ad) flags &= ~FLAGS.AD;
    // A reply that already carries these TTLs and flags goes as it is: messages are never changed once sent.
    if (flags === reply.flags && hasTtl(reply.answers, ttl) && hasTtl(reply.authorities, ttl) && hasTtl(reply.additionals, ttl)) this.client.write(reply);
    else this.client.write({ ...reply, flags, answers: withTtl(reply.answers, ttl), authorities: withTtl(reply.authorities, ttl), additionals: withTtl(reply.additionals, ttl) });
  }
}

/** The cache plugin. */
export const cache: PluginFactory = {
  name: "cache",
  setup(context) {
    // CoreDNS allows one cache per server block (plugin.ErrOnce).
    if (!onlyOnce(context)) return null;
    return new CachePlugin(parseConfig(context), context.server.rng.stream("cache"));
  },
};
