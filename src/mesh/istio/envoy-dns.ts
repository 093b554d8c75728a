/**
 * Envoy's own DNS resolver, for the clusters of ServiceEntries with resolution DNS (STRICT_DNS,
 * LOGICAL_DNS): it asks the pod's first nameserver for the A record of an endpoint's host, as
 * Istio configures Envoy (`dns_lookup_family: V4_ONLY`, the name as an FQDN), from a socket of
 * the proxy's own (so the DNS capture lets it pass, mesh.md §4), and keeps an answer for its TTL
 * (Istio sets `respect_dns_ttl`). The first address is used. No answer within 5 s, an error, or
 * no address is a failed resolution: the cluster has no host to send to.
 */
import { openClientSocket, type DnsClientSocket } from "../../dns/client-socket.js";
import { DNS_PORT } from "../../dns/coredns.js";
import { makeQuery, rcodeOf } from "../../dns/message.js";
import type { Host } from "../../net/host.js";
import type { Network } from "../../net/network.js";
import { address, type Actor } from "../../sim/actor.js";
import type { Rng } from "../../sim/rng.js";
import type { Sim } from "../../sim/sim.js";
import { SECOND, type Micros } from "../../sim/time.js";

/** How long Envoy waits for an answer (c-ares' default timeout as Envoy sets it). */
const RESOLVE_TIMEOUT: Micros = 5 * SECOND;

/** The resolver of one sidecar. */
export class EnvoyDns {
  private socket: DnsClientSocket | undefined = undefined;
  private readonly cache = new Map<string, { readonly ip: string | undefined; readonly until: Micros }>();
  private rng: Rng | undefined = undefined;

  constructor(
    private readonly sim: Sim,
    private readonly network: Network,
    private readonly host: Host,
    private readonly label: string,
    /** The proxy's own actors (its uid): the socket joins them when it is made. */
    private readonly proxyActors: Set<Actor>,
  ) {}

  /** The pod's nameservers, from its resolv.conf; none, and every resolution fails. */
  nameservers: readonly string[] = [];

  /** Resolves `name`; `done` gets its first IPv4 address, or undefined when it has none. */
  resolve(name: string, done: (ip: string | undefined) => void): void {
    const cached = this.cache.get(name);
    if (cached && cached.until > this.sim.now) {
      done(cached.ip);
      return;
    }
    const server = this.nameservers[0];
    if (server === undefined) {
      done(undefined);
      return;
    }
    if (!this.socket) {
      this.socket = openClientSocket(this.network, this.sim, this.host, `${this.label}/envoy-dns`).socket;
      this.proxyActors.add(this.socket);
    }
    this.rng ??= this.sim.rng.stream(`sidecar/${this.label}/dns`);
    let settled = false;
    const timer = this.sim.timer(RESOLVE_TIMEOUT, () => {
      settled = true;
      stop();
      done(undefined);
    });
    const stop = this.socket.ask(address(server, DNS_PORT), makeQuery(name, "A", { id: this.rng.int(65536) }), "udp", (reply) => {
      if (settled) return;
      settled = true;
      timer.cancel();
      const a = rcodeOf(reply.packet) === "NOERROR" ? reply.packet.answers?.find((r) => r.type === "A") : undefined;
      const ip = a?.type === "A" ? a.data : undefined;
      const ttl = a?.type === "A" ? (a.ttl ?? 0) : 0;
      this.cache.set(name, { ip, until: this.sim.now + ttl * SECOND });
      done(ip);
    });
  }
}
