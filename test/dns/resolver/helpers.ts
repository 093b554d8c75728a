/**
 * Test helpers: a tiny authoritative "cluster" behind one or more nameservers, the default pod
 * resolv.conf of dns.md §5.7, and a driver that records what the stub sent.
 */

import { MILLISECOND, type Micros } from "../../../src/sim/time.js";
import {
  StubLookup,
  driveLookup,
  formatResolvConf,
  podResolvConf,
  resolverSettings,
  type BehaviourName,
  type LookupFamily,
  type LookupResult,
  type Reaction,
  type ResolverSettings,
  type SendAction,
  type StubResponse,
} from "../../../src/dns/resolver/index.js";

export const CLUSTER_DNS = "10.96.0.10";

/** resolv.conf of a ClusterFirst pod in `namespace` (dns.md §5.1), plus extra options. */
export function podConfText(namespace = "default", extraOptions: string[] = []): string {
  const { config } = podResolvConf({ namespace, clusterDomain: "cluster.local", clusterDNS: [CLUSTER_DNS], node: { nameservers: ["10.0.0.2"], searches: [], options: [] } });
  config.options.push(...extraOptions);
  return formatResolvConf(config);
}

export function settingsFor(behaviour: BehaviourName, text = podConfText(), muslVersion?: string): ResolverSettings {
  return resolverSettings(behaviour, text, muslVersion !== undefined ? { muslVersion } : {});
}

export function noerror(answers: StubResponse["answers"] = []): StubResponse {
  return { rcode: "NOERROR", answers, truncated: false };
}
export const NXDOMAIN: StubResponse = { rcode: "NXDOMAIN", answers: [], truncated: false };
export const SERVFAIL: StubResponse = { rcode: "SERVFAIL", answers: [], truncated: false };
export const REFUSED: StubResponse = { rcode: "REFUSED", answers: [], truncated: false };

/**
 * A zone as CoreDNS would answer for the §5.7 world: services with A records, namespaces and the
 * zone apexes existing without addresses (NODATA), everything else in cluster.local NXDOMAIN; and
 * a few external names (the upstream answers the rest with NXDOMAIN).
 */
export const WORLD: Record<string, { A?: string[]; AAAA?: string[] }> = {
  "myservice.default.svc.cluster.local": { A: ["10.96.1.1"] },
  "myservice.production.svc.cluster.local": { A: ["10.96.2.2"] },
  "default.svc.cluster.local": {},
  "production.svc.cluster.local": {},
  "foo.svc.cluster.local": {},
  "svc.cluster.local": {},
  "cluster.local": {},
  "api.example.com": { A: ["93.184.216.34"], AAAA: ["2606:2800:220:1::1"] },
  "myservice.production.svc.us-east.example.com": { A: ["10.20.0.5"] },
  "myservice.production.svc.clusterset.local": { A: ["10.112.0.7"] },
};

export function zoneAnswer(world: Record<string, { A?: string[]; AAAA?: string[] }>, q: { name: string; qtype: string }): StubResponse {
  const entry = world[q.name.toLowerCase()];
  if (!entry) return NXDOMAIN;
  const list = q.qtype === "A" ? entry.A : entry.AAAA;
  return noerror((list ?? []).map((data) => ({ type: q.qtype, name: q.name, data, ttl: 30 })));
}

export interface Run {
  result: LookupResult;
  /** Sends in order, with the time each was sent. */
  sent: (SendAction & { at: Micros })[];
  /** `name qtype` of each send, for compact assertions. */
  seq: string[];
}

/** Runs a lookup: `react` decides each query's fate (default: the WORLD zone after 1 ms). */
export function run(
  behaviour: BehaviourName | ResolverSettings,
  name: string,
  react: (q: SendAction, now: Micros, index: number) => Reaction | readonly Reaction[] = (q) => ({ response: zoneAnswer(WORLD, q), delay: MILLISECOND }),
  options: { family?: LookupFamily; text?: string; muslVersion?: string; start?: Micros } = {},
): Run {
  const settings = typeof behaviour === "string" ? settingsFor(behaviour, options.text ?? podConfText(), options.muslVersion) : behaviour;
  let id = 0;
  const lookup = new StubLookup(settings, name, { nextId: () => (id = (id + 1) % 65536), ...(options.family ? { family: options.family } : {}) });
  const sent: (SendAction & { at: Micros })[] = [];
  const result = driveLookup(
    lookup,
    (q, now) => {
      sent.push({ ...q, at: now });
      return react(q, now, sent.length - 1);
    },
    options.start !== undefined ? { start: options.start } : {},
  );
  return { result, sent, seq: sent.map((q) => `${q.name} ${q.qtype}`) };
}

/** `name A`, `name AAAA` pairs for a list of names. */
export function pairs(...names: string[]): string[] {
  return names.flatMap((n) => [`${n} A`, `${n} AAAA`]);
}
