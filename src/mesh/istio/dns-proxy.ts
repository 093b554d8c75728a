/**
 * The istio-agent's DNS proxy (mesh.md §4, istio/istio `pkg/dns/client/dns.go`): with
 * `ISTIO_META_DNS_CAPTURE`, the pod's iptables send its DNS queries to its nameservers to port
 * 15053 (see {@link dnsCaptureRule}), where the proxy answers A and AAAA queries for the hosts
 * of the name table istiod pushed (NDS) itself, authoritatively, with a TTL of 30 s, and
 * forwards everything else to the nameserver the query was sent to, relaying its reply. Before
 * the first table arrives it answers SERVFAIL.
 *
 * The table's Kubernetes hosts answer to their short forms too (`name.ns`, `name.ns.svc`, and
 * `name` from the same namespace), and each form expanded with the pod's first search domain
 * (`web.other.default.svc.cluster.local`) is answered with a CNAME to the form and its addresses:
 * the agent's autopath, which saves the search-list walk its later queries (Istio's
 * `buildAlternateHosts`, `buildDNSAnswers`).
 */
import { DNS_PORT } from "../../dns/coredns.js";
import { DNS_QUERY, DNS_RESPONSE, makeReply, wireName, type Answer, type DnsQueryBody, type DnsResponseBody, type Packet, type Question } from "../../dns/message.js";
import type { OutboundRedirect } from "../../net/host.js";
import { Actor, address, type ActorId, type Message } from "../../sim/actor.js";
import type { Rng } from "../../sim/rng.js";
import type { Sim } from "../../sim/sim.js";
import { SECOND, type Micros } from "../../sim/time.js";
import type { NameTableEntry } from "./xds.js";

/** The agent's DNS port (istio-iptables `constants.IstioAgentDNSListenerPort`). */
export const DNS_PROXY_PORT = 15053;
/** The TTL of the proxy's own answers (mesh.md §4). */
export const DNS_PROXY_TTL = 30;
/** How long the proxy waits for its upstream before it answers SERVFAIL (mesh.md §4: 5 s). */
export const UPSTREAM_TIMEOUT: Micros = 5 * SECOND;

/** The name table as the agent looks it up: addresses by lower-case name, CNAMEs of expanded forms. */
interface LookupTable {
  readonly a: ReadonlyMap<string, readonly string[]>;
  /** An expanded form to the name it stands for. */
  readonly cname: ReadonlyMap<string, string>;
  /** Wildcard hosts (`*.example.com`) as suffixes (`.example.com`), with their addresses. */
  readonly wildcards: readonly { readonly suffix: string; readonly ips: readonly string[] }[];
}

/** A forwarded query waiting for its upstream's reply. */
interface Forwarded {
  readonly query: Message<DnsQueryBody>;
  readonly timer: { cancel(): void };
}

/**
 * The forms a host answers to (Istio's `generateAltHosts`): the host; for a Kubernetes service
 * `name.ns` and `name.ns.svc`, and `name` from a proxy in the same namespace.
 */
function altHosts(e: NameTableEntry, proxyNamespace: string): string[] {
  const out = [e.host];
  if (e.shortname === undefined || e.namespace === undefined) return out;
  if (e.namespace === proxyNamespace) out.push(e.shortname);
  out.push(`${e.shortname}.${e.namespace}`, `${e.shortname}.${e.namespace}.svc`);
  return out;
}

/** The agent's lookup table of a name table, for a proxy in `proxyNamespace` with `search` its first search domain. */
export function lookupTable(entries: readonly NameTableEntry[], proxyNamespace: string, search: string | undefined): LookupTable {
  const a = new Map<string, readonly string[]>();
  const cname = new Map<string, string>();
  const wildcards: { suffix: string; ips: readonly string[] }[] = [];
  for (const e of entries) {
    if (e.host.startsWith("*.")) {
      wildcards.push({ suffix: e.host.slice(1).toLowerCase(), ips: e.ips });
      continue;
    }
    const alts = altHosts(e, proxyNamespace).map((h) => h.toLowerCase());
    for (const h of alts) {
      if (!a.has(h)) a.set(h, e.ips);
      const expanded = search === undefined ? undefined : `${h}.${search.toLowerCase()}`;
      // A form whose expansion is a proper name of its own (web + default.svc.cluster.local) gets no CNAME.
      if (expanded !== undefined && !alts.includes(expanded) && !cname.has(expanded)) cname.set(expanded, h);
    }
  }
  return { a, cname, wildcards };
}

/** The proxy of one pod. */
export class DnsProxy extends Actor {
  private table: LookupTable | undefined = undefined;
  /** Forwarded queries by message id. */
  private readonly forwarded = new Map<number, Forwarded[]>();
  private readonly rng: Rng;

  constructor(
    sim: Sim,
    id: ActorId,
    /** The pod's namespace, for the short names of its own namespace. */
    private readonly namespace: string,
    /** The first search domain of the pod's resolv.conf, for the autopath CNAMEs. */
    private readonly search: string | undefined,
    /** The pod's nameserver, for a query sent to the proxy's port itself rather than captured. */
    private readonly nameserver: string,
  ) {
    super(sim, id);
    this.rng = sim.rng.stream(`dns-proxy/${this.label}`);
    this.handle<DnsQueryBody>(DNS_QUERY, (m) => this.onQuery(m));
    this.handle<DnsResponseBody>(DNS_RESPONSE, (m) => this.onUpstreamReply(m));
  }

  /** A name table from istiod (NDS) replaces the one it had. */
  load(entries: readonly NameTableEntry[]): void {
    this.table = lookupTable(entries, this.namespace, this.search);
  }

  private onQuery(m: Message<DnsQueryBody>): void {
    const query = m.body.packet;
    const q = query.questions?.[0];
    const transport = m.body.transport;
    // The agent's replies are miekg/dns's SetReply: no OPT record echoed, no RA.
    const bare = query.additionals?.length ? { ...query, additionals: [] } : query;
    if (!this.table) {
      this.reply(m, DNS_RESPONSE, { packet: makeReply(bare, { rcode: "SERVFAIL" }), transport } satisfies DnsResponseBody);
      return;
    }
    const answers = q && (q.type === "A" || q.type === "AAAA") ? this.answers(this.table, q.name, q.type) : undefined;
    if (answers) {
      this.reply(m, DNS_RESPONSE, { packet: makeReply(bare, { authoritative: true, answers }), transport } satisfies DnsResponseBody);
      return;
    }
    this.forward(m);
  }

  /**
   * The answer section for a name in the table: the CNAME of an expanded form first, then the
   * addresses of the asked type in a shuffled order (the agent's round robin). A known name with
   * no address of the type has an empty section: NODATA, never NXDOMAIN (istio/istio#31250).
   * Undefined for a name not in the table.
   */
  private answers(table: LookupTable, asked: string, type: "A" | "AAAA"): Answer[] | undefined {
    const name = asked.toLowerCase();
    const out: Answer[] = [];
    let target = name;
    const alias = table.cname.get(name);
    if (alias !== undefined) {
      out.push({ type: "CNAME", name: asked, ttl: DNS_PROXY_TTL, class: "IN", data: wireName(alias) });
      target = alias;
    }
    let ips = table.a.get(target);
    if (ips === undefined) ips = table.wildcards.find((w) => target.endsWith(w.suffix))?.ips;
    if (ips === undefined) return undefined;
    const owner = alias !== undefined ? wireName(alias) : asked;
    if (type === "A") for (const ip of this.shuffled(ips)) out.push({ type: "A", name: owner, ttl: DNS_PROXY_TTL, class: "IN", data: ip });
    return out;
  }

  private shuffled(ips: readonly string[]): readonly string[] {
    if (ips.length < 2) return ips;
    const out = [...ips];
    for (let i = out.length - 1; i > 0; i--) {
      const j = this.rng.int(i + 1);
      [out[i], out[j]] = [out[j]!, out[i]!];
    }
    return out;
  }

  /** Sends the query on to the nameserver it was sent to, and relays its reply (SERVFAIL after the upstream timeout). */
  private forward(m: Message<DnsQueryBody>): void {
    const query = m.body.packet;
    const id = query.id ?? 0;
    const upstream = m.via ?? address(this.nameserver, DNS_PORT);
    const entry: Forwarded = {
      query: m,
      timer: this.sim.timer(UPSTREAM_TIMEOUT, () => {
        if (!this.take(id, entry)) return;
        this.reply(m, DNS_RESPONSE, { packet: makeReply({ ...query, additionals: [] }, { rcode: "SERVFAIL" }), transport: m.body.transport } satisfies DnsResponseBody);
      }),
    };
    const list = this.forwarded.get(id);
    if (list) list.push(entry);
    else this.forwarded.set(id, [entry]);
    this.send(upstream, DNS_QUERY, m.body);
  }

  private onUpstreamReply(m: Message<DnsResponseBody>): void {
    const reply: Packet = m.body.packet;
    const q = reply.questions?.[0];
    const list = this.forwarded.get(reply.id ?? 0);
    const entry = list?.find((f) => sameQuestion(f.query.body.packet, q));
    if (!entry || !this.take(reply.id ?? 0, entry)) return;
    entry.timer.cancel();
    this.reply(entry.query, DNS_RESPONSE, m.body);
  }

  /** Removes a forwarded query from those waiting; false when it was no longer waiting. */
  private take(id: number, entry: Forwarded): boolean {
    const list = this.forwarded.get(id);
    const i = list ? list.indexOf(entry) : -1;
    if (i < 0) return false;
    list!.splice(i, 1);
    if (list!.length === 0) this.forwarded.delete(id);
    return true;
  }
}

function sameQuestion(query: Packet, q: Question | undefined): boolean {
  const asked = query.questions?.[0];
  return asked !== undefined && q !== undefined && asked.type === q.type && asked.name.toLowerCase() === q.name.toLowerCase();
}

/**
 * The iptables rule that captures a pod's DNS for its proxy (istio-iptables with DNS capture):
 * UDP and TCP to port 53 of the pod's nameservers goes to the proxy's port instead, except what
 * the proxy's own processes send (`--uid-owner 1337 -j RETURN`): `exempt`.
 */
export function dnsCaptureRule(podIp: string, nameservers: readonly string[], exempt: ReadonlySet<Actor>): OutboundRedirect {
  return { port: DNS_PORT, ips: new Set(nameservers), target: address(podIp, DNS_PROXY_PORT), exempt };
}
