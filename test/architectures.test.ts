import { beforeAll, describe, expect, it } from "vitest";
import {
  INCEPTION_3A,
  VGG16_BLOCKS,
  alexNet,
  conv2dParams,
  deepCnn,
  denseBlock,
  denseNet,
  denseParams,
  inceptionModule,
  inceptionNet,
  kernelGradientNorms,
  lenet5,
  resNet,
  residualBlock,
  vgg,
} from "../lib/src/tfjs/architectures";
import { seed } from "../lib/src/core/random";
import { initBackend, tf } from "../lib/src/tfjs/backend";

beforeAll(async () => {
  await initBackend("wasm");
});

/** AlexNet's parameter count from the layer formulas, for channel widths scaled by w (at 227×227, 6×6 before flatten). */
function alexNetParams(w: number, classes: number): number {
  const c = (n: number) => Math.round(n * w);
  return (
    conv2dParams(11, 3, c(96)) + conv2dParams(5, c(96), c(256)) + conv2dParams(3, c(256), c(384)) + conv2dParams(3, c(384), c(384)) +
    conv2dParams(3, c(384), c(256)) + denseParams(6 * 6 * c(256), c(4096)) + denseParams(c(4096), c(4096)) + denseParams(c(4096), classes)
  );
}

function functional(shape: number[], body: (x: tf.SymbolicTensor) => tf.SymbolicTensor): tf.LayersModel {
  const input = tf.input({ shape });
  return tf.model({ inputs: input, outputs: body(input) });
}

describe("LeNet-5", () => {
  it("has 61,706 parameters and maps 28×28 digits to 10 probabilities", () => {
    const model = lenet5();
    expect(model.countParams()).toBe(61_706);
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
    const p = tf.tidy(() => (model.predict(tf.zeros([2, 28, 28, 1])) as tf.Tensor).sum(1).arraySync() as number[]);
    p.forEach((v) => expect(v).toBeCloseTo(1, 5));
  });

  it("takes dropout after the hidden dense layers without adding parameters", () => {
    const model = lenet5({ dropout: 0.2 });
    expect(model.countParams()).toBe(61_706);
    expect(model.layers.filter((l) => l.getClassName() === "Dropout").length).toBe(2);
    expect(lenet5().layers.some((l) => l.getClassName() === "Dropout")).toBe(false);
    expect(() => lenet5({ dropout: 1 })).toThrow(/dropout must be a rate in \[0, 1\)/);
  });

  it("repeats its initial weights after the same seed", () => {
    seed(3);
    const a = lenet5().getWeights()[0]!.dataSync();
    seed(3);
    const b = lenet5().getWeights()[0]!.dataSync();
    seed(4);
    const c = lenet5().getWeights()[0]!.dataSync();
    expect(Array.from(a)).toEqual(Array.from(b));
    expect(Array.from(a)).not.toEqual(Array.from(c));
  });
});

describe("modern CNNs' parameter counts", () => {
  it("AlexNet: the layer formulas give 62,378,344 at full size, and the builder agrees at quarter width", () => {
    expect(alexNetParams(1, 1000)).toBe(62_378_344);
    const model = alexNet({ width: 0.25, classes: 10 });
    expect(model.countParams()).toBe(alexNetParams(0.25, 10));
    expect(model.outputs[0]!.shape).toEqual([null, 10]);
  });

  it("VGG-16: 14,714,688 convolutional parameters (built), 138,357,544 with the dense top", () => {
    const base = vgg({ inputShape: [32, 32, 3], top: false });
    expect(base.countParams()).toBe(14_714_688);
    expect(base.layers.filter((l) => l.getClassName() === "Conv2D").length).toBe(13);
    const top = denseParams(7 * 7 * 512, 4096) + denseParams(4096, 4096) + denseParams(4096, 1000);
    expect(base.countParams() + top).toBe(138_357_544);
    const small = vgg({ inputShape: [32, 32, 3], width: 1 / 8, classes: 10 });
    expect(small.countParams()).toBe(
      VGG16_BLOCKS.flat().reduce((s, f, i, all) => s + conv2dParams(3, i === 0 ? 3 : all[i - 1]! / 8, f / 8), 0) +
        denseParams(64, 512) + denseParams(512, 512) + denseParams(512, 10),
    );
    base.dispose();
  });

  it("Inception module 3a: 163,696 parameters, 256 output channels at the input's resolution", () => {
    const model = functional([28, 28, 192], (x) => inceptionModule(x, INCEPTION_3A));
    expect(model.countParams()).toBe(163_696);
    expect(model.outputs[0]!.shape).toEqual([null, 28, 28, 256]);
  });

  it("residual blocks: basic keeps the shape; bottleneck is ResNet-50's first block (76,928 parameters)", () => {
    const basic = functional([8, 8, 16], (x) => residualBlock(x, 16));
    expect(basic.countParams()).toBe(2 * conv2dParams(3, 16, 16) + 2 * 4 * 16);
    expect(basic.outputs[0]!.shape).toEqual([null, 8, 8, 16]);
    const down = functional([8, 8, 16], (x) => residualBlock(x, 32, { strides: 2 }));
    expect(down.outputs[0]!.shape).toEqual([null, 4, 4, 32]);
    const bottleneck = functional([56, 56, 64], (x) => residualBlock(x, 64, { bottleneck: true }));
    expect(bottleneck.countParams()).toBe(76_928);
    expect(bottleneck.outputs[0]!.shape).toEqual([null, 56, 56, 256]);
  });

  it("dense block: C_in + layers × growth rate output channels", () => {
    const model = functional([8, 8, 24], (x) => denseBlock(x, 4, 12));
    expect(model.outputs[0]!.shape).toEqual([null, 8, 8, 24 + 4 * 12]);
    const convs = [0, 1, 2, 3].reduce((s, i) => s + conv2dParams(3, 24 + 12 * i, 12) + 4 * (24 + 12 * i), 0);
    expect(model.countParams()).toBe(convs);
  });

  it("the small whole networks build and classify", () => {
    for (const model of [inceptionNet({ width: 0.25 }), resNet(), denseNet()]) {
      expect(model.outputs[0]!.shape).toEqual([null, 10]);
      const out = tf.tidy(() => (model.predict(tf.zeros([1, 32, 32, 3])) as tf.Tensor).dataSync());
      expect(Array.from(out).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
    }
  });
});

describe("training on wasm (strided, overlapping-pool and batch-normalised nets use the lib's kernels)", () => {
  it("a few Adam steps reduce the loss of a small ResNet and a narrow AlexNet", async () => {
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3], "int32"), 10);
    for (const [model, side] of [[resNet(), 32], [alexNet({ width: 1 / 16, classes: 10 }), 227]] as const) {
      model.compile({ optimizer: tf.train.adam(1e-3), loss: "categoricalCrossentropy" });
      const x = tf.randomNormal([4, side, side, 3], 0, 1, "float32", 3);
      const first = Number(await model.trainOnBatch(x, y));
      let last = first;
      for (let i = 0; i < 5; i++) last = Number(await model.trainOnBatch(x, y));
      expect(Number.isFinite(last)).toBe(true);
      expect(last).toBeLessThan(0.7 * first);
    }
  });
});

describe("deep plain CNN against the same depth with skip connections", () => {
  it("have the same parameters; the skips carry a larger gradient to the first layer", () => {
    seed(1);
    const plain = deepCnn({ depth: 16, residual: false });
    seed(1);
    const residual = deepCnn({ depth: 16, residual: true });
    expect(plain.countParams()).toBe(residual.countParams());
    const x = tf.randomNormal([16, 28, 28, 1], 0, 1, "float32", 5);
    const y = tf.oneHot(tf.tensor1d([0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 0, 1, 2, 3, 4, 5], "int32"), 10);
    const plainNorms = kernelGradientNorms(plain, x, y);
    const residualNorms = kernelGradientNorms(residual, x, y);
    expect(plainNorms.map((n) => n.layer)).toEqual(["stem", ...Array.from({ length: 16 }, (_, i) => `conv${i + 1}`), "classifier"]);
    expect(plainNorms.every((n) => Number.isFinite(n.norm))).toBe(true);
    expect(residualNorms[0]!.norm).toBeGreaterThan(10 * plainNorms[0]!.norm);
    expect(() => deepCnn({ depth: 5, residual: true })).toThrow(/even/);
  });
});
