import { beforeAll, describe, expect, it } from "vitest";
import { Value, graphNodes, topologicalOrder, value } from "../lib/src/scratch/autodiff";
import { graphFigure } from "../lib/src/display/graph";
import { relativeError } from "../lib/src/scratch/gradcheck";
import { initBackend, tf } from "../lib/src/tfjs/backend";

beforeAll(async () => {
  await initBackend("cpu");
});

/** A function that uses every operation of the engine, written once for Values and once for tf tensors. */
function exprValue(a: Value, b: Value, c: Value): Value {
  const u = a.mul(b).add(c.pow(3)).sub(b.div(c)); // a·b + c³ − b/c
  const v = u.tanh().add(a.sigmoid().mul(c.exp())).sub(b.relu()); // tanh u + σ(a)·eᶜ − relu(b)
  return v.mul(v).add(a.mul(a).add(1).log()).div(2); // (v² + ln(a² + 1)) / 2
}
function exprTf(a: tf.Scalar, b: tf.Scalar, c: tf.Scalar): tf.Scalar {
  const u = a.mul(b).add(c.pow(3)).sub(b.div(c));
  const v = u.tanh().add(a.sigmoid().mul(c.exp())).sub(b.relu());
  return v.mul(v).add(a.mul(a).add(1).log()).div(2) as tf.Scalar;
}

function centred(f: (x: number[]) => number, x: number[], h = 1e-6): number[] {
  return x.map((_, i) => {
    const p = [...x];
    const m = [...x];
    p[i]! += h;
    m[i]! -= h;
    return (f(p) - f(m)) / (2 * h);
  });
}

describe("scalar autodiff", () => {
  it("local derivatives of each operation", () => {
    const x = value(0.7);
    const cases: [(v: Value) => Value, (t: number) => number][] = [
      [(v) => v.exp(), (t) => Math.exp(t)],
      [(v) => v.log(), (t) => 1 / t],
      [(v) => v.tanh(), (t) => 1 - Math.tanh(t) ** 2],
      [(v) => v.sigmoid(), (t) => Math.exp(-t) / (1 + Math.exp(-t)) ** 2],
      [(v) => v.relu(), () => 1],
      [(v) => v.pow(2.5), (t) => 2.5 * t ** 1.5],
      [(v) => v.neg(), () => -1],
      [(v) => value(3).div(v), (t) => -3 / t ** 2],
    ];
    for (const [f, df] of cases) {
      f(x).backward();
      expect(x.grad).toBeCloseTo(df(0.7), 12);
    }
    const neg = value(-0.5);
    neg.relu().backward();
    expect(neg.grad).toBe(0);
  });

  it("a reused node accumulates gradient from every path (f = x·x + x ⇒ f′ = 2x + 1)", () => {
    const x = value(3);
    x.mul(x).add(x).backward();
    expect(x.grad).toBe(7);
  });

  it("backward twice gives the same gradients (grads are reset, not accumulated across calls)", () => {
    const a = value(1.5);
    const f = a.mul(a).tanh();
    f.backward();
    const g = a.grad;
    f.backward();
    expect(a.grad).toBe(g);
  });

  const points = [[0.5, -1.2, 0.8], [-0.3, 0.9, 1.7], [1.1, 0.4, -0.6]];
  it("matches centred finite differences (relative error < 1e-8)", () => {
    for (const p of points) {
      const [a, b, c] = p.map((x) => value(x)) as [Value, Value, Value];
      exprValue(a, b, c).backward();
      const numeric = centred((x) => exprValue(value(x[0]!), value(x[1]!), value(x[2]!)).data, p);
      [a, b, c].forEach((v, i) => expect(relativeError(v.grad, numeric[i]!)).toBeLessThan(1e-8));
    }
  });

  it("matches TensorFlow.js autodiff (tf.grads) to float32 tolerance", () => {
    const gradsTf = tf.grads((a: tf.Tensor, b: tf.Tensor, c: tf.Tensor) => exprTf(a as tf.Scalar, b as tf.Scalar, c as tf.Scalar));
    for (const p of points) {
      const [a, b, c] = p.map((x) => value(x)) as [Value, Value, Value];
      const out = exprValue(a, b, c);
      out.backward();
      const tfOut = tf.tidy(() => exprTf(tf.scalar(p[0]!), tf.scalar(p[1]!), tf.scalar(p[2]!)).dataSync()[0]!);
      expect(relativeError(out.data, tfOut)).toBeLessThan(1e-5);
      const g = tf.tidy(() => gradsTf(p.map((x) => tf.scalar(x))).map((t) => t.dataSync()[0]!));
      [a, b, c].forEach((v, i) => expect(relativeError(v.grad, g[i]!)).toBeLessThan(1e-5));
    }
  });

  it("orders the graph topologically and lists it", () => {
    const a = value(2, "a");
    const b = value(-3, "b");
    const e = a.mul(b);
    const d = e.add(a);
    const order = topologicalOrder(d);
    expect(order.at(-1)).toBe(d);
    expect(order.indexOf(e)).toBeGreaterThan(order.indexOf(a));
    expect(order.indexOf(e)).toBeGreaterThan(order.indexOf(b));
    expect(order).toHaveLength(4);
    d.backward();
    const nodes = graphNodes(d);
    expect(nodes.map((n) => n.label)).toEqual(order.map((v) => v.label || v.op));
    const last = nodes.at(-1)!;
    expect(last).toMatchObject({ op: "+", data: -4, grad: 1, depth: 2 });
    expect(nodes.find((n) => n.label === "a")).toMatchObject({ grad: -2, depth: 0 }); // ∂d/∂a = b + 1
    const fig = graphFigure(graphNodes(d), { name: "small-graph" });
    expect(fig.name).toBe("small-graph");
    expect(fig.data).toHaveLength(1);
    expect((fig.layout["annotations"] as unknown[]).length).toBe(4); // one arrow per edge: a→e, b→e, e→d, a→d
    // A leaf is drawn just left of its first use: c only enters at depth 3, so it sits in column 2.
    const c = value(5, "c");
    const f = d.mul(c);
    const xs = graphFigure(graphNodes(f)).data[0]!["x"] as number[];
    const column = (v: Value) => xs[topologicalOrder(f).indexOf(v)];
    expect([column(a), column(b), column(e), column(d), column(c), column(f)]).toEqual([0, 0, 1, 2, 2, 3]);
  });

  it("handles deep graphs without overflowing the stack", () => {
    let x = value(1);
    const start = x;
    for (let i = 0; i < 20000; i++) x = x.mul(1);
    x.backward();
    expect(start.grad).toBe(1);
  });

  it("refuses the log of a non-positive value with a hint", () => {
    expect(() => value(0).log()).toThrow(/clip probabilities/);
  });
});
