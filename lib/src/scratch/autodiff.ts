/**
 * A tiny scalar automatic-differentiation engine (micrograd-style): every `Value` remembers the
 * values it was computed from and how to push its gradient back to them, so `backward()` applies
 * the chain rule over the computational graph in reverse topological order.
 * Notebook 03 — lectures 000 (backpropagazione, differenziazione automatica), 001 (backprop by the chain rule),
 * 003 (backpropagation as automatic differentiation on a computational graph).
 */
import type { GraphNode } from "../core/graph";

/**
 * A scalar node of a computational graph: its value `data`, the gradient ∂L/∂(this) accumulated by
 * `backward()` in `grad`, the operation that made it and the nodes it came from. Each operation
 * defines its local backward pass right next to its forward pass. Notebook 03 (lecture 000, backpropagazione).
 */
export class Value {
  /** ∂L/∂(this node), filled in by `backward()` on the output L. */
  grad = 0;
  /** Pushes this node's `grad` to its inputs' `grad` (the local chain rule). */
  private backwardStep: () => void = () => {};

  constructor(
    /** The forward value. */
    public data: number,
    /** The nodes this one was computed from. */
    readonly inputs: readonly Value[] = [],
    /** The operation that produced it ("" for a leaf: an input or a parameter). */
    readonly op = "",
    /** Optional name shown in graph listings (e.g. "w1"). */
    public label = "",
  ) {
    if (typeof data !== "number") throw new Error(`Value needs a number, got ${typeof data}`);
  }

  /** this + other; ∂/∂a = ∂/∂b = 1. */
  add(other: Value | number): Value {
    const o = toValue(other);
    const out = new Value(this.data + o.data, [this, o], "+");
    out.backwardStep = () => {
      this.grad += out.grad;
      o.grad += out.grad;
    };
    return out;
  }

  /** this · other; ∂/∂a = b, ∂/∂b = a. */
  mul(other: Value | number): Value {
    const o = toValue(other);
    const out = new Value(this.data * o.data, [this, o], "×");
    out.backwardStep = () => {
      this.grad += o.data * out.grad;
      o.grad += this.data * out.grad;
    };
    return out;
  }

  /** thisⁿ for a constant exponent n; ∂/∂a = n aⁿ⁻¹. */
  pow(n: number): Value {
    const out = new Value(this.data ** n, [this], `^${n}`);
    out.backwardStep = () => {
      this.grad += n * this.data ** (n - 1) * out.grad;
    };
    return out;
  }

  /** −this. */
  neg(): Value {
    return this.mul(-1);
  }

  /** this − other, built as this + (−other). */
  sub(other: Value | number): Value {
    return this.add(toValue(other).neg());
  }

  /** this / other, built as this · other⁻¹. */
  div(other: Value | number): Value {
    return this.mul(toValue(other).pow(-1));
  }

  /** eᵃ; ∂/∂a = eᵃ. */
  exp(): Value {
    const e = Math.exp(this.data);
    const out = new Value(e, [this], "exp");
    out.backwardStep = () => {
      this.grad += e * out.grad;
    };
    return out;
  }

  /** ln a (a > 0); ∂/∂a = 1/a. */
  log(): Value {
    if (!(this.data > 0)) throw new Error(`log of a non-positive value ${this.data}; clip probabilities away from 0 before taking logs`);
    const out = new Value(Math.log(this.data), [this], "log");
    out.backwardStep = () => {
      this.grad += out.grad / this.data;
    };
    return out;
  }

  /** tanh a; ∂/∂a = 1 − tanh² a. */
  tanh(): Value {
    const t = Math.tanh(this.data);
    const out = new Value(t, [this], "tanh");
    out.backwardStep = () => {
      this.grad += (1 - t * t) * out.grad;
    };
    return out;
  }

  /** σ(a) = 1/(1 + e⁻ᵃ); ∂/∂a = σ(a)(1 − σ(a)), at most ¼ (saturation). */
  sigmoid(): Value {
    const s = 1 / (1 + Math.exp(-this.data));
    const out = new Value(s, [this], "σ");
    out.backwardStep = () => {
      this.grad += s * (1 - s) * out.grad;
    };
    return out;
  }

  /** ReLU max(0, a); ∂/∂a = 1 for a > 0, else 0. */
  relu(): Value {
    const out = new Value(Math.max(0, this.data), [this], "ReLU");
    out.backwardStep = () => {
      this.grad += (this.data > 0 ? 1 : 0) * out.grad;
    };
    return out;
  }

  /**
   * Backpropagation from this node: sets ∂(this)/∂(this) = 1, zeroes every other gradient in the graph,
   * and calls each node's local backward step in reverse topological order (a node after everything it feeds).
   */
  backward(): void {
    const order = topologicalOrder(this);
    for (const v of order) v.grad = 0;
    this.grad = 1;
    for (let k = order.length - 1; k >= 0; k--) order[k]!.backwardStep();
  }

  /** "label = data" for display. */
  toString(): string {
    return `Value(${this.label ? this.label + " = " : ""}${this.data}, grad ${this.grad})`;
  }
}

/** Wraps a number as a leaf `Value` (a constant, an input or a parameter). Notebooks 01, 03 and 05 (lecture 000, backpropagazione). */
export function value(data: number, label = ""): Value {
  return new Value(data, [], "", label);
}

function toValue(x: Value | number): Value {
  return x instanceof Value ? x : new Value(x);
}

/** The nodes of the graph below `root`, each after all of its inputs (inputs first, root last). Lecture 003 (computational graph). */
export function topologicalOrder(root: Value): Value[] {
  const order: Value[] = [];
  const seen = new Set<Value>();
  // Iterative depth-first search, so deep graphs do not overflow the call stack.
  const stack: [Value, boolean][] = [[root, false]];
  while (stack.length > 0) {
    const [v, expanded] = stack.pop()!;
    if (expanded) {
      order.push(v);
      continue;
    }
    if (seen.has(v)) continue;
    seen.add(v);
    stack.push([v, true]);
    for (const u of v.inputs) if (!seen.has(u)) stack.push([u, false]);
  }
  return order;
}


/** Lists the computational graph below `root` in topological order, for tables and drawings. Notebook 03 (lecture 003, computational graph). */
export function graphNodes(root: Value): GraphNode[] {
  const order = topologicalOrder(root);
  const id = new Map(order.map((v, i) => [v, i]));
  const nodes: GraphNode[] = [];
  for (const [i, v] of order.entries()) {
    const inputs = v.inputs.map((u) => id.get(u)!);
    const depth = inputs.length === 0 ? 0 : 1 + Math.max(...inputs.map((j) => nodes[j]!.depth));
    nodes.push({ id: i, label: v.label || (v.op === "" ? String(v.data) : v.op), op: v.op, data: v.data, grad: v.grad, inputs, depth });
  }
  return nodes;
}
