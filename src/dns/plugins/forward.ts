/**
 * forward — proxies queries to upstream resolvers.
 *
 * Syntax (CoreDNS's plugin/forward README; the options mcsim honours):
 *
 *     forward FROM TO... {
 *         except IGNORED_NAMES...
 *         force_tcp
 *         prefer_udp
 *         expire DURATION
 *         max_idle_conns INTEGER
 *         max_fails INTEGER
 *         max_connect_attempts INTEGER
 *         policy random|round_robin|sequential
 *         health_check DURATION [no_rec] [domain FQDN]
 *         max_concurrent MAX
 *         next RCODE...
 *         next_on_nodata
 *         failfast_all_unhealthy_upstreams
 *         failover RCODE...
 *     }
 *
 * TO is `IP`, `IP:PORT`, `[IPv6]:PORT`, optionally with `dns://`, at most 15 of them, or a file:
 * `/etc/resolv.conf` is the server pod's nameservers (SetupContext.resolvConfNameservers), another
 * path a file of SetupContext.files in resolv.conf form. `tls://` and other transports, hostnames,
 * `tls`, `tls_servername`, `doh_method`, `resolver` and `source_address` are errors: mcsim
 * speaks plain DNS only. `expire` and `max_idle_conns` are read and have no effect (no connection
 * reuse is modelled).
 *
 * Behaviour (dns.md §4.1, CoreDNS forward.go, policy.go, pkg/proxy):
 *
 * - A name outside FROM, or inside an `except` name (FROM itself is always forwarded), goes to
 *   the next plugin.
 * - `max_concurrent`: a query beyond the limit gets REFUSED at once (not a health failure).
 * - The policy orders the upstreams per query: `random` (default: a coin flip for two, else a
 *   permutation, from the server's `forward/policy` random stream), `round_robin` (a counter, one
 *   up per query: that upstream first, then the others in list order), `sequential`.
 * - Each attempt sends the client's query with a fresh id (from the `forward/ids` stream) over the
 *   client's transport (`force_tcp`: TCP; `prefer_udp`: UDP, then TCP again to the same upstream
 *   when the reply is truncated), and waits 2 s. Before each attempt the query's 5 s deadline and
 *   `max_connect_attempts` (failed attempts, default 0 = no cap) are checked.
 * - A timeout starts the upstream's health check (unless `max_fails 0`), see Upstream, and moves
 *   on to the next upstream, round and round the list until the deadline. Down upstreams are
 *   skipped; when all are down a random one is tried anyway, or with
 *   `failfast_all_unhealthy_upstreams` none.
 * - A reply whose question is not the query's makes a FORMERR. A reply with a `failover` rcode
 *   makes the next upstream be tried, each upstream once, the last reply being returned; a `next`
 *   rcode (or NODATA with `next_on_nodata`) hands the query to the next `forward` of the block.
 *   Any other reply — SERVFAIL and REFUSED included — goes to the client, with the client's id.
 * - When the attempts end without a reply, the query fails with SERVFAIL as CoreDNS's server
 *   writes it (returnedError: not cached), and the error is logged as CoreDNS's `errors` plugin
 *   prints it: `[ERROR] plugin/errors: 2 NAME. TYPE: read udp …: i/o timeout` or
 *   `… no healthy proxies`.
 */
import type { Rng } from "../../sim/rng.js";
import type { Micros } from "../../sim/time.js";
import { FLAGS, canonical, errorReply, hasFlag, makeReply, type Packet, type Rcode } from "../message.js";
import { inZone, type DnsRequest, type DnsServer, type NextHandler, type Plugin, type PluginFactory, type ResponseWriter } from "../plugin.js";
import { QUERY_DEADLINE, READ_TIMEOUT, parseForward, type ForwardConfig } from "./forward/config.js";
import { Upstream, randomOrder, roundRobinOrder } from "./forward/upstream.js";
import { returnedError } from "./returned-error.js";

export { parseForward, type ForwardConfig } from "./forward/config.js";
export { Upstream } from "./forward/upstream.js";

/** The forward plugin of one `forward` directive. */
export class ForwardPlugin implements Plugin {
  readonly name = "forward";
  readonly upstreams: readonly Upstream[];
  /** Queries being forwarded now (counted only with max_concurrent). */
  concurrent = 0;
  private robin = 0;
  private readonly policyRng: Rng;
  private readonly ids: Rng;

  constructor(
    readonly config: ForwardConfig,
    server: DnsServer,
    /** True when the plugin after this one in the chain is a forward (for `next`). */
    readonly nextIsForward: boolean,
  ) {
    this.policyRng = server.rng.stream("forward/policy");
    this.ids = server.rng.stream("forward/ids");
    const health = {
      interval: config.healthCheckInterval,
      recursionDesired: config.healthCheckRecursionDesired,
      domain: config.healthCheckDomain,
      transport: config.forceTcp ? ("tcp" as const) : ("udp" as const),
    };
    this.upstreams = config.upstreams.map((a) => new Upstream(a, server, this.ids, health));
  }

  serve(request: DnsRequest, writer: ResponseWriter, next: NextHandler): void {
    if (!this.matches(request.name)) return next(request, writer);
    const max = this.config.maxConcurrent;
    if (max > 0) {
      if (this.concurrent + 1 > max) return this.fail(request, writer, "REFUSED", `concurrent queries exceeded maximum ${max}`);
      this.concurrent++;
    }
    let finished = false;
    const out: ResponseWriter = {
      write: (reply) => {
        if (!finished && max > 0) this.concurrent--;
        finished = true;
        writer.write(reply);
      },
    };
    new Attempts(this, request, out, next, this.order()).step();
  }

  /** forward.match: in FROM, and FROM itself or outside every `except` name. */
  matches(name: string): boolean {
    const c = this.config;
    if (!inZone(name, c.from)) return false;
    if (name === c.from) return true;
    return !c.except.some((z) => inZone(name, z));
  }

  /** The upstreams in the order the policy gives for one query. */
  order(): Upstream[] {
    switch (this.config.policy) {
      case "random":
        return randomOrder(this.upstreams, this.policyRng);
      case "round_robin":
        this.robin = (this.robin + 1) >>> 0;
        return roundRobinOrder(this.upstreams, this.robin);
      case "sequential":
        return [...this.upstreams];
    }
  }

  /** All upstreams down: random.List(proxies)[0]. */
  anyUpstream(): Upstream {
    return randomOrder(this.upstreams, this.policyRng)[0]!;
  }

  nextId(): number {
    return this.ids.int(65536);
  }

  /** The query fails as CoreDNS's server answers a plugin's returned error, logged as `errors` prints it. */
  fail(request: DnsRequest, writer: ResponseWriter, rcode: Rcode, error: string): void {
    const code = rcode === "REFUSED" ? 5 : 2;
    request.server.log(`[ERROR] plugin/errors: ${code} ${request.name} ${request.qtype}: ${error}`);
    writer.write(returnedError(request.query, rcode, error));
  }
}

/** The upstream loop of one query (Forward.ServeDNS), driven by exchange callbacks. */
class Attempts {
  private i = 0;
  /** Down upstreams skipped (and failover replies) in this pass over the list. */
  private fails = 0;
  /** Failover replies so far: each upstream is tried once for them. */
  private failovers = 0;
  private connectAttempts = 0;
  private upstreamError: string | null = null;
  private readonly deadline: Micros;

  constructor(
    private readonly f: ForwardPlugin,
    private readonly request: DnsRequest,
    private readonly writer: ResponseWriter,
    private readonly next: NextHandler,
    private readonly list: readonly Upstream[],
  ) {
    this.deadline = request.server.sim.now + QUERY_DEADLINE;
  }

  step(): void {
    const c = this.f.config;
    const n = this.f.upstreams.length;
    const sim = this.request.server.sim;
    for (;;) {
      if (!(sim.now < this.deadline) || (c.maxConnectAttempts > 0 && this.connectAttempts >= c.maxConnectAttempts)) return this.giveUp();
      if (this.i >= this.list.length) {
        this.i = 0;
        this.fails = 0;
      }
      let upstream = this.list[this.i++]!;
      if (upstream.down(c.maxFails)) {
        this.fails++;
        if (this.fails < n) continue;
        if (c.failfastAllUnhealthyUpstreams) return this.giveUp();
        // All upstreams down: assume health checking is broken and try a random one.
        upstream = this.f.anyUpstream();
      }
      return this.connect(upstream, c.forceTcp);
    }
  }

  private connect(upstream: Upstream, forceTcp: boolean): void {
    const c = this.f.config;
    const request = this.request;
    const transport = forceTcp ? "tcp" : c.preferUdp ? "udp" : request.transport;
    const id = this.f.nextId();
    const query: Packet = { ...request.query, id };
    request.server.exchange(upstream.address, query, transport, READ_TIMEOUT, (reply) => {
      if (reply && hasFlag(reply, FLAGS.TC) && !forceTcp && c.preferUdp) return this.connect(upstream, true);
      if (reply) return this.reply(reply);
      const server = request.server.address?.ip ?? "0.0.0.0";
      this.error(upstream, `read ${transport} ${server}:${32768 + (id % 28232)}->${upstream.address.text}: i/o timeout`);
    });
  }

  private error(upstream: Upstream, error: string): void {
    const c = this.f.config;
    this.upstreamError = error;
    if (c.maxFails !== 0) upstream.healthcheck();
    if (c.maxConnectAttempts > 0) {
      this.connectAttempts++;
      if (this.connectAttempts >= c.maxConnectAttempts) return this.giveUp();
    }
    if (this.fails < this.f.upstreams.length) return this.step();
    this.giveUp();
  }

  private reply(reply: Packet): void {
    const c = this.f.config;
    const request = this.request;
    const n = this.f.upstreams.length;
    this.upstreamError = null;
    if (!questionMatches(request, reply)) return this.writer.write(errorReply(request.query, "FORMERR"));
    const rcode = (reply.flags ?? 0) & 0xf;
    if (c.failover.includes(rcode) && this.failovers + 1 < n) {
      this.failovers++;
      this.fails++;
      return this.step();
    }
    const nodata = rcode === 0 && (reply.answers?.length ?? 0) === 0;
    if ((c.next.includes(rcode) || (c.nextOnNodata && nodata)) && this.f.nextIsForward) return this.next(request, this.writer);
    this.writer.write(toClient(reply, request.query));
  }

  private giveUp(): void {
    this.f.fail(this.request, this.writer, "SERVFAIL", this.upstreamError ?? "no healthy proxies");
  }
}

/** request.Match: one question, a response, the query's name (any case) and type. */
function questionMatches(request: DnsRequest, reply: Packet): boolean {
  const qs = reply.questions ?? [];
  return qs.length === 1 && reply.type === "response" && canonical(qs[0]!.name) === request.name && qs[0]!.type === request.qtype;
}

/** The upstream's reply as the client gets it: the client's id, and the client's OPT mirrored (the ScrubWriter). */
function toClient(reply: Packet, query: Packet): Packet {
  const additionals = [...(reply.additionals ?? []).filter((r) => r.type !== "OPT"), ...(makeReply(query, {}).additionals ?? [])];
  return { ...reply, id: query.id ?? 0, additionals };
}

/** The forward plugin. */
export const forward: PluginFactory = {
  name: "forward",
  setup(context) {
    const config = parseForward(context);
    // Several forwards of a block run in Corefile order, next to each other in plugin.cfg order:
    // all but the last have a forward after them (SetupContext.serverDirectives).
    const d = context.directive;
    const forwards = (context.serverDirectives ?? []).filter((x) => x.name === "forward");
    const at = forwards.findIndex((x) => x === d || (x.file === d.file && x.line === d.line && x.column === d.column));
    return new ForwardPlugin(config, context.server, at >= 0 && at < forwards.length - 1);
  },
};
