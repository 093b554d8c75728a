import type { Rng } from "../sim/rng.js";
import type { Micros } from "../sim/time.js";
import type { Host } from "./host.js";
import { selects, type HostSelector } from "./selector.js";

/**
 * Which way a fault between selectors `a` and `b` applies, as Chaos Mesh's NetworkChaos says it
 * (shared/reference/simulation.md §4.1): `to` affects messages from a to b, `from` those from b to
 * a, `both` either way.
 */
export type Direction = "to" | "from" | "both";

/** What a network fault does (simulation.md §4.5 names). */
export type NetFaultAction = "partition" | "delay" | "loss" | "duplicate" | "hold";

/** Parameters of a `delay` fault: netem's latency, jitter and correlation. */
export interface DelayParams {
  /** Added to every matching message. */
  readonly latency: Micros;
  /** Plus a draw from [-jitter, +jitter]. */
  readonly jitter?: Micros;
  /** 0 to 1: how much each jitter draw leans on the previous one (netem's correlation, as a fraction). */
  readonly correlation?: number;
}

/** Parameters of a `loss` fault. */
export interface LossParams {
  /** Probability, 0 to 1, that a matching message is lost. */
  readonly loss: number;
  /** 0 to 1, as for {@link DelayParams.correlation}. */
  readonly correlation?: number;
}

/** Parameters of a `duplicate` fault. */
export interface DuplicateParams {
  /** Probability, 0 to 1, that a matching message arrives twice. */
  readonly duplicate: number;
  /** 0 to 1, as for {@link DelayParams.correlation}. */
  readonly correlation?: number;
}

/**
 * A fault in force on the network, from {@link Network.partition} and its siblings. Revert it with
 * {@link Network.revert} (or `heal` for partitions, `release` for holds).
 */
export class NetFault {
  /** False once reverted. */
  active = true;
  /** @internal Each covered pair's stream and last correlated draw. */
  private readonly perPair = new Map<string, { readonly rng: Rng; last: number }>();
  /** @internal Messages waiting in a `hold`, in the order they were sent. */
  readonly held: unknown[] = [];

  /** @internal */
  constructor(
    /** Unique within the network, in creation order. */
    readonly id: number,
    readonly action: NetFaultAction,
    readonly a: HostSelector,
    readonly b: HostSelector,
    readonly direction: Direction,
    readonly params: Readonly<Partial<DelayParams & LossParams & DuplicateParams>>,
    private readonly rng: Rng,
  ) {}

  /** True when a message from `src` to `dst` is one this fault affects. */
  appliesTo(src: Host, dst: Host): boolean {
    const d = this.direction;
    if (d !== "from" && selects(this.a, src) && selects(this.b, dst)) return true;
    return d !== "to" && selects(this.b, src) && selects(this.a, dst);
  }

  /** @internal Extra delay for one message from `src` to `dst`. */
  extraDelay(src: Host, dst: Host): Micros {
    const jitter = this.params.jitter ?? 0;
    if (jitter === 0) return this.params.latency ?? 0;
    return (this.params.latency ?? 0) + Math.round(jitter * (2 * this.correlated(src, dst) - 1));
  }

  /** @internal True when this message from `src` to `dst` is lost (or duplicated), by probability `p`. */
  chance(p: number, src: Host, dst: Host): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.correlated(src, dst) < p;
  }

  /**
   * A uniform draw in [0, 1) that leans on the last one by the fault's correlation:
   * `next = fresh * (1 - c) + last * c`, netem's model. Each pair of hosts the fault covers has its
   * own stream and its own last draw (netem keeps one per interface), so traffic between other
   * hosts under the same fault never changes this pair's draws.
   */
  private correlated(src: Host, dst: Host): number {
    const key = `${src.name}\u0000${dst.name}`;
    let state = this.perPair.get(key);
    if (!state) {
      const rng = this.rng.stream(`${src.name}/${dst.name}`);
      // Start from a random draw, as netem does, not from 0, which would bias the first draws low.
      state = { rng, last: rng.next() };
      this.perPair.set(key, state);
    }
    const c = this.params.correlation ?? 0;
    const fresh = state.rng.next();
    state.last = c === 0 ? fresh : fresh * (1 - c) + state.last * c;
    return state.last;
  }
}
