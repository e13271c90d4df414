/**
 * Inputs and comparisons shared by the kernel tests (conv-grad, conv2d-pairs, bias-add, sum-rows): the same
 * numbers on every backend and every run, without touching the lib's seeded generator.
 */

/** Deterministic values in [−1, 1) (a fixed LCG), so cpu and wasm see the same inputs. */
export function values(n: number, seed: number): Float32Array {
  const out = new Float32Array(n);
  let s = seed >>> 0;
  for (let i = 0; i < n; i++) {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    out[i] = s / 2 ** 31 - 1;
  }
  return out;
}

/** The largest absolute difference relative to the largest magnitude of `expected`. */
export function maxRelError(actual: ArrayLike<number>, expected: ArrayLike<number>): number {
  let scale = 0;
  let err = 0;
  for (let i = 0; i < expected.length; i++) {
    scale = Math.max(scale, Math.abs(expected[i]!));
    err = Math.max(err, Math.abs(actual[i]! - expected[i]!));
  }
  return err / scale;
}
