/**
 * loadbalance — shuffles the address records of every successful reply.
 *
 * Syntax (CoreDNS plugin/loadbalance README, setup.go):
 *
 *     loadbalance [round_robin] {
 *         prefer CIDR...
 *     }
 *
 * `loadbalance weighted WEIGHTFILE { reload DURATION }` is not supported by mcsim (a CorefileError
 * says so).
 *
 * Behaviour (dns.md §4.5; loadbalance.go, prefer.go):
 * - Only NOERROR replies are touched, and not AXFR/IXFR ones. The answer, authority and
 *   additional sections are each reordered: CNAMEs first, then the other records in their order,
 *   then A and AAAA records (one group, shuffled), then MX records (shuffled).
 * - Shuffle: two records swap with probability 1/2; more are Fisher–Yates shuffled. CoreDNS draws
 *   from `dns.Id()`; mcsim draws from the server's `loadbalance` stream, so a seed replays.
 * - `prefer`: after the shuffle, in the answer and additional sections, the A/AAAA records in the
 *   first CIDR come first, then those in the second, and so on, then the rest in shuffled order;
 *   the section is then CNAMEs, addresses, MX, then the other records.
 * - Several `loadbalance` directives in a block are one plugin (their `prefer` lists add up).
 * - It sits early in the chain (plugin.cfg), so it shuffles every reply, cache hits included (§3.3).
 */
import type { Answer, Packet } from "../message.js";
import { rcodeOf } from "../message.js";
import type { Rng } from "../../sim/rng.js";
import { directiveError, type PluginFactory, type ResponseWriter } from "../plugin.js";
import { sameNamed } from "./directives.js";
import { returnedErrorOf } from "./returned-error.js";
import { cidrContains, parseCidr, parseIp, type IpNet } from "./ip.js";

/** Two records swap on a coin flip; more are Fisher–Yates shuffled (loadbalance.go roundRobinShuffle). */
function shuffle(records: Answer[], rng: Rng): void {
  const n = records.length;
  if (n < 2) return;
  if (n === 2) {
    if (rng.int(2) === 0) [records[0], records[1]] = [records[1]!, records[0]!];
    return;
  }
  for (let j = 0; j < n; j++) {
    const p = j + rng.int(n - j);
    if (p === j) continue;
    [records[j], records[p]] = [records[p]!, records[j]!];
  }
}

/** A section's records by the groups loadbalance reorders, each in its original order. */
function groups(section: readonly Answer[]): { cname: Answer[]; address: Answer[]; mx: Answer[]; rest: Answer[] } {
  const out = { cname: [] as Answer[], address: [] as Answer[], mx: [] as Answer[], rest: [] as Answer[] };
  for (const r of section) {
    if (r.type === "CNAME") out.cname.push(r);
    else if (r.type === "A" || r.type === "AAAA") out.address.push(r);
    else if (r.type === "MX") out.mx.push(r);
    else out.rest.push(r);
  }
  return out;
}

/** One section reordered: CNAMEs, others, shuffled addresses, shuffled MX (loadbalance.go roundRobin). */
export function roundRobin(section: readonly Answer[], rng: Rng): Answer[] {
  const { cname, address, mx, rest } = groups(section);
  shuffle(address, rng);
  shuffle(mx, rng);
  return [...cname, ...rest, ...address, ...mx];
}

/** prefer.go reorderRecords: CNAMEs, addresses by preferred subnet, MX, the rest. */
function preferSubnets(section: readonly Answer[], subnets: readonly IpNet[]): Answer[] {
  const { cname, address, mx, rest } = groups(section);
  const seen = new Set<number>();
  const matched: Answer[] = [];
  for (const subnet of subnets) {
    address.forEach((r, i) => {
      if (seen.has(i)) return;
      const ip = parseIp(String((r as { data?: unknown }).data));
      if (ip && cidrContains(subnet, ip)) {
        matched.push(r);
        seen.add(i);
      }
    });
  }
  const unmatched = address.filter((_, i) => !seen.has(i));
  return [...cname, ...matched, ...unmatched, ...mx, ...rest];
}

/** True for a section that is absent or holds one record at most. */
function single(section: readonly Answer[] | undefined): boolean {
  return section === undefined || section.length < 2;
}

/** The reply as loadbalance writes it (unchanged unless NOERROR). */
export function balance(reply: Packet, rng: Rng, prefer: readonly IpNet[] = []): Packet {
  if (rcodeOf(reply) !== "NOERROR" || returnedErrorOf(reply) !== undefined) return reply;
  const qtype = reply.questions?.[0]?.type;
  if (qtype === "AXFR" || qtype === "IXFR") return reply;
  // Sections of one record at most (a Service's A record) have no order to change: the reply goes as it is.
  if (single(reply.answers) && single(reply.authorities) && single(reply.additionals)) return reply;
  const out: Packet = { ...reply };
  if (reply.answers) out.answers = roundRobin(reply.answers, rng);
  if (reply.authorities) out.authorities = roundRobin(reply.authorities, rng);
  if (reply.additionals) out.additionals = roundRobin(reply.additionals, rng);
  if (prefer.length > 0) {
    if (out.answers) out.answers = preferSubnets(out.answers, prefer);
    if (out.additionals) out.additionals = preferSubnets(out.additionals, prefer);
  }
  return out;
}

/** The writer loadbalance hands the rest of the chain: an object rather than a closure, as one is made per query. */
class BalancingWriter implements ResponseWriter {
  constructor(
    private readonly client: ResponseWriter,
    private readonly rng: Rng,
    private readonly prefer: readonly IpNet[],
  ) {}

  write(reply: Packet): void {
    this.client.write(balance(reply, this.rng, this.prefer));
  }
}

export const loadbalance: PluginFactory = {
  name: "loadbalance",
  setup(context) {
    const { all, first } = sameNamed(context);
    if (!first) return null;
    const prefer: IpNet[] = [];
    for (const d of all) {
      const policy = d.args[0];
      if (policy === "weighted") throw directiveError(d, "loadbalance: the weighted policy is not supported by mcsim (round_robin is)");
      if (policy !== undefined && policy !== "round_robin") throw directiveError(d, `loadbalance: unknown policy: ${policy}`);
      if (d.args.length > 1) throw directiveError(d, `loadbalance: unknown property for ${policy}`);
      for (const option of d.block ?? []) {
        if (option.name !== "prefer") throw directiveError(option, `loadbalance: unknown property '${option.name}'`);
        for (const cidr of option.args) {
          const net = parseCidr(cidr);
          if (!net) throw directiveError(option, `loadbalance: invalid CIDR ${JSON.stringify(cidr)}`);
          prefer.push(net);
        }
      }
    }
    const rng = context.server.rng.stream("loadbalance");
    return {
      name: "loadbalance",
      serve(request, writer, next) {
        next(request, new BalancingWriter(writer, rng, prefer));
      },
    };
  },
};
