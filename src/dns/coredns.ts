import type { ApiServer } from "../k8s/apiserver.js";
import { Actor, type ActorId, type Address, type Message, type ServiceModel } from "../sim/actor.js";
import type { Rng } from "../sim/rng.js";
import type { Sim } from "../sim/sim.js";
import type { Micros } from "../sim/time.js";
import { formatIpv4 } from "../net/ip.js";
import type { DnsChaos, DnsChaosRule } from "./chaos.js";
import { orderDirectives, type Corefile } from "./corefile.js";
import {
  DNS_QUERY,
  DNS_RESPONSE,
  canonical,
  errorReply,
  makeQuery,
  makeReply,
  rcodeOf,
  sharedCanonical,
  truncate,
  udpLimit,
  type DnsQueryBody,
  type DnsResponseBody,
  type Packet,
  type Question,
  type RecordType,
} from "./message.js";
import { directiveError, type DnsRequest, type DnsServer, type NextHandler, type Plugin, type ResponseWriter } from "./plugin.js";
import { PLUGINS } from "./plugins/index.js";

declare module "../sim/trace.js" {
  interface TraceEventMap {
    /** A DNS server answered a query (summary level). */
    "dns.answer": { server: string; client: string; qname: string; qtype: string; rcode: string; answers: number };
    /** A DNSChaos rule took over a query (summary level); its `dns.answer` follows. */
    "dns.chaos": { server: string; client: string; qname: string; qtype: string; action: string };
  }
}

/** The port DNS servers listen on. */
export const DNS_PORT = 53;

/**
 * CoreDNS's default service model: a couple of workers, tens to hundreds of microseconds per
 * query (its `log` plugin shows 66–230 µs for cluster answers, dns.md §7), and a socket buffer of
 * a thousand queries beyond which queries are lost.
 */
export const DEFAULT_COREDNS_SERVICE: ServiceModel = {
  workers: 2,
  serviceTime: { kind: "lognormal", median: 80, p99: 400 },
  queueLimit: 1000,
};

/** Options of a {@link CoreDns} replica. */
export interface CoreDnsOptions {
  readonly corefile: Corefile;
  /** The cluster's API server, for the kubernetes plugin. */
  readonly api?: ApiServer;
  /** Where `forward . /etc/resolv.conf` goes: the node's upstream resolvers (CoreDNS pods use dnsPolicy Default). */
  readonly resolvConfNameservers?: readonly string[];
  /** Files the server can read (`hosts FILE`). */
  readonly files?: Readonly<Record<string, string>>;
  readonly service?: ServiceModel;
  /** The cluster's DNSChaos rules (simulation.md §4.1), consulted for every query from the network. */
  readonly chaos?: DnsChaos;
}

/** The TTL of a `random` answer: k8s_dns_chaos writes 10. */
const CHAOS_TTL = 10;

/** One line of a server's log. */
export interface LogLine {
  readonly t: Micros;
  readonly line: string;
}

interface Block {
  readonly zone: string;
  readonly chain: NextHandler;
  readonly plugins: readonly Plugin[];
}

interface Pending {
  readonly from: string;
  /** The question asked, canonical name and type: what tells apart exchanges that drew the same id. */
  readonly name: string;
  readonly qtype: string;
  readonly callback: (reply: Packet | null) => void;
  readonly timer: { cancel(): boolean };
}

const MAX_LOG_LINES = 10_000;

/**
 * One CoreDNS replica: an actor listening on port 53 of its pod, with a service model, that
 * routes each query to the server block of the longest matching zone (dns.md §3.2) and runs that
 * block's plugins in plugin.cfg order (§3.3), whatever order the Corefile lists them in.
 */
export class CoreDns extends Actor implements DnsServer {
  readonly rng: Rng;
  /** The server's log, oldest first (the last {@link MAX_LOG_LINES} lines). */
  readonly logs: LogLine[] = [];
  private readonly blocks = new Map<string, Block>();
  /** The blocks, longest zone first, for routing. */
  private readonly byLength: Block[];
  /** Exchanges in flight by query id; several may share one, as each has a socket of its own. */
  private readonly pending = new Map<number, Pending[]>();
  private readonly queryIds: Rng;
  /** The DNSChaos table and the stream `random` answers draw from (its own, so other draws stay put). */
  private readonly chaos: { readonly table: DnsChaos; readonly rng: Rng } | undefined;

  constructor(sim: Sim, id: ActorId, options: CoreDnsOptions) {
    super(sim, id, { service: options.service ?? DEFAULT_COREDNS_SERVICE });
    this.rng = sim.rng.stream(`coredns/${this.label}`);
    this.queryIds = this.rng.stream("query-ids");
    this.chaos = options.chaos ? { table: options.chaos, rng: this.rng.stream("chaos") } : undefined;
    for (const server of options.corefile.servers) {
      const zones = server.keys.filter((k) => k.port === DNS_PORT).map((k) => canonical(k.zone));
      if (zones.length === 0) continue;
      const plugins: Plugin[] = [];
      for (const directive of orderDirectives(server.directives)) {
        const factory = PLUGINS.get(directive.name);
        if (!factory) throw directiveError(directive, `plugin ${directive.name} is not implemented by mcsim`);
        const plugin = factory.setup({
          directive,
          zones,
          serverDirectives: server.directives,
          server: this,
          ...(options.api ? { api: options.api } : {}),
          resolvConfNameservers: options.resolvConfNameservers ?? [],
          files: options.files ?? {},
        });
        if (plugin) plugins.push(plugin);
      }
      const chain = chainOf(plugins);
      for (const zone of zones) {
        if (this.blocks.has(zone)) throw directiveError(server.directives[0] ?? ({ name: "", args: [], block: null, line: server.line, column: server.column, file: server.file }), `zone ${zone} is served twice on port ${DNS_PORT}`);
        this.blocks.set(zone, { zone, chain, plugins });
      }
    }
    this.byLength = [...this.blocks.values()].sort((a, b) => b.zone.length - a.zone.length);
    this.handle<DnsQueryBody>(DNS_QUERY, (m) => this.serveQuery(m));
    this.handle<DnsResponseBody>(DNS_RESPONSE, (m) => this.upstreamReply(m));
  }

  /** True when every plugin that reports readiness is ready (the `ready` plugin's /ready). */
  isReady(): boolean {
    for (const block of this.blocks.values()) for (const p of block.plugins) if (p.ready && !p.ready()) return false;
    return true;
  }

  /** The zones it serves, in the Corefile's order (what CoreDNS prints as `ZONE:53` when it starts). */
  get zones(): string[] {
    return [...this.blocks.keys()];
  }

  log(line: string): void {
    this.logs.push({ t: this.sim.now, line });
    if (this.logs.length > MAX_LOG_LINES) this.logs.splice(0, this.logs.length - MAX_LOG_LINES);
  }

  exchange(upstream: Address, query: Packet, transport: "udp" | "tcp", timeout: Micros, callback: (reply: Packet | null) => void): void {
    const id = query.id ?? 0;
    const question = query.questions?.[0];
    // Each exchange reads its reply on a connection of its own (forward's pool, dns.md §4.1), so
    // two in flight with the same id do not take each other's replies: a reply goes to the
    // exchange with its id, upstream and question.
    const p: Pending = {
      from: upstream.ip,
      name: question ? canonical(question.name) : "",
      qtype: question?.type ?? "",
      callback,
      timer: this.sim.timer(timeout, () => {
        this.forget(id, p);
        callback(null);
      }),
    };
    const list = this.pending.get(id);
    if (list) list.push(p);
    else this.pending.set(id, [p]);
    this.send(upstream, DNS_QUERY, { packet: query, transport } satisfies DnsQueryBody);
  }

  private forget(id: number, p: Pending): void {
    const list = this.pending.get(id);
    if (!list) return;
    const i = list.indexOf(p);
    if (i >= 0) list.splice(i, 1);
    if (list.length === 0) this.pending.delete(id);
  }

  /** A fresh query id for an exchange. */
  nextQueryId(): number {
    return this.queryIds.int(65536);
  }

  lookup(name: string, type: RecordType, callback: (reply: Packet) => void): void {
    const query = makeQuery(name, type, { id: this.nextQueryId() });
    this.route(query, this.address!, "udp", { write: callback });
  }

  private serveQuery(m: Message<DnsQueryBody>): void {
    const { packet, transport } = m.body;
    const writer = new ClientWriter(this, m, transport === "udp" ? udpLimit(packet) : 65_535);
    // k8s_dns_chaos runs before every other plugin, so chaos wins over zones, cache and forward.
    const question = packet.questions?.[0];
    const rule = this.chaos && question ? this.chaos.table.match(question.name, question.type, m.from.ip) : undefined;
    if (rule) return writer.write(this.chaosReply(packet, question!, rule, m.from.text));
    this.route(packet, m.from, transport, writer);
  }

  /** What k8s_dns_chaos answers: SERVFAIL, or one authoritative record of a random address. */
  private chaosReply(query: Packet, question: Question, rule: DnsChaosRule, client: string): Packet {
    if (this.sim.trace.summary) {
      this.sim.trace.record("dns.chaos", { server: this.label, client, qname: question.name, qtype: question.type, action: rule.action });
    }
    if (rule.action === "error") return errorReply(query, "SERVFAIL");
    const rng = this.chaos!.rng;
    const answer =
      question.type === "A"
        ? { type: "A" as const, name: question.name, ttl: CHAOS_TTL, class: "IN" as const, data: formatIpv4(rng.nextUint32()) }
        : { type: "AAAA" as const, name: question.name, ttl: CHAOS_TTL, class: "IN" as const, data: randomIpv6(rng) };
    return makeReply(query, { authoritative: true, answers: [answer] });
  }

  /** Finds the server block for a query and runs its chain (dns.md §3.2). */
  private route(query: Packet, client: Address, transport: "udp" | "tcp", writer: ResponseWriter): void {
    const question = query.questions?.[0];
    if (!question) return writer.write(errorReply(query, "SERVFAIL"));
    if ((question.class ?? "IN") !== "IN") return writer.write(errorReply(query, "REFUSED"));
    const name = sharedCanonical(question.name);
    // The most specific zone that contains the name: the blocks are kept longest zone first.
    let block: Block | undefined;
    for (const b of this.byLength) {
      const z = b.zone;
      if (z === "." || name === z || (name.endsWith(z) && name.charCodeAt(name.length - z.length - 1) === 46)) {
        block = b;
        break;
      }
    }
    if (!block) return writer.write(errorReply(query, "REFUSED"));
    const request: DnsRequest = { query, qname: question.name, name, qtype: question.type, client, transport, zone: block.zone, server: this };
    block.chain(request, writer);
  }

  private upstreamReply(m: Message<DnsResponseBody>): void {
    const packet = m.body.packet;
    const id = packet.id ?? 0;
    const list = this.pending.get(id);
    if (!list) return;
    const question = packet.questions?.[0];
    const name = question ? canonical(question.name) : "";
    // A reply whose question matches no exchange (or that has none) is read by the oldest
    // exchange on that upstream with its id, whose forward then answers FORMERR (dns.md §4.1).
    const p = list.find((x) => x.from === m.from.ip && x.name === name && x.qtype === (question?.type ?? "")) ?? list.find((x) => x.from === m.from.ip);
    if (!p) return;
    this.forget(id, p);
    p.timer.cancel();
    p.callback(packet);
  }
}

/**
 * Where the chain writes its reply to a query from the network: truncated to what the client
 * accepts, traced, and sent back. An object of its own rather than a closure, as one is made per
 * query.
 */
class ClientWriter implements ResponseWriter {
  constructor(
    private readonly server: CoreDns,
    private readonly query: Message<DnsQueryBody>,
    /** The largest reply the client takes. */
    private readonly limit: number,
  ) {}

  write(reply: Packet): void {
    const server = this.server;
    const m = this.query;
    const sized = truncate(reply, this.limit);
    const trace = server.sim.trace;
    if (trace.summary) {
      const q = m.body.packet.questions?.[0];
      trace.record("dns.answer", {
        server: server.label,
        client: m.from.text,
        qname: q?.name ?? "",
        qtype: q?.type ?? "",
        rcode: rcodeOf(sized),
        answers: sized.answers?.length ?? 0,
      });
    }
    server.reply(m, DNS_RESPONSE, { packet: sized, transport: m.body.transport } satisfies DnsResponseBody);
  }
}

/** The handler that runs `plugins` in order, ending in SERVFAIL when the last one passes the query on. */
function chainOf(plugins: readonly Plugin[]): NextHandler {
  let next: NextHandler = (request, writer) => {
    request.server.log(`[ERROR] plugin/errors: 2 ${request.qname}. ${request.qtype}: no next plugin found`);
    writer.write(errorReply(request.query, "SERVFAIL"));
  };
  for (let i = plugins.length - 1; i >= 0; i--) {
    const plugin = plugins[i]!;
    const after = next;
    next = (request, writer) => plugin.serve(request, writer, after);
  }
  return next;
}

/**
 * 128 random bits as an IPv6 address, written as dns-packet's decoder writes one (the first run of
 * zero groups shortened to `::`), so the answer is the same after a trip through the wire format.
 */
function randomIpv6(rng: Rng): string {
  const groups: string[] = [];
  for (let i = 0; i < 4; i++) {
    const word = rng.nextUint32();
    groups.push((word >>> 16).toString(16), (word & 0xffff).toString(16));
  }
  return groups.join(":").replace(/(^|:)0(:0)*:0(:|$)/, "$1::$3").replace(/:{3,4}/, "::");
}
