/**
 * Seeded randomness for the whole course: one named generator, one global stream, and seeds for
 * TensorFlow.js. Every notebook (weight initialisation, shuffles, mini-batches, dropout, toy data).
 *
 * Algorithm: PCG32 (PCG-XSH-RR 64/32, M. E. O'Neill, "PCG: A Family of Simple Fast Space-Efficient
 * Statistically Good Algorithms for Random Number Generation", 2014), with the reference seeding of
 * pcg-c-basic (`pcg32_srandom_r(initstate, initseq)`). Why PCG32: it passes TestU01 BigCrush, has
 * 2^63 selectable streams, a tiny state (a 64-bit state and a 64-bit increment, kept here as four
 * 32-bit halves so it runs on plain JS numbers), and a published reference output to test against:
 * `new Random(42, 54)` yields 0xa15c02b7 0x7b47f409 0xba1d3330 0x83d2f293 0xbfa4784b 0xcbed606e,
 * the first line of pcg-c-basic's `pcg32-demo`.
 *
 * Derived draws: uniform doubles use 53 random bits from two outputs; bounded integers use PCG's
 * own unbiased rejection (`pcg32_boundedrand_r`); normals use the Box–Muller transform (both values
 * of each pair are used); shuffles are Fisher–Yates.
 */

const TWO_32 = 4294967296;
// PCG's 64-bit LCG multiplier 6364136223846793005 = 0x5851f42d_4c957f2d, split into halves and,
// for the low half, 16-bit limbs so every partial product is exact in a double.
const MUL_HI = 0x5851f42d;
const MUL_LO = 0x4c957f2d;
const MUL_LO_0 = MUL_LO & 0xffff;
const MUL_LO_1 = MUL_LO >>> 16;

/** The stream a `Random` uses when none is given (the one of pcg-c-basic's demo). */
export const DEFAULT_STREAM = 54;
/** The stream that `nextSeed()` draws TensorFlow.js seeds from, separate from the lib's draws. */
const TF_SEED_STREAM = 1013;

function checkSeedInteger(value: number, what: string): void {
  if (!Number.isSafeInteger(value) || value < 0) {
    throw new RangeError(`${what} must be an integer in [0, 2^53), got ${value}: pass e.g. 42`);
  }
}

/**
 * A seeded pseudo-random generator (PCG32, see the module comment). Same seed and stream, same
 * numbers, on every run and machine. Every notebook (the course's one source of randomness).
 */
export class Random {
  private stateHi = 0;
  private stateLo = 0;
  private incHi = 0;
  private incLo = 0;
  private spareNormal: number | undefined;

  /**
   * @param seed the initial state (`initstate`), an integer in [0, 2^53).
   * @param stream which of PCG's streams (`initseq`), an integer in [0, 2^53); different streams
   *   with the same seed give different sequences.
   */
  constructor(seed: number, stream: number = DEFAULT_STREAM) {
    checkSeedInteger(seed, "seed");
    checkSeedInteger(stream, "stream");
    // pcg32_srandom_r: state = 0; inc = (initseq << 1) | 1; step; state += initstate; step.
    const seqHi = Math.floor(stream / TWO_32) >>> 0;
    const seqLo = stream >>> 0;
    this.incHi = ((seqHi << 1) | (seqLo >>> 31)) >>> 0;
    this.incLo = ((seqLo << 1) | 1) >>> 0;
    this.step();
    const lo = this.stateLo + (seed >>> 0);
    this.stateLo = lo >>> 0;
    this.stateHi = (this.stateHi + Math.floor(seed / TWO_32) + (lo >= TWO_32 ? 1 : 0)) >>> 0;
    this.step();
  }

  /** state = state · MUL + inc (mod 2^64). */
  private step(): void {
    const sHi = this.stateHi;
    const sLo = this.stateLo;
    // Full 64-bit product of the low halves, from 16-bit limbs of sLo.
    const s0 = sLo & 0xffff;
    const s1 = sLo >>> 16;
    const mid = s1 * MUL_LO_0 + s0 * MUL_LO_1;
    const low = s0 * MUL_LO_0 + (mid % 65536) * 65536;
    const lowLo = low % TWO_32;
    const lowHi = s1 * MUL_LO_1 + Math.floor(mid / 65536) + Math.floor(low / TWO_32);
    const hi = (lowHi + Math.imul(sHi, MUL_LO) + Math.imul(sLo, MUL_HI)) >>> 0;
    const lo = lowLo + this.incLo;
    this.stateLo = lo >>> 0;
    this.stateHi = (hi + this.incHi + (lo >= TWO_32 ? 1 : 0)) >>> 0;
  }

  /** The next raw output: an integer uniform in [0, 2^32). */
  nextUint32(): number {
    const hi = this.stateHi;
    const lo = this.stateLo;
    this.step();
    // xorshifted = ((old >> 18) ^ old) >> 27, low 32 bits; rot = old >> 59.
    const xHi = hi ^ (hi >>> 18);
    const xLo = lo ^ ((lo >>> 18) | (hi << 14));
    const xorshifted = ((xLo >>> 27) | (xHi << 5)) >>> 0;
    const rot = hi >>> 27;
    return ((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0;
  }

  /** A double uniform in [lo, hi) (default [0, 1)), built from 53 random bits. */
  uniform(lo = 0, hi = 1): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    const u = (a * 67108864 + b) / 9007199254740992;
    return lo + (hi - lo) * u;
  }

  /** A normal draw with the given mean and standard deviation (Box–Muller, pairs cached). */
  normal(mean = 0, std = 1): number {
    let z = this.spareNormal;
    if (z === undefined) {
      const u1 = 1 - this.uniform(); // in (0, 1], so the log is finite
      const u2 = this.uniform();
      const r = Math.sqrt(-2 * Math.log(u1));
      z = r * Math.cos(2 * Math.PI * u2);
      this.spareNormal = r * Math.sin(2 * Math.PI * u2);
    } else {
      this.spareNormal = undefined;
    }
    return mean + std * z;
  }

  /**
   * An integer uniform in [lo, hi) — `hi` excluded, as in Python's `randrange` — without modulo bias.
   * With one argument, an integer in [0, lo). The range must hold between 1 and 2^32 integers.
   */
  int(lo: number, hi?: number): number {
    if (hi === undefined) [lo, hi] = [0, lo];
    if (!Number.isSafeInteger(lo) || !Number.isSafeInteger(hi) || hi <= lo || hi - lo > TWO_32) {
      throw new RangeError(`int(lo, hi) needs integers with lo < hi and hi − lo ≤ 2^32, got lo=${lo}, hi=${hi}`);
    }
    const bound = hi - lo;
    if (bound === TWO_32) return lo + this.nextUint32();
    const threshold = (TWO_32 - bound) % bound;
    for (;;) {
      const r = this.nextUint32();
      if (r >= threshold) return lo + (r % bound);
    }
  }

  /** True with probability p. */
  bernoulli(p = 0.5): boolean {
    if (!(p >= 0 && p <= 1)) throw new RangeError(`bernoulli(p) needs 0 ≤ p ≤ 1, got ${p}`);
    return this.uniform() < p;
  }

  /** A Float32Array of n draws uniform in [lo, hi). */
  uniformArray(n: number, lo = 0, hi = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.uniform(lo, hi);
    return out;
  }

  /** A Float32Array of n normal draws with the given mean and standard deviation. */
  normalArray(n: number, mean = 0, std = 1): Float32Array {
    const out = new Float32Array(n);
    for (let i = 0; i < n; i++) out[i] = this.normal(mean, std);
    return out;
  }

  /** Shuffles `items` in place (Fisher–Yates) and returns it. */
  shuffle<A extends { length: number; [i: number]: unknown }>(items: A): A {
    for (let i = items.length - 1; i > 0; i--) {
      const j = this.int(i + 1);
      const t = items[i]!;
      items[i] = items[j]!;
      items[j] = t;
    }
    return items;
  }

  /** A shuffled copy of `items` (Fisher–Yates); the input is left alone. */
  shuffled<T>(items: ArrayLike<T>): T[] {
    return this.shuffle(Array.from(items));
  }

  /** A random permutation of 0, 1, …, n−1. */
  permutation(n: number): Int32Array {
    const p = new Int32Array(n);
    for (let i = 0; i < n; i++) p[i] = i;
    return this.shuffle(p);
  }

  /** k distinct items of `items` drawn without replacement, in random order (partial Fisher–Yates). */
  sample<T>(items: ArrayLike<T>, k: number): T[] {
    if (!Number.isInteger(k) || k < 0 || k > items.length) {
      throw new RangeError(`sample(items, k) needs 0 ≤ k ≤ ${items.length} (the number of items), got k=${k}`);
    }
    const pool = Array.from(items);
    for (let i = 0; i < k; i++) {
      const j = this.int(i, pool.length);
      const t = pool[i]!;
      pool[i] = pool[j]!;
      pool[j] = t;
    }
    return pool.slice(0, k);
  }

  /** An index drawn with probability proportional to `weights` (non-negative, not all zero). */
  weightedIndex(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (!(w >= 0 && Number.isFinite(w))) throw new RangeError(`weights must be finite and ≥ 0, weight ${i} is ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new RangeError(`weights must not all be zero (got ${weights.length} weights summing to ${total})`);
    let u = this.uniform() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    // Rounding can leave u ≥ 0 after the loop: return the last index with a positive weight.
    let last = weights.length - 1;
    while (weights[last] === 0) last--;
    return last;
  }

  /** One item of `items`, uniformly or with probability proportional to `weights`. */
  choice<T>(items: ArrayLike<T>, weights?: ArrayLike<number>): T {
    if (items.length === 0) throw new RangeError("choice(items) needs at least one item");
    if (weights === undefined) return items[this.int(items.length)]!;
    if (weights.length !== items.length) {
      throw new RangeError(`choice(items, weights) needs one weight per item: ${items.length} items, ${weights.length} weights`);
    }
    return items[this.weightedIndex(weights)]!;
  }
}

let globalRandom = new Random(0);
let tfSeeds = new Random(0, TF_SEED_STREAM);

/**
 * Seeds all of the course's randomness: the global generator `rng()` (PCG32 with `seed` as its
 * state) and the stream of TensorFlow.js seeds that `nextSeed()` hands out. Until `seed` is called
 * the seed is 0, so even an unseeded run repeats. Every notebook.
 */
export function seed(n: number): void {
  globalRandom = new Random(n);
  tfSeeds = new Random(n, TF_SEED_STREAM);
}

/** The global generator (re-created by `seed`): the default source for every lib function that draws. Every notebook. */
export function rng(): Random {
  return globalRandom;
}

/**
 * A fresh integer seed in [0, 2^31) for TensorFlow.js initializers and random ops, e.g.
 * `tf.initializers.glorotUniform({ seed: nextSeed() })`, `tf.randomNormal(shape, 0, 1, "float32", nextSeed())`,
 * `tf.layers.dropout({ rate, seed: nextSeed() })`. Seeds come from their own PCG32 stream, seeded by
 * `seed(n)`, so adding a shuffle does not change a model's initial weights. Every notebook.
 */
export function nextSeed(): number {
  return tfSeeds.nextUint32() >>> 1;
}
