import { describe, expect, it } from "vitest";
import { Random, nextSeed, rng, seed } from "../lib/src/core/random";

/** PCG32 written the textbook way with BigInt: an oracle for the 32-bit-halves implementation. */
function pcg32Reference(initstate: bigint, initseq: bigint, n: number): number[] {
  const mask = (1n << 64n) - 1n;
  const mul = 6364136223846793005n;
  const inc = ((initseq << 1n) | 1n) & mask;
  let state = 0n;
  const next = (): number => {
    const old = state;
    state = (old * mul + inc) & mask;
    const xorshifted = Number((((old >> 18n) ^ old) >> 27n) & 0xffffffffn);
    const rot = Number(old >> 59n);
    return ((xorshifted >>> rot) | (xorshifted << (-rot & 31))) >>> 0;
  };
  next();
  state = (state + initstate) & mask;
  next();
  return Array.from({ length: n }, next);
}

describe("PCG32", () => {
  it("reproduces pcg-c-basic's published pcg32-demo output (seed 42, stream 54)", () => {
    const r = new Random(42, 54);
    const words = Array.from({ length: 6 }, () => r.nextUint32());
    expect(words).toEqual([0xa15c02b7, 0x7b47f409, 0xba1d3330, 0x83d2f293, 0xbfa4784b, 0xcbed606e]);
    // The demo then flips 65 coins and rolls 33 dice with pcg32_boundedrand_r: our int() is that method.
    const coins = Array.from({ length: 65 }, () => (r.int(2) ? "H" : "T")).join("");
    expect(coins).toBe("HHTTTHTHHHTHTTTHHHHHTTTHHHTHTHTHTTHTTTHHHHHHTTTTHHTTTTTHTTTTTTTHT");
    const rolls = Array.from({ length: 33 }, () => r.int(6) + 1).join(" ");
    expect(rolls).toBe("3 4 1 1 2 2 3 2 4 3 2 4 3 3 5 2 3 1 3 1 5 1 4 1 5 6 4 6 6 2 6 3 3");
  });

  it("matches a BigInt reference for seeds and streams beyond 32 bits", () => {
    for (const [s, q] of [
      [0, 0],
      [4294967295, 7],
      [4294967296 * 12345 + 987654321, 2 ** 40 + 3],
      [Number.MAX_SAFE_INTEGER, Number.MAX_SAFE_INTEGER],
    ] as const) {
      const r = new Random(s, q);
      const ours = Array.from({ length: 20 }, () => r.nextUint32());
      expect(ours).toEqual(pcg32Reference(BigInt(s), BigInt(q), 20));
    }
  });

  it("rejects seeds that are not non-negative safe integers", () => {
    expect(() => new Random(-1)).toThrow(/seed must be an integer in \[0, 2\^53\)/);
    expect(() => new Random(1.5)).toThrow(/got 1.5/);
    expect(() => seed(Number.NaN)).toThrow(RangeError);
  });
});

describe("seeding", () => {
  it("repeats exactly after reseeding, and different seeds differ", () => {
    const draw = () => [rng().uniform(), rng().normal(), rng().int(1000), nextSeed(), rng().int(-5, 5)];
    seed(7);
    const a = draw();
    seed(7);
    const b = draw();
    seed(8);
    const c = draw();
    expect(b).toEqual(a);
    expect(c).not.toEqual(a);
  });

  it("hands out TensorFlow.js seeds from their own stream: lib draws do not shift them", () => {
    seed(3);
    const s1 = [nextSeed(), nextSeed()];
    seed(3);
    rng().permutation(100);
    const s2 = [nextSeed(), nextSeed()];
    expect(s2).toEqual(s1);
    expect(s1[0]).not.toBe(s1[1]);
    for (const s of s1) expect(Number.isInteger(s) && s >= 0 && s < 2 ** 31).toBe(true);
  });
});

describe("distributions", () => {
  const n = 200_000;

  it("uniform has mean 1/2 and variance 1/12 on [0, 1), and respects [lo, hi)", () => {
    const r = new Random(1);
    const x = Array.from({ length: n }, () => r.uniform());
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const variance = x.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    expect(Math.abs(mean - 0.5)).toBeLessThan(0.005); // sd of the mean ≈ 0.00065
    expect(Math.abs(variance - 1 / 12)).toBeLessThan(0.001);
    expect(x.every((v) => v >= 0 && v < 1)).toBe(true);
    const y = r.uniformArray(1000, -3, -2);
    expect(y.every((v) => v >= -3 && v < -2)).toBe(true);
  });

  it("normal has the requested mean, std, zero skew and kurtosis 3", () => {
    const r = new Random(2);
    const x = Array.from({ length: n }, () => r.normal(2, 3));
    const mean = x.reduce((s, v) => s + v, 0) / n;
    const m2 = x.reduce((s, v) => s + (v - mean) ** 2, 0) / n;
    const m3 = x.reduce((s, v) => s + (v - mean) ** 3, 0) / n;
    const m4 = x.reduce((s, v) => s + (v - mean) ** 4, 0) / n;
    expect(Math.abs(mean - 2)).toBeLessThan(0.03); // sd of the mean ≈ 0.0067
    expect(Math.abs(Math.sqrt(m2) - 3)).toBeLessThan(0.03);
    expect(Math.abs(m3 / m2 ** 1.5)).toBeLessThan(0.03);
    expect(Math.abs(m4 / m2 ** 2 - 3)).toBeLessThan(0.06);
    // About 68.3% within one standard deviation.
    const within = x.filter((v) => Math.abs(v - 2) < 3).length / n;
    expect(Math.abs(within - 0.6827)).toBeLessThan(0.005);
  });

  it("int covers [lo, hi) evenly and nothing else", () => {
    const r = new Random(3);
    const counts = new Map<number, number>();
    for (let i = 0; i < 70_000; i++) {
      const k = r.int(-3, 4);
      counts.set(k, (counts.get(k) ?? 0) + 1);
    }
    expect([...counts.keys()].sort((a, b) => a - b)).toEqual([-3, -2, -1, 0, 1, 2, 3]);
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(400); // sd ≈ 93
    expect(() => r.int(5, 5)).toThrow(/lo < hi/);
    expect(() => r.int(0, 2 ** 33)).toThrow(/2\^32/);
  });

  it("bernoulli and weighted choice follow their probabilities", () => {
    const r = new Random(4);
    const heads = Array.from({ length: 50_000 }, () => r.bernoulli(0.3)).filter(Boolean).length;
    expect(Math.abs(heads / 50_000 - 0.3)).toBeLessThan(0.01);
    const counts = { a: 0, b: 0, c: 0 };
    for (let i = 0; i < 60_000; i++) counts[r.choice(["a", "b", "c"] as const, [1, 0, 3])]++;
    expect(counts.b).toBe(0);
    expect(Math.abs(counts.a / 60_000 - 0.25)).toBeLessThan(0.01);
    expect(() => r.choice(["a"], [1, 2])).toThrow(/one weight per item/);
    expect(() => r.weightedIndex([0, 0])).toThrow(/not all be zero/);
    expect(() => r.weightedIndex([1, -1])).toThrow(/weight 1 is -1/);
  });
});

describe("permutations and samples", () => {
  it("shuffle is a permutation, in place; shuffled leaves the input alone", () => {
    const r = new Random(5);
    const items = Array.from({ length: 50 }, (_, i) => i);
    const copy = r.shuffled(items);
    expect(items).toEqual(Array.from({ length: 50 }, (_, i) => i));
    expect([...copy].sort((a, b) => a - b)).toEqual(items);
    expect(copy).not.toEqual(items);
    const same = r.shuffle(items);
    expect(same).toBe(items);
    expect([...items].sort((a, b) => a - b)).toEqual(Array.from({ length: 50 }, (_, i) => i));
    const p = r.permutation(1000);
    expect(Array.from(p).sort((a, b) => a - b)).toEqual(Array.from({ length: 1000 }, (_, i) => i));
  });

  it("every position of a 3-item shuffle is uniform (Fisher–Yates has no bias)", () => {
    const r = new Random(6);
    const counts = new Map<string, number>();
    for (let i = 0; i < 60_000; i++) {
      const key = r.shuffled("abc").join("");
      counts.set(key, (counts.get(key) ?? 0) + 1);
    }
    expect(counts.size).toBe(6);
    for (const c of counts.values()) expect(Math.abs(c - 10_000)).toBeLessThan(400);
  });

  it("sample draws k distinct items without replacement", () => {
    const r = new Random(7);
    const s = r.sample(Array.from({ length: 100 }, (_, i) => i), 30);
    expect(s).toHaveLength(30);
    expect(new Set(s).size).toBe(30);
    expect(s.every((v) => v >= 0 && v < 100)).toBe(true);
    expect(r.sample([1, 2, 3], 3).sort()).toEqual([1, 2, 3]);
    expect(() => r.sample([1, 2], 3)).toThrow(/0 ≤ k ≤ 2/);
  });
});
