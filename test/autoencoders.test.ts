import { beforeAll, describe, expect, it } from "vitest";
import * as ae from "../lib/src/tfjs/autoencoders";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { seed } from "../lib/src/core/random";

beforeAll(async () => {
  await initBackend("wasm");
});

describe("autoencoder builders", () => {
  it("dense: d → hidden → z → hidden → d with the expected parameter count; the model chains encoder and decoder", async () => {
    seed(1);
    const a = ae.denseAutoencoder({ code: 2, hidden: [16], input: 20 });
    expect(a.encoder.outputs[0]!.shape).toEqual([null, 2]);
    expect(a.decoder.outputs[0]!.shape).toEqual([null, 20]);
    expect(a.model.countParams()).toBe(20 * 16 + 16 + 16 * 2 + 2 + 2 * 16 + 16 + 16 * 20 + 20);
    const x = tf.randomUniform([5, 20], 0, 1, "float32", 3);
    const direct = (a.decoder.predict(a.encoder.predict(x) as tf.Tensor) as tf.Tensor).arraySync();
    expect((a.model.predict(x) as tf.Tensor).arraySync()).toEqual(direct);
    // Training the chained model updates the encoder's and decoder's own weights (they are shared).
    const before = a.encoder.getWeights()[0]!.dataSync().slice();
    a.model.compile({ optimizer: tf.train.sgd(0.1), loss: "meanSquaredError" });
    await a.model.trainOnBatch(x, x);
    expect(a.encoder.getWeights()[0]!.dataSync()).not.toEqual(before);
  });

  it("seeded: the same seed gives the same weights", () => {
    seed(4);
    const w1 = ae.convAutoencoder({ code: 8 }).model.getWeights().map((w) => Array.from(w.dataSync()));
    seed(4);
    const w2 = ae.convAutoencoder({ code: 8 }).model.getWeights().map((w) => Array.from(w.dataSync()));
    expect(w2).toEqual(w1);
  });

  it("linear: one dense layer each way, and its decoder directions are the decoder kernel's rows", () => {
    const a = ae.linearAutoencoder(6, 2);
    expect(a.model.countParams()).toBe(6 * 2 + 2 + 2 * 6 + 6);
    const dirs = ae.decoderDirections(a);
    expect(dirs.length).toBe(12);
    const z = tf.tensor2d([[1, 0], [0, 1], [0, 0]]);
    const out = (a.decoder.predict(z) as tf.Tensor).arraySync() as number[][];
    for (let j = 0; j < 6; j++) {
      expect(out[0]![j]! - out[2]![j]!).toBeCloseTo(dirs[j]!, 5);
      expect(out[1]![j]! - out[2]![j]!).toBeCloseTo(dirs[6 + j]!, 5);
    }
    expect(() => ae.decoderDirections(ae.denseAutoencoder({ code: 2, input: 6, hidden: [4] }))).toThrow(/one dense layer/);
  });

  it("conv: 28×28×1 → z → 28×28×1 in [0, 1], with transposed convolutions or nearest upsampling, and trains on wasm", async () => {
    for (const upsampling of ["transpose", "nearest"] as const) {
      const a = ae.convAutoencoder({ code: 10, upsampling });
      expect(a.encoder.outputs[0]!.shape).toEqual([null, 10]);
      expect(a.model.outputs[0]!.shape).toEqual([null, 28, 28, 1]);
      const x = tf.randomUniform([4, 28, 28, 1], 0, 1, "float32", 5);
      a.model.compile({ optimizer: tf.train.adam(1e-2), loss: "binaryCrossentropy" });
      const first = a.model.evaluate(x, x) as tf.Scalar;
      const l0 = first.dataSync()[0]!;
      for (let i = 0; i < 15; i++) await a.model.trainOnBatch(x, x);
      expect((a.model.evaluate(x, x) as tf.Scalar).dataSync()[0]!).toBeLessThan(l0);
      const y = (a.model.predict(x) as tf.Tensor).dataSync();
      expect(Math.min(...y)).toBeGreaterThanOrEqual(0);
      expect(Math.max(...y)).toBeLessThanOrEqual(1);
    }
  });

  it("U-Net: skips add the concatenated channels' weights only; the output is one probability per pixel", () => {
    const withSkips = ae.unet({ filters: [4, 8, 16] });
    const without = ae.unet({ filters: [4, 8, 16], skips: false });
    expect(withSkips.outputs[0]!.shape).toEqual([null, 28, 28, 1]);
    // The two decoder convolutions see 8 + 8 and 4 + 4 input channels instead of 8 and 4.
    expect(withSkips.countParams() - without.countParams()).toBe(3 * 3 * 8 * 8 + 3 * 3 * 4 * 4);
    expect(withSkips.layers.filter((l) => l.getClassName() === "Concatenate").length).toBe(2);
    expect(without.layers.filter((l) => l.getClassName() === "Concatenate").length).toBe(0);
  });
});

describe("train", () => {
  it("lowers the loss like model.fit, reports val_loss, and leaks no tensors", async () => {
    seed(5);
    const a = ae.denseAutoencoder({ code: 3, input: 12, hidden: [6] });
    const x = tf.randomUniform([64, 12], 0, 1, "float32", 4).round();
    const before = tf.memory().numTensors;
    const r = await ae.train(a.model, x, x, { epochs: 25, batchSize: 16, learningRate: 1e-2, validationData: [x, x], live: false });
    expect(tf.memory().numTensors).toBe(before);
    expect(r.history.loss!.length).toBe(25);
    expect(r.history.val_loss![24]!).toBeLessThan(0.85 * r.history.val_loss![0]!);
    // val_loss is the binary cross-entropy per pixel, as Keras's.
    a.model.compile({ optimizer: "sgd", loss: "binaryCrossentropy" });
    const keras = (a.model.evaluate(x, x) as tf.Scalar).dataSync()[0]!;
    expect(r.history.val_loss![24]!).toBeCloseTo(keras, 4);
    const m = await ae.train(ae.linearAutoencoder(12, 2).model, x, x, { epochs: 2, loss: "mse", live: false });
    expect(m.history.loss![1]!).toBeLessThan(m.history.loss![0]!);
  });
});

describe("data for the autoencoders", () => {
  it("addNoise stays in [0, 1], has the asked spread, and masking zeroes about the asked fraction", () => {
    seed(2);
    const x = tf.fill([200, 50], 0.5);
    const noisy = ae.addNoise(x, { std: 0.1 });
    const v = Array.from(noisy.dataSync());
    const mean = v.reduce((s, a) => s + a, 0) / v.length;
    const sd = Math.sqrt(v.reduce((s, a) => s + (a - mean) ** 2, 0) / v.length);
    expect(mean).toBeCloseTo(0.5, 2);
    expect(sd).toBeGreaterThan(0.095);
    expect(sd).toBeLessThan(0.105);
    const masked = Array.from(ae.addNoise(x, { drop: 0.3 }).dataSync());
    const zeros = masked.filter((a) => a === 0).length / masked.length;
    expect(zeros).toBeGreaterThan(0.28);
    expect(zeros).toBeLessThan(0.32);
    expect(Math.max(...ae.addNoise(tf.ones([100]), { std: 1 }).dataSync())).toBeLessThanOrEqual(1);
  });

  it("reconstructionErrors is the per-example mean squared error", () => {
    const identity = tf.sequential({ layers: [tf.layers.dense({ units: 2, inputShape: [2], useBias: false, weights: [tf.tensor2d([[1, 0], [0, 1]])] })] });
    const x = tf.tensor2d([[1, 2], [3, 5]]);
    expect(Array.from(ae.reconstructionErrors(identity, x))).toEqual([0, 0]);
    expect(Array.from(ae.reconstructionErrors(identity, x, { target: tf.tensor2d([[0, 2], [3, 1]]) }))).toEqual([0.5, 8]);
  });

  it("interpolate decodes the end codes at t = 0 and 1 and the midpoint between", () => {
    const linear = tf.sequential({ layers: [tf.layers.dense({ units: 1, inputShape: [2], weights: [tf.tensor2d([[1], [10]]), tf.tensor1d([0.5])] })] });
    const out = ae.interpolate(linear, [0, 0], [2, 1], 3).dataSync();
    expect(Array.from(out)).toEqual([0.5, 6.5, 12.5]);
  });

  it("toImages cuts rows into square images", () => {
    const imgs = ae.toImages(tf.tensor2d(Array.from({ length: 3 * 4 }, (_, i) => i), [3, 4]), { side: 2, rows: [2, 0] });
    expect(imgs.map((im) => Array.from(im.data))).toEqual([[8, 9, 10, 11], [0, 1, 2, 3]]);
    expect(imgs[0]!.width).toBe(2);
    expect(() => ae.toImages([1, 2, 3], { side: 2 })).toThrow(/whole/);
  });

  it("clutteredDigits: the mask is the digit's own pixels; clutter and noise only add to the input", () => {
    seed(3);
    const x = tf.tensor4d(Array.from({ length: 3 * 4 * 4 }, (_, i) => ((i * 7) % 5) / 4), [3, 4, 4, 1]);
    const { input, mask } = ae.clutteredDigits(x, { clutter: 0.5, noise: 0 });
    expect(Array.from(mask.dataSync())).toEqual(Array.from(x.dataSync(), (v) => (v > 0.5 ? 1 : 0)));
    const xs = x.arraySync() as number[][][][];
    const got = input.arraySync() as number[][][][];
    // Example 0 is cluttered by example 1 mirrored left–right, at half intensity.
    expect(got[0]![1]![0]![0]).toBeCloseTo(Math.min(1, xs[0]![1]![0]![0]! + 0.5 * xs[1]![1]![3]![0]!), 6);
    expect(got[2]![3]![2]![0]).toBeCloseTo(Math.min(1, xs[2]![3]![2]![0]! + 0.5 * xs[0]![3]![1]![0]!), 6);
  });
});

describe("variational autoencoder", () => {
  it("klDivergence is the closed form, 0 at the prior, and matches a Monte Carlo estimate", () => {
    expect(ae.klDivergence(tf.zeros([1, 3]), tf.zeros([1, 3])).dataSync()[0]).toBeCloseTo(0, 10);
    // One dimension, μ = 1, σ² = e: ½(σ² + μ² − 1 − log σ²) = ½(e + 1 − 1 − 1).
    expect(ae.klDivergence(tf.tensor2d([[1]]), tf.tensor2d([[1]])).dataSync()[0]).toBeCloseTo(0.5 * (Math.E - 1), 5);
    const mu = [0.7, -1.2];
    const logVar = [Math.log(0.25), Math.log(2)];
    const closed = ae.klDivergence(tf.tensor2d([mu]), tf.tensor2d([logVar])).dataSync()[0]!;
    // E_q[log q(z) − log p(z)] with z = μ + σ ε.
    const n = 200000;
    const eps = tf.randomNormal([n, 2], 0, 1, "float32", 7);
    const z = ae.reparameterize(tf.tensor2d([mu]), tf.tensor2d([logVar]), eps);
    const logQ = eps.square().mul(-0.5).sub(tf.tensor1d(logVar).mul(0.5)).sum(1);
    const logP = z.square().mul(-0.5).sum(1);
    const mc = logQ.sub(logP).mean().dataSync()[0]!;
    expect(Math.abs(mc - closed)).toBeLessThan(0.02);
  });

  it("reparameterize: z = μ + σ ε, and its gradients are ∂z/∂μ = 1, ∂z/∂logσ² = ½ σ ε", () => {
    const mu = tf.tensor2d([[1, -2]]);
    const logVar = tf.tensor2d([[Math.log(4), 0]]);
    const eps = tf.tensor2d([[0.5, -1]]);
    expect(Array.from(ae.reparameterize(mu, logVar, eps).dataSync()).map((v) => Number(v.toFixed(5)))).toEqual([2, -3]);
    const [dMu, dLogVar] = tf.grads((m: tf.Tensor, l: tf.Tensor) => ae.reparameterize(m, l, eps).sum())([mu, logVar]);
    expect(Array.from(dMu!.dataSync())).toEqual([1, 1]);
    const d = dLogVar!.dataSync();
    expect(d[0]).toBeCloseTo(0.5 * 2 * 0.5, 5);
    expect(d[1]).toBeCloseTo(0.5 * 1 * -1, 5);
  });

  it("bernoulliNll is the binary cross-entropy −Σ[x log x̂ + (1 − x) log(1 − x̂)], summed per example", () => {
    const x = tf.tensor2d([[1, 0, 0.5]]);
    const xHat = tf.tensor2d([[0.9, 0.2, 0.5]]);
    const expected = -(Math.log(0.9) + Math.log(0.8) + 0.5 * Math.log(0.5) + 0.5 * Math.log(0.5));
    expect(ae.bernoulliNll(x, xHat).dataSync()[0]).toBeCloseTo(expected, 5);
    // Minimal at x̂ = x for a grey pixel (the slide's log(1 − x) term would not depend on x̂ at all).
    const grey = tf.tensor2d([[0.3]]);
    const at = (p: number) => ae.bernoulliNll(grey, tf.tensor2d([[p]])).dataSync()[0]!;
    expect(at(0.3)).toBeLessThan(at(0.25));
    expect(at(0.3)).toBeLessThan(at(0.35));
  });

  it("vaeLoss = reconstruction + β·KL with a fixed ε; training lowers it; samples from the prior are images in [0, 1]", async () => {
    seed(6);
    const vae = ae.denseVae({ code: 2, input: 16, hidden: [8] });
    const x = tf.randomUniform([32, 16], 0, 1, "float32", 8).round();
    const eps = tf.randomNormal([32, 2], 0, 1, "float32", 9);
    const l1 = ae.vaeLoss(vae, x, { eps });
    const l2 = ae.vaeLoss(vae, x, { eps, beta: 3 });
    const v = (t: tf.Scalar) => t.dataSync()[0]!;
    expect(v(l1.loss)).toBeCloseTo(v(l1.reconstruction) + v(l1.kl), 3);
    expect(v(l2.loss)).toBeCloseTo(v(l1.reconstruction) + 3 * v(l1.kl), 3);
    const [mu, logVar] = vae.encoder.predict(x) as tf.Tensor[];
    expect(v(l1.kl)).toBeCloseTo(ae.klDivergence(mu!, logVar!).mean().dataSync()[0]!, 4);
    const r = await ae.trainVae(vae, x as tf.Tensor2D, { epochs: 30, batchSize: 16, learningRate: 1e-2, live: false });
    expect(r.history.loss!.length).toBe(30);
    expect(r.history.loss![29]!).toBeLessThan(0.9 * r.history.loss![0]!);
    const samples = ae.sampleVae(vae, 5);
    expect(samples.shape).toEqual([5, 16]);
    const s = samples.dataSync();
    expect(Math.min(...s)).toBeGreaterThanOrEqual(0);
    expect(Math.max(...s)).toBeLessThanOrEqual(1);
    expect(ae.vaeEncode(vae, x).shape).toEqual([32, 2]);
    const before = tf.memory().numTensors;
    await ae.trainVae(vae, x as tf.Tensor2D, { epochs: 2, batchSize: 16, live: false });
    expect(tf.memory().numTensors).toBe(before);
  });
});
