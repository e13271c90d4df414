import { describe, expect, it } from "vitest";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { numericalGradient } from "../lib/src/scratch/gradcheck";
import { values } from "./support/inputs";

// [x shape, bias first?]: LeNet-5's two convolutions, odd sizes, the bias as the first operand, a row count
// that is prime (no repetition divides it: the stock path), a small tensor (stock), a wide last axis.
const cases: [number[], boolean][] = [
  [[64, 28, 28, 6], false],
  [[64, 10, 10, 16], true],
  [[3, 9, 11, 13], false],
  [[4099, 2], false],
  [[2, 3, 5], true],
  [[7, 3000], false],
];

function run(shape: number[], biasFirst: boolean) {
  return tf.tidy(() => {
    const x = tf.tensor(values(tf.util.sizeFromShape(shape), 1), shape);
    const b = tf.tensor1d(values(shape[shape.length - 1]!, 2));
    const y = biasFirst ? tf.add(b, x) : tf.add(x, b);
    const g = tf.tensor(values(y.size, 3), y.shape);
    const [dx, db] = tf.grads((p: tf.Tensor, q: tf.Tensor) => (biasFirst ? tf.add(q, p) : tf.add(p, q)).mul(g).sum())([x, b]);
    return { shape: y.shape, y: Array.from(y.dataSync()), dx: Array.from(dx!.dataSync()), db: Array.from(db!.dataSync()) };
  });
}

describe("wasm Add of a bias vector on long rows", () => {
  it("equals the cpu backend exactly (forward) and closely (gradients) on every shape", async () => {
    await initBackend("cpu");
    const ref = cases.map(([s, f]) => run(s, f));
    await initBackend("wasm");
    cases.forEach(([s, f], i) => {
      const got = run(s, f);
      expect(got.shape).toEqual(s);
      expect(got.y).toEqual(ref[i]!.y);
      expect(got.dx).toEqual(ref[i]!.dx);
      const scale = Math.max(...ref[i]!.db.map(Math.abs));
      got.db.forEach((v, j) => expect(Math.abs(v - ref[i]!.db[j]!)).toBeLessThan(1e-5 * scale));
    });
  });

  it("equals x[i] + b[i mod C] element by element, and the bias gradient matches finite differences", async () => {
    await initBackend("wasm");
    const shape = [4, 9, 11, 13];
    const xs = values(tf.util.sizeFromShape(shape), 4);
    const bs = values(13, 5);
    const y = tf.tidy(() => tf.add(tf.tensor(xs, shape), tf.tensor1d(bs)).dataSync());
    for (let i = 0; i < xs.length; i++) expect(y[i]).toBe(Math.fround(xs[i]! + bs[i % 13]!));
    // L(b) = Σ g ⊙ (x + b), summed in float64, is linear in b: the centred difference is exact up to the rounding of x + b.
    const x = tf.tensor(xs, shape);
    const g = tf.tensor(values(xs.length, 6), shape);
    const gs = g.dataSync();
    const loss = (b: Float64Array) => {
      const ys = tf.tidy(() => tf.add(x, tf.tensor1d(Float32Array.from(b))).dataSync());
      let s = 0;
      for (let i = 0; i < ys.length; i++) s += gs[i]! * ys[i]!;
      return s;
    };
    const analytic = tf.tidy(() => tf.grad((b: tf.Tensor) => tf.add(x, b).mul(g).sum())(tf.tensor1d(bs)).dataSync());
    const base = Float64Array.from(bs);
    const [numeric] = numericalGradient(() => loss(base), [base], 0.25);
    analytic.forEach((v, j) => expect(Math.abs(v - numeric![j]!)).toBeLessThan(1e-3));
    expect(Math.max(...Array.from(numeric!, Math.abs))).toBeGreaterThan(1);
    g.dispose();
    x.dispose();
  });

  it("leaks no tensors or wasm memory", async () => {
    await initBackend("wasm");
    run([64, 28, 28, 6], false);
    const before = tf.memory();
    for (let i = 0; i < 3; i++) run([64, 28, 28, 6], false);
    expect(tf.memory().numTensors).toBe(before.numTensors);
    expect(tf.memory().numDataBuffers).toBe(before.numDataBuffers);
  });
});
