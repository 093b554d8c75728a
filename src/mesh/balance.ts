/**
 * Load balancing that both meshes' proxies share: the power of two choices (Envoy's LEAST_REQUEST,
 * Linkerd's balancer) over a cost, and Linkerd's peak-EWMA cost (mesh.md §5; linkerd2-proxy's
 * balancer is tower's `p2c` over `PeakEwma`).
 */
import type { Rng } from "../sim/rng.js";
import { MILLISECOND, SECOND, type Micros } from "../sim/time.js";

/**
 * Draws two of `items` at random and keeps the cheaper (the first on a tie). `distinct` draws
 * two different ones, as tower's p2c samples two indices without replacement; without it both
 * are drawn independently, as Envoy's least-request does. Undefined for no items.
 */
export function powerOfTwo<T>(items: readonly T[], rng: Rng, cost: (item: T) => number, distinct = false): T | undefined {
  const n = items.length;
  if (n <= 1) return items[0];
  const i = rng.int(n);
  let j = rng.int(distinct ? n - 1 : n);
  if (distinct && j >= i) j++;
  const a = items[i]!;
  const b = items[j]!;
  return cost(b) < cost(a) ? b : a;
}

/** The RTT an endpoint is assumed to have before it has answered (linkerd2-proxy's `EWMA_DEFAULT_RTT`). */
export const EWMA_DEFAULT_RTT: Micros = 30 * MILLISECOND;
/** How fast the estimate forgets (linkerd2-proxy's `EWMA_DECAY`). */
export const EWMA_DECAY: Micros = 10 * SECOND;

/**
 * One endpoint's peak-EWMA load (tower `PeakEwma`): an RTT estimate that jumps up to any slower
 * observation at once and decays towards faster ones with time constant {@link EWMA_DECAY}; its
 * cost is the estimate times the requests in flight plus one, so a slow or busy endpoint is
 * avoided until it proves fast again.
 */
export class PeakEwma {
  private estimate: number = EWMA_DEFAULT_RTT;
  private stamp: Micros;
  /** Requests sent to it and not yet answered. */
  pending = 0;

  constructor(now: Micros) {
    this.stamp = now;
  }

  /** The cost of sending it one more request now. */
  cost(now: Micros): number {
    return this.decayed(now) * (this.pending + 1);
  }

  /** A request to it started. */
  start(): void {
    this.pending++;
  }

  /**
   * A request to it ended after `rtt`: a slower one than the estimate becomes the estimate (the
   * peak), a faster one is blended in by how long it has been since the last (tower's `RttEstimate::update`).
   */
  observe(now: Micros, rtt: Micros): void {
    this.pending = Math.max(0, this.pending - 1);
    const decay = Math.exp(-Math.max(0, now - this.stamp) / EWMA_DECAY);
    this.estimate = rtt > this.estimate ? rtt : this.estimate * decay + rtt * (1 - decay);
    this.stamp = now;
  }

  /** The estimate decayed towards zero since the last observation, as tower decays it when read. */
  private decayed(now: Micros): number {
    const elapsed = Math.max(0, now - this.stamp);
    return this.estimate * Math.exp(-elapsed / EWMA_DECAY);
  }
}
