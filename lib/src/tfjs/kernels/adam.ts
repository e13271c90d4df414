/**
 * Adam's update of one variable as one kernel instead of tfjs's fourteen elementwise operations (each with
 * its scalar tensors and dispatch): for a LeNet-5 step that is 10 kernel calls instead of ≈ 140. The
 * arithmetic is tfjs's own, in the same order: m ← β₁m + (1 − β₁)g, v ← β₂v + (1 − β₂)g²,
 * θ ← θ − η·m̂/(√v̂ + ε) with m̂ = m/(1 − β₁ᵗ), v̂ = v/(1 − β₂ᵗ) (float32 rounding differs by a few ulps).
 * On wasm the loop runs as WebAssembly SIMD (adam_wasm.ts), the last n mod 4 values here.
 * `tf.train.adam` gets it through `useFusedAdam`, which the lib calls once when it loads tf; on a backend
 * without the kernel (tfjs-node) the stock update runs. Lecture 003 (optimizers, Adam).
 */
import * as tf from "@tensorflow/tfjs";
import { output, values } from "./call";
import { adamWasm } from "./adam_wasm";

/** The fused update's kernel name in tfjs's registry. Notebooks 03, 05, 06 (lecture 003, Adam). */
export const FUSED_ADAM = "RetiFusedAdam";

/** Attributes of one update: the optimizer's constants and the bias corrections 1 − β₁ᵗ, 1 − β₂ᵗ. */
interface AdamAttrs {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  correction1: number;
  correction2: number;
}

/** The fused Adam kernel for `backendName`: inputs x, g, m, v; outputs the new x, m, v. Lecture 003 (Adam). */
export function makeFusedAdam(backendName: string): tf.KernelConfig {
  const kernelFunc: tf.KernelFunc = ({ inputs, backend: b, attrs }) => {
    const backend = b as tf.KernelBackend;
    const { x, g, m, v } = inputs as Record<"x" | "g" | "m" | "v", tf.TensorInfo>;
    const { learningRate, beta1, beta2, epsilon, correction1, correction2 } = attrs as unknown as AdamAttrs;
    const outX = output(backend, x.shape, false);
    const outM = output(backend, x.shape, false);
    const outV = output(backend, x.shape, false);
    const [a1, a2] = [Math.fround(1 - beta1), Math.fround(1 - beta2)];
    const [c1, c2, lr] = [Math.fround(correction1), Math.fround(correction2), Math.fround(learningRate)];
    const constants = { beta1, oneMinusBeta1: a1, beta2, oneMinusBeta2: a2, learningRate: lr, correction1: c1, correction2: c2, epsilon };
    const done = adamWasm(backend, [x, g, m, v], [outX.info, outM.info, outV.info], tf.util.sizeFromShape(x.shape), constants);
    const [X, G, M, V] = [values(backend, x), values(backend, g), values(backend, m), values(backend, v)];
    const [X1, M1, V1] = [outX.values(), outM.values(), outV.values()];
    for (let i = done; i < X.length; i++) {
      const gi = G[i]!;
      const mi = beta1 * M[i]! + a1 * gi;
      const vi = beta2 * V[i]! + a2 * gi * gi;
      M1[i] = mi;
      V1[i] = vi;
      X1[i] = X[i]! - (lr * (mi / c1)) / (Math.sqrt(vi / c2) + epsilon);
    }
    return [outX.info, outM.info, outV.info];
  };
  return { kernelName: FUSED_ADAM, backendName, kernelFunc };
}

type Gradients = tf.NamedTensorMap | { name: string; tensor: tf.Tensor }[];

/** The parts of tfjs's AdamOptimizer that its `applyGradients` uses (protected or untyped in its declarations). */
interface AdamInternals {
  learningRate: number;
  beta1: number;
  beta2: number;
  epsilon: number;
  accBeta1: tf.Variable;
  accBeta2: tf.Variable;
  accumulatedFirstMoment: { originalName: string; variable: tf.Variable }[];
  accumulatedSecondMoment: { originalName: string; variable: tf.Variable }[];
  incrementIterations(): void;
}

let installed = false;

/**
 * Makes every `tf.train.adam` optimizer update its variables with the fused kernel when the active backend
 * has it (state, weights and serialisation stay tfjs's). Idempotent. Notebooks 03, 05, 06 (training with Adam).
 */
export function useFusedAdam(): void {
  if (installed) return;
  installed = true;
  const proto = tf.AdamOptimizer.prototype as unknown as { applyGradients(g: Gradients): void };
  const stock = proto.applyGradients;
  proto.applyGradients = function applyGradients(this: AdamInternals, variableGradients: Gradients): void {
    if (tf.getKernel(FUSED_ADAM, tf.getBackend()) === undefined) {
      stock.call(this, variableGradients);
      return;
    }
    const names = Array.isArray(variableGradients) ? variableGradients.map((v) => v.name) : Object.keys(variableGradients);
    // The bias corrections from the optimizer's float32 β powers, exactly as the stock update computes them.
    const [p1, p2] = [this.accBeta1.dataSync()[0]!, this.accBeta2.dataSync()[0]!];
    const attrs = {
      learningRate: this.learningRate,
      beta1: this.beta1,
      beta2: this.beta2,
      epsilon: this.epsilon,
      correction1: Math.fround(1 - p1),
      correction2: Math.fround(1 - p2),
    };
    tf.tidy(() => {
      names.forEach((name, i) => {
        const value = tf.engine().registeredVariables[name]!;
        this.accumulatedFirstMoment[i] ??= { originalName: `${name}/m`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        this.accumulatedSecondMoment[i] ??= { originalName: `${name}/v`, variable: tf.tidy(() => tf.zerosLike(value).variable(false)) };
        const gradient = Array.isArray(variableGradients) ? variableGradients[i]!.tensor : variableGradients[name];
        if (gradient == null) return;
        const m = this.accumulatedFirstMoment[i]!.variable;
        const v = this.accumulatedSecondMoment[i]!.variable;
        const [x1, m1, v1] = tf.engine().runKernel(FUSED_ADAM, { x: value, g: gradient, m, v }, attrs as unknown as tf.NamedAttrMap) as tf.Tensor[];
        m.assign(m1!);
        v.assign(v1!);
        value.assign(x1!);
      });
      this.accBeta1.assign(tf.mul(this.accBeta1, this.beta1));
      this.accBeta2.assign(tf.mul(this.accBeta2, this.beta2));
    });
    this.incrementIterations();
  };
}
