/**
 * The Corefiles of DNS federation across clusters (dns.md §4.2): each cluster answers for its
 * federation zones, and forwards every other cluster's zones, one server block each, to that
 * cluster's DNS on an address it exposes to the others. This is the operators' stub-domain
 * pattern, written out: nothing here is special to the simulator.
 */
import { kubeadmCorefile } from "./corefile.js";

/** How a cluster answers for a federation zone that is not its cluster domain (dns.md §4.2). */
export type FederationAnswer =
  /** An extra zone of its kubernetes plugin: `kubernetes cluster.local east.example.com …`. */
  | "zone"
  /** `rewrite name suffix .east.example.com. .cluster.local. answer auto` in its main block. */
  | "rewrite";

/** The forward plugin's settings in the blocks that reach other clusters (dns.md §4.1). */
export interface FederationForward {
  /** `max_fails`: consecutive failed health checks before an upstream is down (CoreDNS: 2). */
  readonly maxFails?: number;
  /** `health_check`, as a Corefile duration (`500ms`; CoreDNS's default). */
  readonly healthCheck?: string;
  /** `expire`, as a Corefile duration. */
  readonly expire?: string;
  readonly forceTcp?: boolean;
}

/** One cluster of a federation, as the Corefiles need it. */
export interface FederatedCluster {
  readonly name: string;
  /** Its cluster domain (`cluster.local`). */
  readonly domain: string;
  /** Where the other clusters reach its DNS (a LoadBalancer address). */
  readonly dnsAddress: string;
  /** The zones it answers for as a member (`east.local`, `east.example.com`), without trailing dots. */
  readonly zones: readonly string[];
}

/** What every member's Corefile is made from. */
export interface FederationPlan {
  readonly answer: FederationAnswer;
  /** The stub blocks' cache, in seconds; 0 for none. */
  readonly cache: number;
  /** The stub blocks' `serve_stale`, as a Corefile duration, if any. */
  readonly serveStale?: string;
  readonly forward: FederationForward;
}

/** The placeholder a zone template names the cluster with. */
export const CLUSTER_PLACEHOLDER = "{cluster}";

/** A zone template with the cluster's name put in: `{cluster}.example.com` → `east.example.com`. */
export function federationZone(template: string, cluster: string): string {
  return template.replaceAll(CLUSTER_PLACEHOLDER, cluster).replace(/\.$/, "");
}

/**
 * The Corefile of one member: kubeadm's for its domain, answering for its own federation zones
 * (as extra kubernetes zones or by rewrite), then a stub block per zone of every other member.
 */
export function federationCorefile(self: FederatedCluster, peers: readonly FederatedCluster[], plan: FederationPlan): string {
  const extra = self.zones.filter((z) => z !== self.domain);
  let text = kubeadmCorefile(self.domain);
  if (extra.length > 0 && plan.answer === "zone") {
    // The first zone stays the cluster domain: PTR answers name their targets in the first zone.
    text = text.replace(`kubernetes ${self.domain} `, `kubernetes ${[self.domain, ...extra].join(" ")} `);
  }
  if (extra.length > 0 && plan.answer === "rewrite") {
    const rules = extra.map((z) => `    rewrite name suffix .${z}. .${self.domain}. answer auto\n`).join("");
    text = text.replace("    errors\n", `    errors\n${rules}`);
  }
  const blocks: string[] = [];
  for (const peer of peers) {
    if (peer.name === self.name) continue;
    for (const zone of peer.zones) blocks.push(stubBlock(zone, peer, plan));
  }
  return blocks.length === 0 ? text : `${text}${blocks.join("")}`;
}

/** `zone:53 { errors; cache; forward . ADDRESS }`, as kube-dns's stubDomains become (dns.md §4.2). */
function stubBlock(zone: string, peer: FederatedCluster, plan: FederationPlan): string {
  const lines = [`# ${peer.name}'s names, from its DNS`, `${zone}:53 {`, "    errors"];
  if (plan.cache > 0) {
    if (plan.serveStale === undefined) lines.push(`    cache ${plan.cache}`);
    else lines.push(`    cache ${plan.cache} {`, `       serve_stale ${plan.serveStale}`, "    }");
  }
  const f = plan.forward;
  const options = [
    f.maxFails === undefined ? undefined : `max_fails ${f.maxFails}`,
    f.healthCheck === undefined ? undefined : `health_check ${f.healthCheck}`,
    f.expire === undefined ? undefined : `expire ${f.expire}`,
    f.forceTcp ? "force_tcp" : undefined,
  ].filter((o): o is string => o !== undefined);
  if (options.length === 0) lines.push(`    forward . ${peer.dnsAddress}`);
  else lines.push(`    forward . ${peer.dnsAddress} {`, ...options.map((o) => `       ${o}`), "    }");
  lines.push("}");
  return `${lines.join("\n")}\n`;
}
