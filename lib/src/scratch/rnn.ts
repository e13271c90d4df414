/**
 * Recurrent cells from scratch on plain Float64Arrays, one sequence at a time, with their backward passes
 * (backpropagation through time): the vanilla cell (cella) h_t = φ(W x_t + U h_{t−1} + b), the LSTM
 * (forget f, input i, candidate g, output o; cell state c_t = f⊙c_{t−1} + i⊙g, h_t = o⊙tanh(c_t)) and the
 * GRU of lecture 002 (reset r, update u, candidate h̃ = tanh(W x_t + U (r⊙h_{t−1}) + b), h_t = (1−u)⊙h_{t−1} + u⊙h̃).
 * Column-vector convention: every W is units×inputs and every U units×units, row-major.
 * Notebook 06 (lectures 002, 004, 000, 003: RNN, BPTT, LSTM, GRU).
 */
import { type Random, rng } from "../core/random";

/** The three cells. Notebook 06 (lecture 002). */
export type CellKind = "rnn" | "lstm" | "gru";

/** The gate names of each cell, in the order `params` lists them. Notebook 06 (lecture 002, LSTM and GRU). */
export const GATES = { rnn: ["h"], lstm: ["f", "i", "g", "o"], gru: ["r", "u", "g"] } as const satisfies Record<CellKind, readonly string[]>;

/** One gate's (or the vanilla cell's) weights: input weights W (units×inputs), recurrent U (units×units), bias b. Notebook 06 (lecture 002). */
export interface GateWeights {
  W: Float64Array;
  U: Float64Array;
  b: Float64Array;
}

/** A recurrent cell: its kind, sizes, the vanilla cell's activation, and one GateWeights per gate (`GATES[kind]`). Notebook 06 (lectures 002, 004). */
export interface Cell {
  kind: CellKind;
  inputs: number;
  units: number;
  /** The vanilla cell's φ (default tanh; lecture 004 allows ReLU, lecture 003 warns against it). LSTM and GRU always use σ and tanh. */
  activation: "tanh" | "relu";
  gates: Record<string, GateWeights>;
}

/** Options of `makeCell`. */
export interface CellOptions {
  /** Weights and biases uniform in (−scale, scale) (default 1/√units, PyTorch's choice for recurrent layers). */
  scale?: number;
  /** The vanilla cell's activation (default "tanh"). */
  activation?: "tanh" | "relu";
  /** The generator (default the global seeded `rng()`). */
  random?: Random;
}

/** A cell with weights drawn uniform in (−1/√units, 1/√units) (PyTorch's default). Notebook 06 (lecture 002). */
export function makeCell(kind: CellKind, inputs: number, units: number, options: CellOptions = {}): Cell {
  if (!GATES[kind]) throw new Error(`makeCell: unknown cell "${kind}": choose rnn, lstm or gru`);
  if (!(Number.isInteger(inputs) && inputs >= 1 && Number.isInteger(units) && units >= 1)) {
    throw new RangeError(`makeCell: inputs and units must be positive integers, got ${inputs} and ${units}`);
  }
  const random = options.random ?? rng();
  const s = options.scale ?? 1 / Math.sqrt(units);
  const draw = (n: number) => Float64Array.from({ length: n }, () => random.uniform(-s, s));
  const gates: Record<string, GateWeights> = {};
  for (const g of GATES[kind]) gates[g] = { W: draw(units * inputs), U: draw(units * units), b: draw(units) };
  return { kind, inputs, units, activation: options.activation ?? "tanh", gates };
}

/** A cell with the given weights: `weights[g]` holds W, U, b for each gate g of `GATES[kind]`, as nested or flat arrays. Notebook 06 (lecture 002, worked LSTM pass). */
export function cellFrom(
  kind: CellKind,
  weights: Record<string, { W: ArrayLike<number> | number[][]; U: ArrayLike<number> | number[][]; b: ArrayLike<number> }>,
  activation: "tanh" | "relu" = "tanh",
): Cell {
  const flat = (m: ArrayLike<number> | number[][]) => Float64Array.from(Array.isArray(m) && Array.isArray(m[0]) ? (m as number[][]).flat() : (m as ArrayLike<number>));
  const first = weights[GATES[kind][0]];
  if (first === undefined) throw new Error(`cellFrom: a ${kind} cell needs gates ${GATES[kind].join(", ")}`);
  const units = first.b.length;
  const inputs = flat(first.W).length / units;
  const gates: Record<string, GateWeights> = {};
  for (const g of GATES[kind]) {
    const w = weights[g];
    if (w === undefined) throw new Error(`cellFrom: gate "${g}" is missing (a ${kind} cell has ${GATES[kind].join(", ")})`);
    const G = { W: flat(w.W), U: flat(w.U), b: Float64Array.from(w.b) };
    if (G.W.length !== units * inputs || G.U.length !== units * units || G.b.length !== units) {
      throw new RangeError(`cellFrom: gate "${g}" must have W ${units}×${inputs}, U ${units}×${units}, b ${units}`);
    }
    gates[g] = G;
  }
  return { kind, inputs, units, activation, gates };
}

/** The cell's parameter vectors in a fixed order (per gate: W, U, b), for optimisers and gradient checks. Notebook 06 (BPTT). */
export function params(cell: Cell): Float64Array[] {
  return GATES[cell.kind].flatMap((g) => [cell.gates[g]!.W, cell.gates[g]!.U, cell.gates[g]!.b]);
}

/** Number of trainable parameters: gates × (units·inputs + units² + units). Notebook 06 (lecture 002, GRU vs LSTM). */
export function countParams(kind: CellKind, inputs: number, units: number): number {
  return GATES[kind].length * (units * inputs + units * units + units);
}

const sigma = (z: number) => 1 / (1 + Math.exp(-z));

/** y = W x + U h + b (W rows × cols row-major). */
function affine(G: GateWeights, x: ArrayLike<number>, h: ArrayLike<number>, units: number): Float64Array {
  const I = x.length;
  const z = Float64Array.from(G.b);
  for (let k = 0; k < units; k++) {
    let s = z[k]!;
    for (let j = 0; j < I; j++) s += G.W[k * I + j]! * x[j]!;
    for (let j = 0; j < units; j++) s += G.U[k * units + j]! * h[j]!;
    z[k] = s;
  }
  return z;
}

/** What one step keeps for the backward pass: inputs, previous state, gate activations, new state. Notebook 06 (BPTT). */
export interface StepCache {
  x: Float64Array;
  hPrev: Float64Array;
  /** The LSTM's previous cell state (zeros for the other cells). */
  cPrev: Float64Array;
  /** Gate activations by name (for the vanilla cell: the pre-activation z under "z" and h under "h"). */
  act: Record<string, Float64Array>;
  /** The LSTM's cell state c_t (the long-term memory, memoria a lungo termine). */
  c: Float64Array;
  /** The hidden state h_t (stato nascosto; the short-term memory for the LSTM). */
  h: Float64Array;
}

/**
 * One step of the cell from state (h_{t−1}, c_{t−1}) on input x_t. Vanilla: h = φ(W x + U h + b);
 * LSTM: f, i, o = σ(·), g = tanh(·), c = f⊙c_{t−1} + i⊙g, h = o⊙tanh(c); GRU (lecture 002):
 * r, u = σ(·), h̃ = tanh(W x + U(r⊙h_{t−1}) + b), h = (1−u)⊙h_{t−1} + u⊙h̃. Notebook 06 (lecture 002).
 */
export function step(cell: Cell, x: ArrayLike<number>, hPrev?: ArrayLike<number>, cPrev?: ArrayLike<number>): StepCache {
  const H = cell.units;
  if (x.length !== cell.inputs) throw new RangeError(`step: x has ${x.length} values, the cell takes ${cell.inputs}`);
  const hp = hPrev === undefined ? new Float64Array(H) : Float64Array.from(hPrev);
  const cp = cPrev === undefined ? new Float64Array(H) : Float64Array.from(cPrev);
  if (hp.length !== H || cp.length !== H) throw new RangeError(`step: the state must have ${H} values`);
  const xv = Float64Array.from(x);
  const G = cell.gates;
  if (cell.kind === "rnn") {
    const z = affine(G.h!, xv, hp, H);
    const h = z.map((v) => (cell.activation === "relu" ? Math.max(0, v) : Math.tanh(v)));
    return { x: xv, hPrev: hp, cPrev: cp, act: { z, h }, c: new Float64Array(H), h };
  }
  if (cell.kind === "lstm") {
    const f = affine(G.f!, xv, hp, H).map(sigma);
    const i = affine(G.i!, xv, hp, H).map(sigma);
    const g = affine(G.g!, xv, hp, H).map(Math.tanh);
    const o = affine(G.o!, xv, hp, H).map(sigma);
    const c = cp.map((v, k) => f[k]! * v + i[k]! * g[k]!);
    const h = c.map((v, k) => o[k]! * Math.tanh(v));
    return { x: xv, hPrev: hp, cPrev: cp, act: { f, i, g, o }, c, h };
  }
  const r = affine(G.r!, xv, hp, H).map(sigma);
  const u = affine(G.u!, xv, hp, H).map(sigma);
  const g = affine(G.g!, xv, hp.map((v, k) => r[k]! * v), H).map(Math.tanh);
  const h = hp.map((v, k) => (1 - u[k]!) * v + u[k]! * g[k]!);
  return { x: xv, hPrev: hp, cPrev: cp, act: { r, u, g }, c: new Float64Array(H), h };
}

/** The unrolled forward pass (srotolamento nel tempo): one StepCache per input, and the states h_1…h_T. Notebook 06 (lectures 002, 004). */
export interface Trace {
  steps: StepCache[];
  /** h_1 … h_T. */
  h: Float64Array[];
  /** c_1 … c_T (LSTM; zeros otherwise). */
  c: Float64Array[];
}

/**
 * Runs the cell over the sequence xs (T vectors) from h_0 (and c_0), default zeros: the unrolled network,
 * a T-layer feed-forward net whose layers share one set of weights. Notebook 06 (lecture 004, unfolding in time).
 */
export function forward(cell: Cell, xs: readonly ArrayLike<number>[], h0?: ArrayLike<number>, c0?: ArrayLike<number>): Trace {
  const steps: StepCache[] = [];
  let h: ArrayLike<number> | undefined = h0;
  let c: ArrayLike<number> | undefined = c0;
  for (const x of xs) {
    const s = step(cell, x, h, c);
    steps.push(s);
    h = s.h;
    c = s.c;
  }
  return { steps, h: steps.map((s) => s.h), c: steps.map((s) => s.c) };
}

/** Gradients from `backward`: per gate dW, dU, db (same order as `params`), per step dL/dx_t, and the state gradients. Notebook 06 (BPTT). */
export interface CellGrads {
  gates: Record<string, GateWeights>;
  /** dL/dx_t for t = 1…T. */
  dx: Float64Array[];
  /** dL/dh_t for t = 0…T (total: from the output at t and from later steps); dh[0] is dL/dh_0. */
  dh: Float64Array[];
  /** dL/dc_t for t = 0…T (LSTM; zeros otherwise). */
  dc: Float64Array[];
}

/** The gradient vectors of `grads` in the order of `params(cell)`. Notebook 06 (BPTT, gradient check). */
export function gradList(cell: Cell, grads: CellGrads): Float64Array[] {
  return GATES[cell.kind].flatMap((g) => [grads.gates[g]!.W, grads.gates[g]!.U, grads.gates[g]!.b]);
}

/** Adds the gate gradient of pre-activation gradient dz: dW += dz xᵀ, dU += dz hᵀ, db += dz; returns Wᵀdz (into dx) and Uᵀdz (into dh). */
function accumulate(G: GateWeights, dG: GateWeights, dz: Float64Array, x: Float64Array, hIn: Float64Array, dx: Float64Array, dhIn: Float64Array): void {
  const H = dz.length;
  const I = x.length;
  for (let k = 0; k < H; k++) {
    const d = dz[k]!;
    if (d === 0) continue;
    dG.b[k]! += d;
    for (let j = 0; j < I; j++) {
      dG.W[k * I + j]! += d * x[j]!;
      dx[j]! += G.W[k * I + j]! * d;
    }
    for (let j = 0; j < H; j++) {
      dG.U[k * H + j]! += d * hIn[j]!;
      dhIn[j]! += G.U[k * H + j]! * d;
    }
  }
}

/**
 * Backpropagation through time: given dL/dh_t from the outputs (`dhOut[t]`, one per step, null or missing
 * where the loss does not look at h_t; e.g. only the last for many-to-one), walks the unrolled network
 * backwards, accumulating every step's contribution to the shared weights' gradients. Notebook 06 (lecture 002, BPTT).
 */
export function backward(cell: Cell, trace: Trace, dhOut: readonly (ArrayLike<number> | null | undefined)[]): CellGrads {
  const H = cell.units;
  const I = cell.inputs;
  const T = trace.steps.length;
  const gates: Record<string, GateWeights> = {};
  for (const g of GATES[cell.kind]) gates[g] = { W: new Float64Array(H * I), U: new Float64Array(H * H), b: new Float64Array(H) };
  const dx = Array.from({ length: T }, () => new Float64Array(I));
  const dh = Array.from({ length: T + 1 }, () => new Float64Array(H));
  const dc = Array.from({ length: T + 1 }, () => new Float64Array(H));
  const G = cell.gates;
  for (let t = T - 1; t >= 0; t--) {
    const s = trace.steps[t]!;
    const out = dhOut[t];
    const dht = dh[t + 1]!;
    if (out !== null && out !== undefined) for (let k = 0; k < H; k++) dht[k]! += out[k]!;
    const dhp = dh[t]!;
    if (cell.kind === "rnn") {
      const z = s.act.z!;
      const dz = dht.map((d, k) => d * (cell.activation === "relu" ? (z[k]! > 0 ? 1 : 0) : 1 - s.h[k]! ** 2));
      accumulate(G.h!, gates.h!, dz, s.x, s.hPrev, dx[t]!, dhp);
    } else if (cell.kind === "lstm") {
      const { f, i, g, o } = s.act as Record<"f" | "i" | "g" | "o", Float64Array>;
      const dct = dc[t + 1]!;
      const dzf = new Float64Array(H), dzi = new Float64Array(H), dzg = new Float64Array(H), dzo = new Float64Array(H);
      for (let k = 0; k < H; k++) {
        const tc = Math.tanh(s.c[k]!);
        const dcTotal = dct[k]! + dht[k]! * o[k]! * (1 - tc * tc);
        dzo[k] = dht[k]! * tc * o[k]! * (1 - o[k]!);
        dzf[k] = dcTotal * s.cPrev[k]! * f[k]! * (1 - f[k]!);
        dzi[k] = dcTotal * g[k]! * i[k]! * (1 - i[k]!);
        dzg[k] = dcTotal * i[k]! * (1 - g[k]! ** 2);
        dc[t]![k] = dcTotal * f[k]!; // the conveyor belt: c_{t−1} → c_t is a multiplication by f only
      }
      accumulate(G.f!, gates.f!, dzf, s.x, s.hPrev, dx[t]!, dhp);
      accumulate(G.i!, gates.i!, dzi, s.x, s.hPrev, dx[t]!, dhp);
      accumulate(G.g!, gates.g!, dzg, s.x, s.hPrev, dx[t]!, dhp);
      accumulate(G.o!, gates.o!, dzo, s.x, s.hPrev, dx[t]!, dhp);
    } else {
      const { r, u, g } = s.act as Record<"r" | "u" | "g", Float64Array>;
      const dzg = new Float64Array(H), dzu = new Float64Array(H);
      for (let k = 0; k < H; k++) {
        dzg[k] = dht[k]! * u[k]! * (1 - g[k]! ** 2);
        dzu[k] = dht[k]! * (g[k]! - s.hPrev[k]!) * u[k]! * (1 - u[k]!);
        dhp[k]! += dht[k]! * (1 - u[k]!);
      }
      // The candidate sees r⊙h_{t−1}: its U-gradient is dz (r⊙h)ᵀ and Uᵀdz splits into r (to h) and h (to r).
      const rh = s.hPrev.map((v, k) => r[k]! * v);
      const drh = new Float64Array(H);
      accumulate(G.g!, gates.g!, dzg, s.x, rh, dx[t]!, drh);
      const dzr = new Float64Array(H);
      for (let k = 0; k < H; k++) {
        dhp[k]! += drh[k]! * r[k]!;
        dzr[k] = drh[k]! * s.hPrev[k]! * r[k]! * (1 - r[k]!);
      }
      accumulate(G.u!, gates.u!, dzu, s.x, s.hPrev, dx[t]!, dhp);
      accumulate(G.r!, gates.r!, dzr, s.x, s.hPrev, dx[t]!, dhp);
    }
  }
  return { gates, dx, dh, dc };
}

/** Euclidean norm of a vector. */
function norm(v: ArrayLike<number>): number {
  let s = 0;
  for (let i = 0; i < v.length; i++) s += v[i]! ** 2;
  return Math.sqrt(s);
}

/**
 * How far back the gradient reaches: with the loss L = Σ_k h_T[k] read at the last step only, the norm of
 * the gradient with respect to the state lag steps earlier, ‖∂L/∂(h, c)_{T−lag}‖ for lag = 0…T−1 (index = lag;
 * c only for the LSTM). It shrinks geometrically when the recurrent Jacobians are contractive (vanishing,
 * scomparsa del gradiente) and grows when they expand (exploding, esplosione). Notebook 06 (lecture 002, vanishing gradient).
 */
export function gradientByLag(cell: Cell, xs: readonly ArrayLike<number>[]): Float64Array {
  const trace = forward(cell, xs);
  const T = xs.length;
  const dhOut: (Float64Array | null)[] = Array.from({ length: T }, () => null);
  dhOut[T - 1] = new Float64Array(cell.units).fill(1);
  const g = backward(cell, trace, dhOut);
  return Float64Array.from({ length: T }, (_, lag) => Math.hypot(norm(g.dh[T - lag]!), norm(g.dc[T - lag]!)));
}

/** A random n×n orthogonal matrix (Gram–Schmidt on Gaussian columns), row-major: all its singular values are 1. Notebook 06 (spectral radius). */
export function orthogonalMatrix(n: number, random: Random = rng()): Float64Array {
  const Q = new Float64Array(n * n);
  for (let col = 0; col < n; col++) {
    for (;;) {
      const v = Float64Array.from({ length: n }, () => random.normal());
      for (let p = 0; p < col; p++) {
        let dot = 0;
        for (let r = 0; r < n; r++) dot += Q[r * n + p]! * v[r]!;
        for (let r = 0; r < n; r++) v[r]! -= dot * Q[r * n + p]!;
      }
      const len = norm(v);
      if (len < 1e-8) continue;
      for (let r = 0; r < n; r++) Q[r * n + col] = v[r]! / len;
      break;
    }
  }
  return Q;
}

/**
 * The spectral radius ρ(M) = max |λ| of a square row-major matrix, by Gelfand's formula ρ = lim ‖Mᵏv‖^{1/k}
 * (power iteration with renormalisation; robust to complex eigenvalue pairs). Notebook 06 (vanishing and exploding gradients).
 */
export function spectralRadius(M: ArrayLike<number>, iterations = 2000): number {
  const n = Math.round(Math.sqrt(M.length));
  if (n * n !== M.length) throw new RangeError(`spectralRadius: M has ${M.length} entries, not a square matrix`);
  let v = Float64Array.from({ length: n }, (_, i) => 1 + 0.37 * Math.sin(1 + i * 1.7));
  let logGrowth = 0;
  const burn = Math.floor(iterations / 4);
  for (let it = 0; it < iterations; it++) {
    const w = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      let s = 0;
      for (let c = 0; c < n; c++) s += M[r * n + c]! * v[c]!;
      w[r] = s;
    }
    const len = norm(w);
    if (len === 0) return 0;
    if (it >= burn) logGrowth += Math.log(len / norm(v));
    v = w.map((x) => x / len);
  }
  return Math.exp(logGrowth / (iterations - burn));
}

/**
 * Rescales the gradient vectors in place so that their joint norm is at most `maxNorm` (clipping by the
 * global norm, Pascanu et al. 2013); returns the norm before clipping. Notebook 06 (exploding gradients, clipping).
 */
export function clipByGlobalNorm(grads: readonly (Float64Array | Float32Array)[], maxNorm: number): number {
  if (!(maxNorm > 0)) throw new RangeError(`clipByGlobalNorm: maxNorm must be positive, got ${maxNorm}`);
  let s = 0;
  for (const g of grads) for (let i = 0; i < g.length; i++) s += g[i]! ** 2;
  const total = Math.sqrt(s);
  if (total > maxNorm) {
    const k = maxNorm / total;
    for (const g of grads) for (let i = 0; i < g.length; i++) g[i]! *= k;
  }
  return total;
}
