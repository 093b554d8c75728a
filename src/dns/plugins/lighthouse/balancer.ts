/**
 * Lighthouse's load balancer for ClusterIP answers (`coredns/loadbalancer/smooth_weighted_round_robin.go`,
 * mcs.md §5.3 step 4): nginx's smooth weighted round robin, where a skipped item loses its
 * effective weight for the next pick and so falls behind the others by a turn.
 */

/** Every cluster's weight: Lighthouse gives each the same (`ensureClusterInfo`, weight 1). */
const WEIGHT = 1;

interface Item<T> {
  readonly item: T;
  current: number;
  effective: number;
}

/** A smooth weighted round robin over items of weight 1, in the order given. */
export class SmoothWeightedRoundRobin<T> {
  private readonly items: Item<T>[];

  constructor(items: Iterable<T>) {
    this.items = [...items].map((item) => ({ item, current: 0, effective: WEIGHT }));
  }

  /** How many items there are. */
  get size(): number {
    return this.items.length;
  }

  /** The next item: the one with the highest current weight (the first of equals), undefined when empty. */
  next(): T | undefined {
    const items = this.items;
    if (items.length <= 1) return items[0]?.item;
    let best: Item<T> | undefined;
    let total = 0;
    for (const it of items) {
      it.current += it.effective;
      if (it.effective < WEIGHT) it.effective++;
      total += it.effective;
      if (!best || it.current > best.current) best = it;
    }
    best!.current -= total;
    return best!.item;
  }

  /** Lowers an item's effective weight, as Lighthouse does for a cluster it could not use. */
  skip(item: T): void {
    const it = this.items.find((x) => x.item === item);
    if (it) it.effective = Math.max(0, it.effective - WEIGHT);
  }
}
