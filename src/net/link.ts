import { checkDistribution, type Distribution } from "../sim/distribution.js";
import type { Micros } from "../sim/time.js";
import type { Node } from "./topology.js";

/** How far apart two hosts are, which picks the link profile between them. */
export type LinkScope = "same-node" | "same-zone" | "cross-zone" | "cross-region";

/** The scopes, nearest first. */
export const LINK_SCOPES: readonly LinkScope[] = ["same-node", "same-zone", "cross-zone", "cross-region"];

/**
 * What a link does to each message, one way. Every random choice is drawn from the link's own
 * stream (`link/<from node>/<to node>`).
 */
export interface LinkProfile {
  /** One-way latency. */
  readonly latency: Distribution;
  /** Extra delay drawn uniformly from [-jitter, +jitter] and added to the latency (never below zero in total). */
  readonly jitter?: Micros;
  /** Probability, 0 to 1, that a message is lost. */
  readonly loss?: number;
  /** Probability, 0 to 1, that a message arrives twice (the copy draws its own latency). */
  readonly duplicate?: number;
  /** With this probability, 0 to 1, a message is held back by `delay` more, so later ones overtake it. */
  readonly reorder?: { readonly probability: number; readonly delay: Micros };
}

/** A link profile with its parameters out of range. */
export class LinkError extends Error {
  override readonly name = "LinkError";
}

/**
 * One-way defaults per scope, from published round-trip times halved (shared/reference/dns.md §7):
 * pod to pod on one node tens of microseconds; inside a zone about 0.1 ms; AWS inter-AZ round
 * trips 0.25–3.37 ms; inter-region round trips 60–80 ms.
 */
export const DEFAULT_LINKS: Readonly<Record<LinkScope, LinkProfile>> = {
  "same-node": { latency: { kind: "lognormal", median: 30, p99: 100 } },
  "same-zone": { latency: { kind: "lognormal", median: 100, p99: 400 } },
  "cross-zone": { latency: { kind: "lognormal", median: 500, p99: 1_700 } },
  "cross-region": { latency: { kind: "lognormal", median: 35_000, p99: 40_000 } },
};

/** The scope between two nodes. */
export function scopeBetween(a: Node, b: Node): LinkScope {
  if (a === b) return "same-node";
  if (a.region !== b.region) return "cross-region";
  return a.zone === b.zone ? "same-zone" : "cross-zone";
}

const probability = (name: string, v: number | undefined) => {
  if (v !== undefined && !(v >= 0 && v <= 1)) throw new LinkError(`${name} must be a probability from 0 to 1, got ${v}`);
};

/** Checks a profile's parameters and returns it unchanged. */
export function checkLinkProfile(p: LinkProfile): LinkProfile {
  checkDistribution(p.latency);
  if (p.jitter !== undefined && !(p.jitter >= 0)) throw new LinkError(`jitter must be 0 or more, got ${p.jitter}`);
  probability("loss", p.loss);
  probability("duplicate", p.duplicate);
  if (p.reorder) {
    probability("reorder.probability", p.reorder.probability);
    if (!(p.reorder.delay >= 0)) throw new LinkError(`reorder.delay must be 0 or more, got ${p.reorder.delay}`);
  }
  return p;
}
