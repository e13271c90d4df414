import { describe, expect, it } from "vitest";
import { activate, activation, softmax, softmaxJacobian, type Activation } from "../lib/src/scratch/activations";

const [sigmoid, tanh, relu, step] = (["sigmoid", "tanh", "relu", "step"] as const).map((name) => activation(name));
const leakyRelu = (alpha?: number) => activation("leakyRelu", { alpha });
const elu = (alpha?: number) => activation("elu", { alpha });

const points = [-3.7, -1.2, -0.3, 0.4, 0.9, 2.5, 6];
const h = 1e-5;
const central = (f: (z: number) => number, z: number) => (f(z + h) - f(z - h)) / (2 * h);

describe("activations", () => {
  const smooth: Activation[] = [sigmoid, tanh, relu, leakyRelu(), leakyRelu(0.2), elu(), elu(0.5), activation("linear")];
  for (const a of smooth) {
    it(`${a.name}: derivative matches centred finite differences`, () => {
      for (const z of points) expect(a.df(z)).toBeCloseTo(central(a.f, z), 7);
    });
  }

  it("has the textbook values", () => {
    expect(sigmoid.f(0)).toBe(0.5);
    expect(sigmoid.f(4)).toBeCloseTo(0.98201, 5);
    expect(sigmoid.f(-2)).toBeCloseTo(0.11920, 5);
    expect(tanh.f(2)).toBeCloseTo(0.96403, 5);
    expect(relu.f(-2)).toBe(0);
    expect(relu.f(3)).toBe(3);
    expect(leakyRelu(0.1).f(-2)).toBeCloseTo(-0.2, 12);
    expect(elu().f(-1)).toBeCloseTo(Math.exp(-1) - 1, 12);
    expect(step.f(0)).toBe(1);
    expect(step.f(-1e-9)).toBe(0);
    expect(step.df(3)).toBe(0);
  });

  it("sigmoid neither overflows nor loses the tails", () => {
    expect(sigmoid.f(-800)).toBe(0);
    expect(sigmoid.f(800)).toBe(1);
    expect(sigmoid.f(-40)).toBeGreaterThan(0);
    expect(Number.isFinite(sigmoid.df(-800))).toBe(true);
  });

  it("softmax sums to 1, keeps the order of the logits, and is shift-invariant", () => {
    const s = softmax([1, 2, 3]);
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(s[0]).toBeCloseTo(0.09003057, 8);
    expect(s[2]).toBeCloseTo(0.66524096, 8);
    const t = softmax([101, 102, 103]);
    for (let i = 0; i < 3; i++) expect(t[i]).toBeCloseTo(s[i]!, 14);
  });

  it("softmax is stable for large logits", () => {
    const s = softmax([1000, 1001, 999]);
    expect(s.every(Number.isFinite)).toBe(true);
    expect(s.reduce((a, b) => a + b, 0)).toBeCloseTo(1, 14);
    expect(s[1]).toBeCloseTo(1 / (1 + Math.exp(-1) + Math.exp(-2)), 12);
    expect(Array.from(softmax([-1000, 0]))).toEqual([0, 1]);
  });

  it("softmax Jacobian matches centred finite differences", () => {
    const z = [0.3, -1.2, 2.0, 0.7];
    const J = softmaxJacobian(z);
    for (let j = 0; j < z.length; j++) {
      const plus = z.slice();
      const minus = z.slice();
      plus[j]! += h;
      minus[j]! -= h;
      const sp = softmax(plus);
      const sm = softmax(minus);
      for (let i = 0; i < z.length; i++) expect(J[i * z.length + j]).toBeCloseTo((sp[i]! - sm[i]!) / (2 * h), 8);
    }
  });

  it("activate applies by name, element-wise or on the whole vector", () => {
    expect(Array.from(activate("relu", [-1, 2]))).toEqual([0, 2]);
    expect(Array.from(activate("softmax", [0, 0]))).toEqual([0.5, 0.5]);
    expect(() => activation("swish" as never)).toThrow(/unknown activation "swish"/);
    expect(() => activation("toString" as never)).toThrow(/unknown activation/);
    expect(() => activation("relu", { alpha: 0.1 })).toThrow(/no α/);
    expect(activation("leakyRelu")).toBe(activation("leakyRelu"));
    expect(activation("leakyRelu", { alpha: 0.2 }).df(-1)).toBe(0.2);
    expect(() => softmax([])).toThrow(/empty/);
  });
});
