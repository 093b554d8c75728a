import { formatResolvConf, podResolvConf } from "../src/dns/resolver/resolvconf.js";
import { resolverSettings, type ResolverSettings } from "../src/dns/resolver/behaviour.js";
import { StubLookup } from "../src/dns/resolver/stub.js";
import type { AddressQtype, BehaviourName, LookupFamily, SendAction, StubAction, StubResponse } from "../src/dns/resolver/types.js";
import { meets, type Benchmark, type Figure } from "./figure.js";

/**
 * The pod stub resolvers alone (src/dns/resolver/), without a network or CoreDNS: whole lookups
 * driven by hand against prebuilt replies that come back 100 µs after each query.
 *
 * - `fqdn`: `svc-3.default.svc.cluster.local.` with family inet: one A query, answered at once.
 * - `short-walk`: `svc-3.prod` with family unspec from a pod in `default` (ndots 5): the first
 *   search candidate `svc-3.prod.default.svc.cluster.local` gets NXDOMAIN for A and AAAA, the
 *   second, `svc-3.prod.svc.cluster.local`, an address for A and NODATA for AAAA.
 *
 * The DNS benchmark needs 150,000 whole in-cluster lookups per second, so the stub's share must
 * be small: the targets are on glibc, the image most benchmarks' pods run.
 */

const SETTINGS_TEXT = formatResolvConf(
  podResolvConf({ namespace: "default", clusterDomain: "cluster.local", clusterDNS: ["10.96.0.10"], node: { nameservers: ["10.0.0.2"], searches: [], options: [] } }).config,
);

const NXDOMAIN: StubResponse = { rcode: "NXDOMAIN", answers: [], truncated: false };
const NODATA: StubResponse = { rcode: "NOERROR", answers: [], truncated: false };
/** Replies by name and type (anything else: NXDOMAIN), looked up without building keys. */
const ZONE = new Map<string, Partial<Record<AddressQtype, StubResponse>>>([
  ["svc-3.default.svc.cluster.local", { A: { rcode: "NOERROR", answers: [{ type: "A", name: "svc-3.default.svc.cluster.local", data: "10.96.3.7", ttl: 30 }], truncated: false } }],
  ["svc-3.prod.svc.cluster.local", { A: { rcode: "NOERROR", answers: [{ type: "A", name: "svc-3.prod.svc.cluster.local", data: "10.96.4.9", ttl: 30 }], truncated: false }, AAAA: NODATA }],
]);

interface Case {
  readonly label: string;
  readonly name: string;
  readonly family: LookupFamily;
  /** Queries a lookup of this case sends (checked on the first run). */
  readonly queries: number;
  readonly target?: string;
}

const CASES: readonly Case[] = [
  { label: "fqdn", name: "svc-3.default.svc.cluster.local.", family: "inet", queries: 1, target: ">=500000" },
  { label: "short-walk", name: "svc-3.prod", family: "unspec", queries: 4, target: ">=150000" },
];

let idState = 1;
const nextId = (): number => (idState = (idState * 75 + 74) % 65537);

/** One whole lookup; returns the number of queries it sent. */
function lookupOnce(settings: ResolverSettings, c: Case): number {
  const lookup = new StubLookup(settings, c.name, { nextId, family: c.family });
  const pending: SendAction[] = [];
  let head = 0;
  let now = 0;
  let actions: StubAction[] = lookup.start(now);
  for (;;) {
    for (let i = 0; i < actions.length; i++) {
      const a = actions[i] as StubAction;
      if (a.kind === "send") pending.push(a);
    }
    if (lookup.done) break;
    const q = pending[head++];
    if (q === undefined) throw new Error(`stub bench: ${c.label} is waiting with nothing in flight`);
    now += 100;
    actions = lookup.onAnswer(now, q.tx, ZONE.get(q.name)?.[q.qtype] ?? NXDOMAIN);
  }
  if (!lookup.result?.ok) throw new Error(`stub bench: ${c.label} failed: ${lookup.result?.message ?? "?"}`);
  return pending.length;
}

/** Lookups per wall second over `n` lookups. */
function rate(settings: ResolverSettings, c: Case, n: number): number {
  let sent = 0;
  const start = process.hrtime.bigint();
  for (let i = 0; i < n; i++) sent += lookupOnce(settings, c);
  const seconds = Number(process.hrtime.bigint() - start) / 1e9;
  if (sent !== n * c.queries) throw new Error(`stub bench: ${c.label} sent ${sent / n} queries per lookup, expected ${c.queries}`);
  return n / seconds;
}

/** About `ms` milliseconds of lookups per round, after a warm-up; the best of `rounds`. */
function measure(settings: ResolverSettings, c: Case, rounds = 5, ms = 300): number {
  let n = 1000;
  // Warm up and size a round.
  for (;;) {
    const start = process.hrtime.bigint();
    rate(settings, c, n);
    const took = Number(process.hrtime.bigint() - start) / 1e6;
    if (took >= ms / 4) {
      n = Math.max(1000, Math.round((n * ms) / took));
      break;
    }
    n *= 4;
  }
  let top = 0;
  for (let r = 0; r < rounds; r++) top = Math.max(top, rate(settings, c, n));
  return top;
}

export const stub: Benchmark = {
  name: "stub",
  description: "pod stub resolver lookups alone (glibc, musl, go): an FQDN with one answer; a short name walking NXDOMAIN then an answer",
  run(): Figure[] {
    const figures: Figure[] = [];
    for (const c of CASES) {
      for (const b of ["glibc", "musl", "go"] as BehaviourName[]) {
        const value = measure(resolverSettings(b, SETTINGS_TEXT), c);
        const target = b === "glibc" ? c.target : undefined;
        figures.push({ bench: "stub", figure: `${b}.${c.label}`, value, unit: "lookups/s", ...(target ? { target, pass: meets(target, value) } : {}) });
      }
    }
    return figures;
  },
};
