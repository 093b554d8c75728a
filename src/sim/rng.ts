/**
 * Seeded randomness, split into named streams.
 *
 * Every stream's state is derived from the world's seed and the stream's full name alone, never
 * from another stream's state: creating a stream, or drawing from one, cannot change what any other
 * stream draws. That is what lets an actor or a link be added to a world without changing the
 * draws of everything else (DESIGN.md, 'Rules that keep it deterministic').
 *
 * The generator is sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, from PractRand):
 * 128 bits of state, passes PractRand and BigCrush, and runs on 32-bit integer operations that
 * V8 compiles to a handful of instructions. Its state is seeded from a 128-bit hash of
 * `seed/name` (cyrb128), so nearby seeds and similar names give unrelated streams.
 */

/** The seed of a world: a non-negative safe integer. */
export type Seed = number;

/** A seed that is not a non-negative safe integer. */
export class SeedError extends Error {
  override readonly name = "SeedError";
  constructor(readonly seed: unknown) {
    super(`invalid seed ${String(seed)}: expected a whole number from 0 to ${Number.MAX_SAFE_INTEGER}`);
  }
}

/** cyrb128: a fast 128-bit string hash, enough to spread seeds and names over sfc32's state. */
function hash128(text: string): [number, number, number, number] {
  let h1 = 1779033703;
  let h2 = 3144134277;
  let h3 = 1013904242;
  let h4 = 2773480762;
  for (let i = 0; i < text.length; i++) {
    const k = text.charCodeAt(i);
    h1 = h2 ^ Math.imul(h1 ^ k, 597399067);
    h2 = h3 ^ Math.imul(h2 ^ k, 2869860233);
    h3 = h4 ^ Math.imul(h3 ^ k, 951274213);
    h4 = h1 ^ Math.imul(h4 ^ k, 2716044179);
  }
  h1 = Math.imul(h3 ^ (h1 >>> 18), 597399067);
  h2 = Math.imul(h4 ^ (h2 >>> 22), 2869860233);
  h3 = Math.imul(h1 ^ (h3 >>> 17), 951274213);
  h4 = Math.imul(h2 ^ (h4 >>> 19), 2716044179);
  h1 ^= h2 ^ h3 ^ h4;
  h2 ^= h1;
  h3 ^= h1;
  h4 ^= h1;
  return [h1 >>> 0, h2 >>> 0, h3 >>> 0, h4 >>> 0];
}

/** z such that P(Z <= z) = 0.99 for a standard normal Z: turns a median and a p99 into a sigma. */
const Z99 = 2.3263478740408408;
const TWO_POW_32 = 4294967296;

/**
 * One named stream of random numbers. Get streams from {@link Rng.root} and {@link Rng.stream};
 * the same name always gives the same stream object, so two places that ask for one name share
 * its sequence.
 */
export class Rng {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  /** How many numbers this stream has drawn; a cheap way to see where two runs diverged. */
  draws = 0;
  private lastMedian = Number.NaN;
  private lastP99 = Number.NaN;
  private lastSigma = 0;

  private constructor(
    /** The world's seed. */
    readonly seed: Seed,
    /** The stream's full name, `/`-separated from the root (`""`). */
    readonly name: string,
    private readonly registry: Map<string, Rng>,
  ) {
    const [a, b, c, d] = hash128(`${seed}/${name}`);
    this.a = a;
    this.b = b;
    this.c = c;
    this.d = d;
    // Let the counter mix the hashed state before the first draw, as sfc32's author advises.
    for (let i = 0; i < 12; i++) this.nextUint32();
    this.draws = 0;
  }

  /** The root stream of a world with this seed. */
  static root(seed: Seed): Rng {
    if (!Number.isSafeInteger(seed) || seed < 0) throw new SeedError(seed);
    return new Rng(seed, "", new Map());
  }

  /**
   * The stream named `name` below this one (`link/us-east/eu-west` below the root is the stream
   * of that name; below a stream `a`, it is `a/link/us-east/eu-west`). Created on first use.
   */
  stream(name: string): Rng {
    const full = this.name === "" ? name : `${this.name}/${name}`;
    let s = this.registry.get(full);
    if (!s) {
      s = new Rng(this.seed, full, this.registry);
      this.registry.set(full, s);
    }
    return s;
  }

  /** A uniformly distributed 32-bit unsigned integer. */
  nextUint32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    this.draws++;
    return t >>> 0;
  }

  /** A number in [0, 1). */
  next(): number {
    return this.nextUint32() / TWO_POW_32;
  }

  /** A whole number in [0, n). */
  int(n: number): number {
    return Math.floor(this.next() * n);
  }

  /** A number in [min, max). */
  uniform(min: number, max: number): number {
    return min + (max - min) * this.next();
  }

  /** True with probability p. Draws nothing when p is 0 or 1, so a switched-off fault costs no draw. */
  bernoulli(p: number): boolean {
    if (p <= 0) return false;
    if (p >= 1) return true;
    return this.next() < p;
  }

  /** A normally distributed number (Box–Muller; two draws, no cached spare). */
  normal(mean: number, stddev: number): number {
    const u = 1 - this.next();
    const v = this.next();
    return mean + stddev * Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
  }

  /**
   * A log-normally distributed number with the given median and 99th percentile, the two figures
   * people quote for latencies. `p99` must be at least `median`.
   */
  lognormal(median: number, p99: number): number {
    // A stream nearly always draws from one distribution (a link's latency, a server's service
    // time): keep its sigma rather than take a logarithm per draw.
    if (median !== this.lastMedian || p99 !== this.lastP99) {
      this.lastMedian = median;
      this.lastP99 = p99;
      this.lastSigma = Math.log(p99 / median) / Z99;
    }
    return median * Math.exp(this.lastSigma * this.normal(0, 1));
  }

  /** An exponentially distributed number with the given mean. */
  exponential(mean: number): number {
    return -mean * Math.log(1 - this.next());
  }

  /** A Pareto-distributed number: at least `scale`, with tail index `shape` (heavier tail when smaller). */
  pareto(scale: number, shape: number): number {
    return scale / Math.pow(1 - this.next(), 1 / shape);
  }

  /** One element of a non-empty array, uniformly. */
  pick<T>(items: readonly T[]): T {
    if (items.length === 0) throw new RangeError("pick from an empty array");
    return items[this.int(items.length)] as T;
  }

  /** Shuffles an array in place (Fisher–Yates) and returns it. */
  shuffle<T>(items: T[]): T[] {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const tmp = items[i] as T;
      items[i] = items[j] as T;
      items[j] = tmp;
    }
    return items;
  }
}
