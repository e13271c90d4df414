import { beforeAll, describe, expect, it } from "vitest";
import { Random } from "../lib/src/core/random";
import { gradientCheck } from "../lib/src/scratch/gradcheck";
import * as rnn from "../lib/src/scratch/rnn";
import { cellToTfWeights, tfGradsToCell } from "../lib/src/tfjs/bridge";
import { initBackend, tf } from "../lib/src/tfjs/backend";
import { fastSigmoid, fastTanh } from "../lib/src/tfjs/kernels/recurrent";
import { Recurrent, recurrentLayer, recurrentOp, sequenceModel, type RecurrentKind } from "../lib/src/tfjs/recurrent";
import { seq2seqAttention } from "../lib/src/tfjs/language";

/** Lecture 002's worked LSTM pass with the reconstructed weights (the slide's figures are missing). */
function lectureLstm(): rnn.Cell {
  return rnn.cellFrom("lstm", {
    f: { W: [[1.63]], U: [[2.7]], b: [1.62] },
    i: { W: [[1.65]], U: [[2.0]], b: [0.62] },
    g: { W: [[0.94]], U: [[1.41]], b: [-0.32] },
    o: { W: [[-0.19]], U: [[4.38]], b: [0.59] },
  });
}

const seq = (values: number[]) => values.map((v) => [v]);

/** L = Σ_t w_t · h_t, a loss that looks at every step with fixed random weights. */
function lossOf(cell: rnn.Cell, xs: number[][], w: Float64Array[]): number {
  const trace = rnn.forward(cell, xs);
  return trace.h.reduce((s, h, t) => s + h.reduce((a, v, k) => a + v * w[t]![k]!, 0), 0);
}

function randomSeq(random: Random, T: number, I: number): number[][] {
  return Array.from({ length: T }, () => Array.from({ length: I }, () => random.normal()));
}

describe("scratch cells", () => {
  it("reproduces lecture 002's worked LSTM pass (reconstructed weights)", () => {
    const cell = lectureLstm();
    const day1 = rnn.step(cell, [0]);
    expect(day1.h[0]).toBeCloseTo(-0.1277, 3);
    const end = rnn.forward(cell, seq([0, 0.5, 0.25, 1]));
    expect(end.h[3]![0]).toBeCloseTo(0.0064, 3);
    const other = rnn.forward(cell, seq([1, 0.5, 0.25, 1]));
    expect(other.h[3]![0]).toBeCloseTo(0.969, 3);
  });

  for (const [kind, activation] of [["rnn", "tanh"], ["rnn", "relu"], ["lstm", "tanh"], ["gru", "tanh"]] as const) {
    it(`BPTT for the ${kind} (${activation}) matches finite differences`, () => {
      const random = new Random(3);
      const cell = rnn.makeCell(kind, 3, 4, { random, scale: 0.8, activation });
      const xs = randomSeq(random, 6, 3);
      const w = Array.from({ length: 6 }, () => Float64Array.from({ length: 4 }, () => random.normal()));
      const trace = rnn.forward(cell, xs);
      const grads = rnn.backward(cell, trace, w);
      const check = gradientCheck(() => lossOf(cell, xs, w), rnn.params(cell), rnn.gradList(cell, grads));
      expect(check.maxRelativeError).toBeLessThan(1e-5);
      // and the input gradients
      const xFlat = xs.map((x) => Float64Array.from(x));
      const checkX = gradientCheck(() => lossOf(cell, xFlat.map((x) => Array.from(x)), w), xFlat, grads.dx);
      expect(checkX.maxRelativeError).toBeLessThan(1e-5);
    });
  }

  it("spectral radius and gradient by lag: ρ < 1 vanishes, ρ > 1 (linear regime) grows", () => {
    const random = new Random(5);
    const Q = rnn.orthogonalMatrix(8, random);
    expect(rnn.spectralRadius(Q)).toBeCloseTo(1, 3);
    expect(rnn.spectralRadius(Q.map((v) => 0.5 * v))).toBeCloseTo(0.5, 3);
    const cell = rnn.makeCell("rnn", 1, 8, { random, scale: 0.01 });
    cell.gates.h!.U = Q.map((v) => 0.5 * v);
    const small = rnn.gradientByLag(cell, randomSeq(random, 20, 1).map((x) => [0.01 * x[0]!]));
    expect(small[10]! / small[0]!).toBeLessThan(0.5 ** 10 * 1.01);
    cell.gates.h!.U = Q.map((v) => 1.5 * v);
    cell.gates.h!.b.fill(0); // h stays 0: the linear regime, where the Jacobians are exactly U
    const big = rnn.gradientByLag(cell, Array.from({ length: 8 }, () => [0]));
    expect(big[7]! / big[0]!).toBeCloseTo(1.5 ** 7, 1);
  });

  it("clips by the global norm", () => {
    const g = [Float64Array.from([3, 0]), Float64Array.from([4])];
    expect(rnn.clipByGlobalNorm(g, 1)).toBeCloseTo(5);
    expect(g[0]![0]).toBeCloseTo(0.6);
    expect(g[0]![1]).toBe(0);
    expect(g[1]![0]).toBeCloseTo(0.8);
  });
});

describe("fast gate functions", () => {
  it("tanh and sigmoid within 3e-7 of Math", () => {
    let worst = 0;
    for (let x = -12; x <= 12; x += 1e-3) {
      worst = Math.max(worst, Math.abs(fastTanh(x) - Math.tanh(x)), Math.abs(fastSigmoid(x) - 1 / (1 + Math.exp(-x))));
    }
    expect(worst).toBeLessThan(3e-7);
  });
});

const KIND_TF: Record<"rnn" | "lstm" | "gru", RecurrentKind> = { rnn: "simpleRNN", lstm: "lstm", gru: "gru" };

for (const backend of ["wasm", "cpu"] as const) {
  describe(`TensorFlow.js (${backend})`, () => {
    beforeAll(async () => {
      await initBackend(backend);
    });

    for (const kind of ["rnn", "lstm", "gru"] as const) {
      it(`the scratch ${kind} equals tf.layers.${KIND_TF[kind]} with copied weights, values and gradients`, () => {
        const random = new Random(11);
        const cell = rnn.makeCell(kind, 3, 5, { random, scale: 0.7 });
        const xs = randomSeq(random, 7, 3);
        const w = Array.from({ length: 7 }, () => Float64Array.from({ length: 5 }, () => random.normal()));
        const trace = rnn.forward(cell, xs);
        const grads = rnn.gradList(cell, rnn.backward(cell, trace, w));
        for (const fast of [false, true]) {
          const layer = recurrentLayer(KIND_TF[kind], 5, { returnSequences: true, fast });
          const x = tf.tensor3d([xs], [1, 7, 3]);
          layer.apply(x);
          const weights = cellToTfWeights(cell);
          layer.setWeights(weights);
          const wt = tf.tensor3d([w.map((v) => Array.from(v))], [1, 7, 5]);
          const vars = layer.trainableWeights.map((v) => v.read());
          const { value, grads: g } = tf.variableGrads(() => (layer.apply(x) as tf.Tensor).mul(wt).sum() as tf.Scalar, layer.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val));
          const y = (layer.apply(x) as tf.Tensor).arraySync() as number[][][];
          const expected = trace.h.map((h) => Array.from(h));
          for (let t = 0; t < 7; t++) for (let k = 0; k < 5; k++) expect(Math.abs(y[0]![t]![k]! - expected[t]![k]!)).toBeLessThan(2e-5);
          const names = Object.keys(g);
          const [dK, dR, dB] = names.map((n) => g[n]!.dataSync());
          const mapped = tfGradsToCell(cell, dK!, dR!, dB!);
          mapped.forEach((m, p) => m.forEach((v, i) => expect(Math.abs(v - grads[p]![i]!)).toBeLessThan(1e-4 * (1 + Math.abs(grads[p]![i]!)))));
          expect(Math.abs(value.dataSync()[0]! - lossOf(cell, xs, w))).toBeLessThan(1e-4);
          tf.dispose([x, wt, value, ...Object.values(g), ...weights, ...vars.filter(() => false)]);
          layer.dispose();
        }
      });
    }

    /** The fused op against the stock layer: same weights, values and all gradients, with masks and goBackwards. */
    for (const kind of ["simpleRNN", "lstm", "gru"] as const) {
      for (const variant of ["sequences", "last + mask", "goBackwards + mask"] as const) {
        it(`recurrentOp ${kind} (${variant}) equals the stock layer, values and gradients`, () => {
          const [B, T, I, H] = [4, 9, 3, 6];
          const returnSequences = variant === "sequences";
          const goBackwards = variant.startsWith("goBackwards");
          const stock = recurrentLayer(kind, H, { returnSequences, goBackwards, fast: false });
          const random = new Random(7);
          const x = tf.tensor3d(random.normalArray(B * T * I), [B, T, I]);
          const maskValues = Int32Array.from({ length: B * T }, (_, i) => (variant === "sequences" ? 1 : (i % T) >= (i / T | 0) ? 1 : 0)); // row b: the first b steps padded
          const mask = variant === "sequences" ? null : tf.tensor2d(maskValues, [B, T], "bool");
          stock.apply(x, mask ? { mask } : {});
          const [k, r, b] = stock.getWeights();
          const bias = tf.tensor1d(random.normalArray(b!.size, 0, 0.5));
          const kernel = k!, recurrent = r!.mul(1.3);
          const dyShape = returnSequences ? [B, T, H] : [B, H];
          const dy = tf.tensor(random.normalArray(dyShape.reduce((a, c) => a * c)), dyShape);
          stock.setWeights([kernel, recurrent, bias]);
          const f1 = (xx: tf.Tensor, kk: tf.Tensor, rr: tf.Tensor, bb: tf.Tensor) => {
            stock.setWeights([kk, rr, bb]);
            return (stock.apply(xx, mask ? { mask } : {}) as tf.Tensor).mul(dy).sum();
          };
          // Stock gradients through variables (layers read variables), the fused op's through tf.grads.
          const vars = stock.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
          const xv = tf.variable(x);
          const stockRun = tf.variableGrads(() => (stock.apply(xv, mask ? { mask } : {}) as tf.Tensor).mul(dy).sum() as tf.Scalar, [xv, ...vars]);
          const fused = tf.grads((xx: tf.Tensor, kk: tf.Tensor, rr: tf.Tensor, bb: tf.Tensor) =>
            recurrentOp(xx, kk, rr, bb, { kind, returnSequences, goBackwards, mask }).mul(dy).sum());
          const fusedGrads = fused([x, kernel, recurrent, bias]);
          const fusedValue = recurrentOp(x, kernel, recurrent, bias, { kind, returnSequences, goBackwards, mask });
          const stockValue = stock.apply(x, mask ? { mask } : {}) as tf.Tensor;
          expect(tf.max(tf.abs(fusedValue.sub(stockValue))).dataSync()[0]).toBeLessThan(1e-5);
          const stockList = [xv, ...vars].map((v) => stockRun.grads[v.name]!);
          stockList.forEach((s, i) => {
            const diff = tf.max(tf.abs(s.sub(fusedGrads[i]!))).dataSync()[0]!;
            const scale = tf.max(tf.abs(s)).dataSync()[0]!;
            expect(diff).toBeLessThan(1e-4 * (1 + scale));
          });
          void f1;
          tf.dispose([x, bias, recurrent, dy, xv, stockRun.value, ...Object.values(stockRun.grads), ...fusedGrads, fusedValue, stockValue]);
          if (mask) mask.dispose();
          stock.dispose();
        });
      }
    }

    /** An encoder–decoder's hand-over: the fused op from an initial state, returning its final state, against the stock layer. */
    for (const kind of ["simpleRNN", "lstm", "gru"] as const) {
      for (const variant of ["sequences", "last + mask + goBackwards"] as const) {
        it(`recurrentOp ${kind} (${variant}) from an initial state, returning its final state, equals the stock layer, values and gradients`, () => {
          const [B, T, I, H] = [3, 5, 2, 4];
          const returnSequences = variant === "sequences";
          const goBackwards = !returnSequences;
          const S = kind === "lstm" ? 2 : 1;
          const random = new Random(5);
          const stock = recurrentLayer(kind, H, { returnSequences, returnState: true, goBackwards, fast: false });
          const x = tf.tensor3d(random.normalArray(B * T * I), [B, T, I]);
          const mask = returnSequences ? null : tf.tensor2d(Int32Array.from({ length: B * T }, (_, i) => ((i % T) >= (i / T | 0) ? 1 : 0)), [B, T], "bool");
          const initial = Array.from({ length: S }, () => tf.tensor2d(random.normalArray(B * H, 0, 0.5), [B, H]));
          stock.apply(x, { initialState: initial });
          const [k, r] = stock.getWeights();
          const bias = tf.tensor1d(random.normalArray(S === 2 ? 4 * H : kind === "gru" ? 3 * H : H, 0, 0.5));
          stock.setWeights([k!, r!, bias]);
          // A loss that looks at the output and at every piece of the final state.
          const outShape = returnSequences ? [B, T, H] : [B, H];
          const weights = [outShape, ...initial.map(() => [B, H])].map((shape) => tf.tensor(random.normalArray(shape.reduce((a, c) => a * c)), shape));
          const loss = (outs: tf.Tensor[]) => tf.addN(outs.map((o, i) => o.mul(weights[i]!).sum())) as tf.Scalar;
          const xv = tf.variable(x);
          const hv = initial.map((h) => tf.variable(h));
          const vars = stock.trainableWeights.map((v) => (v as unknown as { val: tf.Variable }).val);
          const stockRun = tf.variableGrads(() => loss(stock.apply(xv, { initialState: hv, ...(mask ? { mask } : {}) }) as tf.Tensor[]), [xv, ...vars, ...hv]);
          const options = { kind, returnSequences, goBackwards, mask, returnState: true as const };
          const fused = tf.grads((...a: tf.Tensor[]) => loss(recurrentOp(a[0]!, a[1]!, a[2]!, a[3]!, { ...options, initialState: a.slice(4) })));
          const fusedGrads = fused([x, k!, r!, bias, ...initial]);
          const fusedOuts = recurrentOp(x, k!, r!, bias, { ...options, initialState: initial });
          const stockOuts = stock.apply(x, { initialState: initial, ...(mask ? { mask } : {}) }) as tf.Tensor[];
          expect(fusedOuts.map((o) => o.shape)).toEqual(stockOuts.map((o) => o.shape));
          fusedOuts.forEach((o, i) => expect(tf.max(tf.abs(o.sub(stockOuts[i]!))).dataSync()[0]).toBeLessThan(1e-5));
          [xv, ...vars, ...hv].forEach((v, i) => {
            const s = stockRun.grads[v.name]!;
            const diff = tf.max(tf.abs(s.sub(fusedGrads[i]!))).dataSync()[0]!;
            expect(diff).toBeLessThan(1e-4 * (1 + tf.max(tf.abs(s)).dataSync()[0]!));
          });
          // The initial state matters: its gradient is not zero.
          expect(tf.max(tf.abs(fusedGrads[4]!)).dataSync()[0]).toBeGreaterThan(1e-3);
          tf.dispose([x, bias, xv, ...hv, ...initial, ...weights, stockRun.value, ...Object.values(stockRun.grads), ...fusedGrads, ...fusedOuts, ...stockOuts]);
          if (mask) mask.dispose();
          stock.dispose();
        });
      }
    }

    it("recurrentOp names an initial state of the wrong kind or shape", () => {
      const x = tf.zeros([2, 3, 4]);
      const [k, r, b] = [tf.zeros([4, 20]), tf.zeros([5, 20]), tf.zeros([20])];
      const [h, narrow] = [tf.zeros([2, 5]), tf.zeros([2, 4])];
      expect(() => recurrentOp(x, k, r, b, { kind: "lstm", initialState: [h] })).toThrow("recurrentOp: a lstm's initial state is [h, c], each [2, 5]; got [2,5]");
      expect(() => recurrentOp(x, k, r, b, { kind: "lstm", initialState: [h, narrow] })).toThrow(/got \[2,5\], \[2,4\]/);
      tf.dispose([x, k, r, b, h, narrow]);
    });

    it("an encoder–decoder on fused layers (the encoder's final state starts the decoder) equals one on stock layers", () => {
      for (const cell of ["lstm", "gru"] as const) {
        const [fused, stock] = [true, false].map((fast) => seq2seqAttention({ sourceVocab: 7, targetVocab: 6, sourceLength: 4, targetLength: 3, embedding: 3, units: 5, cell, fast }).model);
        expect(fused!.layers.some((l) => l instanceof Recurrent)).toBe(true);
        expect(stock!.layers.some((l) => l instanceof Recurrent)).toBe(false);
        const random = new Random(3);
        stock!.setWeights(fused!.getWeights().map((w) => tf.tensor(random.normalArray(w.size, 0, 0.5), w.shape)));
        fused!.setWeights(stock!.getWeights());
        const inputs = [tf.tensor2d([[1, 2, 3, 4], [6, 5, 0, 0]], [2, 4], "int32"), tf.tensor2d([[1, 2, 3], [1, 5, 4]], [2, 3], "int32")];
        const [a, b] = [fused!, stock!].map((m) => m.predict(inputs) as tf.Tensor);
        expect(a!.shape).toEqual([2, 3, 6]);
        expect(tf.max(tf.abs(a!.sub(b!))).dataSync()[0]).toBeLessThan(1e-5);
        // The hand-over matters: another encoder state changes the decoder's output.
        const encoder = fused!.getLayer("encoder");
        encoder.setWeights(encoder.getWeights().map((w) => w.mul(0.5)));
        const c = fused!.predict(inputs) as tf.Tensor;
        expect(tf.max(tf.abs(c.sub(b!))).dataSync()[0]).toBeGreaterThan(1e-3);
        tf.dispose([...inputs, a!, b!, c]);
      }
    });

    it("a fast LSTM model trains to the same weights as the stock one (two Adam steps)", async () => {
      const random = new Random(1);
      const x = tf.tensor3d(random.normalArray(8 * 10 * 2), [8, 10, 2]);
      const y = tf.tensor2d(random.normalArray(8), [8, 1]);
      const models = [true, false].map((fast) => sequenceModel({ kind: "lstm", units: [6], steps: 10, features: 2, fast }));
      models[1]!.setWeights(models[0]!.getWeights());
      for (const m of models) {
        m.compile({ optimizer: tf.train.adam(0.01), loss: "meanSquaredError" });
        await m.trainOnBatch(x, y);
        await m.trainOnBatch(x, y);
      }
      const [a, b] = models.map((m) => m.getWeights().map((w) => Array.from(w.dataSync())));
      a!.forEach((w, i) => w.forEach((v, j) => expect(Math.abs(v - b![i]![j]!)).toBeLessThan(1e-4)));
      tf.dispose([x, y]);
    });

    it("token models with padding: the mask makes pre-padding invisible; bidirectional and stacked build", () => {
      const model = sequenceModel({ kind: "gru", units: [5, 4], steps: 6, vocabulary: 20, embedding: 3, bidirectional: true, outputActivation: "sigmoid" });
      const padded = tf.tensor2d([[0, 0, 0, 4, 5, 6]], [1, 6], "int32");
      const short = sequenceModel({ kind: "gru", units: [5, 4], steps: 3, vocabulary: 20, embedding: 3, bidirectional: true, outputActivation: "sigmoid" });
      short.setWeights(model.getWeights());
      const a = (model.predict(padded) as tf.Tensor).dataSync()[0]!;
      const b = (short.predict(tf.tensor2d([[4, 5, 6]], [1, 3], "int32")) as tf.Tensor).dataSync()[0]!;
      expect(Math.abs(a - b)).toBeLessThan(1e-5);
      expect(model.layers.some((l) => l instanceof Recurrent)).toBe(true);
    });
  });
}
