/**
 * Whole-sequence recurrent layers (SimpleRNN, LSTM, GRU) as one forward and one backward pass over typed
 * arrays, the arithmetic of TensorFlow.js's layers (same weight layout, gate order and masking) without its
 * dozens of dispatched operations per time step. The matrix products run on the wasm backend's XNNPACK
 * kernel (the input projection and the weight gradients as one large product each, one small product per
 * step for the recurrence) and so does the gates' sigmoid (XNNPACK's vectorised σ, tanh x = 2σ(2x) − 1);
 * the rest are elementwise loops. Other backends use plain loops and a rational tanh accurate to 3e-7. Notebook 06 (lectures 002, 004: RNN, LSTM, GRU, BPTT), fast training.
 */
import * as tf from "@tensorflow/tfjs";

/** The recurrent layers the kernel computes. */
export type RecurrentKind = "simpleRNN" | "lstm" | "gru";

/** Gate blocks per kind in the kernel's columns (tfjs order: LSTM i, f, c, o; GRU z, r, h). */
export const GATE_COUNT: Record<RecurrentKind, number> = { simpleRNN: 1, lstm: 4, gru: 3 };

const TANH_CLAMP = 7.90531110763549805;

/** tanh by a 13/6 rational approximation (Eigen's float tanh), |error| ≤ 3e-7: ten times faster than Math.tanh. */
export function fastTanh(x: number): number {
  const xc = x > TANH_CLAMP ? TANH_CLAMP : x < -TANH_CLAMP ? -TANH_CLAMP : x;
  const x2 = xc * xc;
  let p = -2.76076847742355e-16;
  p = p * x2 + 2.00018790482477e-13;
  p = p * x2 - 8.60467152213735e-11;
  p = p * x2 + 5.12229709037114e-8;
  p = p * x2 + 1.48572235717979e-5;
  p = p * x2 + 6.37261928875436e-4;
  p = p * x2 + 4.89352455891786e-3;
  let q = 1.19825839466702e-6;
  q = q * x2 + 1.18534705686654e-4;
  q = q * x2 + 2.268434632439e-3;
  q = q * x2 + 4.89352518554385e-3;
  return (xc * p) / q;
}

/** σ(x) = (1 + tanh(x/2))/2 with `fastTanh`, |error| ≤ 2e-7. */
export function fastSigmoid(x: number): number {
  return 0.5 + 0.5 * fastTanh(0.5 * x);
}

/** Products with one fixed right operand W (k×n) for a fixed number of rows m: fill `input()`, call `run()`. */
interface Stepper {
  input(): Float32Array;
  run(): Float32Array;
  dispose(): void;
}

/** Elementwise σ over a fixed number of values: fill `input()`, call `run()`. */
interface Squasher {
  input(): Float32Array;
  run(): Float32Array;
  dispose(): void;
}

/** Matrix products c = a·b on row-major Float32Arrays, and elementwise σ (tanh(x) = 2σ(2x) − 1). */
interface Gemm {
  product(a: Float32Array, m: number, k: number, b: Float32Array, n: number): Float32Array;
  stepper(w: Float32Array, k: number, n: number, m: number): Stepper;
  sigmoid(n: number): Squasher;
}

/** Plain loops (i, k, j order): the fallback for backends without XNNPACK. */
const jsGemm: Gemm = {
  product(a, m, k, b, n) {
    const c = new Float32Array(m * n);
    for (let i = 0; i < m; i++) {
      const co = i * n;
      for (let p = 0; p < k; p++) {
        const av = a[i * k + p]!;
        if (av === 0) continue;
        const bo = p * n;
        for (let j = 0; j < n; j++) c[co + j]! += av * b[bo + j]!;
      }
    }
    return c;
  },
  stepper(w, k, n, m) {
    const input = new Float32Array(m * k);
    return { input: () => input, run: () => jsGemm.product(input, m, k, w, n), dispose: () => undefined };
  },
  sigmoid(n) {
    const input = new Float32Array(n);
    const output = new Float32Array(n);
    return {
      input: () => input,
      run() {
        for (let i = 0; i < n; i++) output[i] = fastSigmoid(input[i]!);
        return output;
      },
      dispose: () => undefined,
    };
  },
};

/** The parts of tfjs-backend-wasm's BackendWasm this module uses. */
interface WasmBackend extends tf.KernelBackend {
  wasm: { HEAPU8: Uint8Array; cwrap: (name: string, ret: null, args: string[]) => (...args: unknown[]) => void };
  dataIdMap: { get(dataId: tf.DataId): { id: number } };
  makeOutput(shape: number[], dtype: "float32"): tf.TensorInfo;
  typedArrayFromHeap(info: tf.TensorInfo): Float32Array;
}

type RawMatMul = (aId: number, aShape: Uint8Array, aRank: number, bId: number, bShape: Uint8Array, bRank: number, ta: boolean, tb: boolean, outId: number) => void;
let rawMatMul: RawMatMul | undefined;
let rawSigmoid: ((xId: number, outId: number) => void) | undefined;
let rawFor: unknown;

/** XNNPACK through the wasm backend: tensors allocated in its heap and its BatchMatMul called directly. */
function wasmGemm(backend: WasmBackend): Gemm {
  if (rawFor !== backend.wasm) {
    rawMatMul = backend.wasm.cwrap("BatchMatMul", null, ["number", "array", "number", "number", "array", "number", "number", "number", "number"]) as RawMatMul;
    rawSigmoid = backend.wasm.cwrap("Sigmoid", null, ["number", "number"]) as (xId: number, outId: number) => void;
    rawFor = backend.wasm;
  }
  const call = rawMatMul!;
  const sigmoidCall = rawSigmoid!;
  const shape = (dims: number[]) => new Uint8Array(new Int32Array(dims).buffer);
  const alloc = (dims: number[], values?: Float32Array) => {
    const info = backend.makeOutput(dims, "float32");
    if (values !== undefined) backend.typedArrayFromHeap(info).set(values);
    return info;
  };
  const id = (info: tf.TensorInfo) => backend.dataIdMap.get(info.dataId).id;
  return {
    product(a, m, k, b, n) {
      const A = alloc([1, m, k], a.subarray(0, m * k));
      const B = alloc([1, k, n], b.subarray(0, k * n));
      const C = alloc([1, m, n]);
      call(id(A), shape([1, m, k]), 3, id(B), shape([1, k, n]), 3, false, false, id(C));
      const out = backend.typedArrayFromHeap(C).slice();
      for (const t of [A, B, C]) backend.disposeData(t.dataId);
      return out;
    },
    stepper(w, k, n, m) {
      // A fresh W tensor per call: XNNPACK caches its packed weights by tensor id.
      const B = alloc([1, k, n], w);
      const A = alloc([1, m, k]);
      const C = alloc([1, m, n]);
      const [aId, bId, cId] = [id(A), id(B), id(C)];
      const [aShape, bShape] = [shape([1, m, k]), shape([1, k, n])];
      let buffer: ArrayBufferLike | undefined;
      let aView: Float32Array = new Float32Array(0);
      let cView: Float32Array = new Float32Array(0);
      const views = () => {
        if (buffer !== backend.wasm.HEAPU8.buffer) {
          buffer = backend.wasm.HEAPU8.buffer;
          aView = backend.typedArrayFromHeap(A);
          cView = backend.typedArrayFromHeap(C);
        }
      };
      return {
        input() {
          views();
          return aView;
        },
        run() {
          call(aId, aShape, 3, bId, bShape, 3, false, false, cId);
          views();
          return cView;
        },
        dispose() {
          for (const t of [A, B, C]) backend.disposeData(t.dataId);
        },
      };
    },
    sigmoid(n) {
      // XNNPACK's vectorised sigmoid: ≈3 ns per value against ≈10 for the best scalar JavaScript.
      const X = alloc([n]);
      const Y = alloc([n]);
      const [xId, yId] = [id(X), id(Y)];
      return {
        input: () => backend.typedArrayFromHeap(X),
        run() {
          sigmoidCall(xId, yId);
          return backend.typedArrayFromHeap(Y);
        },
        dispose() {
          for (const t of [X, Y]) backend.disposeData(t.dataId);
        },
      };
    },
  };
}

/** The Gemm for the active backend. */
function gemmFor(): Gemm {
  const backend = tf.backend() as WasmBackend;
  return tf.getBackend() === "wasm" && backend.wasm !== undefined ? wasmGemm(backend) : jsGemm;
}

/** Transposes a row-major rows×cols matrix. */
function transpose(a: Float32Array, rows: number, cols: number): Float32Array {
  const t = new Float32Array(rows * cols);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) t[j * rows + i] = a[i * cols + j]!;
  return t;
}

/** Sizes and options of one recurrent pass. */
export interface RecurrentDims {
  kind: RecurrentKind;
  batch: number;
  steps: number;
  inputs: number;
  units: number;
  /** SimpleRNN's activation (tanh or relu). */
  activation?: "tanh" | "relu";
  /** Process the sequence from the last step to the first (Keras's goBackwards: outputs in processing order). */
  goBackwards?: boolean;
}

/** What the forward pass keeps for the backward pass. */
export interface RecurrentTape {
  dims: RecurrentDims;
  /** Inputs time-major [T, B, I] (in processing order). */
  xt: Float32Array;
  /** Mask time-major [T, B] (1 = real step), or null. */
  mask: Uint8Array | null;
  /** Gate activations per step [T, B, G·H]. */
  gates: Float32Array;
  /** h_{t−1} per step [T, B, H]; for the GRU also r⊙h_{t−1} in `rh`. */
  hPrev: Float32Array;
  rh: Float32Array | null;
  /** LSTM: c_{t−1} and tanh(c_t) per step [T, B, H]. */
  cPrev: Float32Array | null;
  tanhC: Float32Array | null;
  /** SimpleRNN/GRU candidate or LSTM: unused; the new state per step [T, B, H]. */
  h: Float32Array;
  kernel: Float32Array;
  recurrent: Float32Array;
}

/** A recurrent layer's state [B, H] (row-major): h, and for the LSTM the memory cell c. */
export interface RecurrentState {
  h: Float32Array;
  c: Float32Array | null;
}

/**
 * The forward pass over a whole batch of sequences: x [B, T, I] batch-major, kernel [I, G·H],
 * recurrentKernel [H, G·H], bias [G·H] (tfjs layouts), optional mask [B, T], optional initial state
 * (zeros without it; an encoder's final state for a decoder). Returns the outputs [B, T, H] in processing
 * order, the final state and the tape for `recurrentBackward`.
 */
export function recurrentForward(
  dims: RecurrentDims,
  x: Float32Array,
  kernel: Float32Array,
  recurrent: Float32Array,
  bias: Float32Array | null,
  mask: ArrayLike<number> | null,
  initial: Partial<RecurrentState> | null = null,
): { y: Float32Array; final: RecurrentState; tape: RecurrentTape } {
  const { kind, batch: B, steps: T, inputs: I, units: H } = dims;
  const G = GATE_COUNT[kind];
  const GH = G * H;
  const back = dims.goBackwards === true;
  const src = (t: number) => (back ? T - 1 - t : t);
  const xt = new Float32Array(T * B * I);
  for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) xt.set(x.subarray((b * T + src(t)) * I, (b * T + src(t) + 1) * I), (t * B + b) * I);
  let m: Uint8Array | null = null;
  if (mask !== null) {
    m = new Uint8Array(T * B);
    for (let b = 0; b < B; b++) for (let t = 0; t < T; t++) m[t * B + b] = mask[b * T + src(t)] ? 1 : 0;
  }
  const gemm = gemmFor();
  const xw = gemm.product(xt, T * B, I, kernel, GH);
  if (bias !== null) for (let r = 0; r < T * B; r++) for (let j = 0; j < GH; j++) xw[r * GH + j]! += bias[j]!;
  const gates = new Float32Array(T * B * GH);
  const hPrev = new Float32Array(T * B * H);
  const hAll = new Float32Array(T * B * H);
  const lstm = kind === "lstm";
  const gru = kind === "gru";
  const cPrev = lstm ? new Float32Array(T * B * H) : null;
  const tanhC = lstm ? new Float32Array(T * B * H) : null;
  const rh = gru ? new Float32Array(T * B * H) : null;
  const relu = dims.activation === "relu";
  // GRU: the recurrent kernel splits into [z, r] (used on h) and h (used on r⊙h).
  const recZR = gru ? new Float32Array(H * 2 * H) : null;
  const recH = gru ? new Float32Array(H * H) : null;
  if (gru) for (let i = 0; i < H; i++) {
    recZR!.set(recurrent.subarray(i * GH, i * GH + 2 * H), i * 2 * H);
    recH!.set(recurrent.subarray(i * GH + 2 * H, (i + 1) * GH), i * H);
  }
  const main = gemm.stepper(gru ? recZR! : recurrent, H, gru ? 2 * H : GH, B);
  const cand = gru ? gemm.stepper(recH!, H, H, B) : null;
  // σ over the gate pre-activations, and over 2x for every tanh (tanh x = 2σ(2x) − 1).
  const sigGates = kind === "simpleRNN" ? null : gemm.sigmoid(B * (gru ? 2 * H : GH));
  const sigState = gemm.sigmoid(B * H);
  let h = new Float32Array(B * H);
  const c = new Float32Array(B * H);
  if (initial?.h) h.set(initial.h);
  if (lstm && initial?.c) c.set(initial.c);
  try {
    for (let t = 0; t < T; t++) {
      const o = t * B * H;
      hPrev.set(h, o);
      if (lstm) cPrev!.set(c, o);
      main.input().set(h);
      const rec = main.run();
      const hNew = new Float32Array(B * H);
      if (gru) {
        const zrIn = sigGates!.input();
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          for (let j = 0; j < 2 * H; j++) zrIn[b * 2 * H + j] = xw[xo + j]! + rec[b * 2 * H + j]!;
        }
        const zr = sigGates!.run();
        const rhIn = cand!.input();
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          for (let k = 0; k < 2 * H; k++) gates[xo + k] = zr[b * 2 * H + k]!;
          for (let k = 0; k < H; k++) {
            const v = zr[b * 2 * H + H + k]! * h[b * H + k]!;
            rhIn[b * H + k] = v;
            rh![o + b * H + k] = v;
          }
        }
        const recC = cand!.run();
        const hhIn = sigState.input();
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          for (let k = 0; k < H; k++) hhIn[b * H + k] = 2 * (xw[xo + 2 * H + k]! + recC[b * H + k]!);
        }
        const hhS = sigState.run();
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          for (let k = 0; k < H; k++) {
            const hh = 2 * hhS[b * H + k]! - 1;
            gates[xo + 2 * H + k] = hh;
            const z = gates[xo + k]!;
            hNew[b * H + k] = z * h[b * H + k]! + (1 - z) * hh;
          }
        }
      } else if (lstm) {
        const pre = sigGates!.input();
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          const ro = b * GH;
          for (let j = 0; j < 2 * H; j++) pre[ro + j] = xw[xo + j]! + rec[ro + j]!;
          for (let j = 2 * H; j < 3 * H; j++) pre[ro + j] = 2 * (xw[xo + j]! + rec[ro + j]!);
          for (let j = 3 * H; j < GH; j++) pre[ro + j] = xw[xo + j]! + rec[ro + j]!;
        }
        const act = sigGates!.run();
        const cIn = sigState.input();
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          const ro = b * GH;
          for (let k = 0; k < H; k++) {
            const ig = act[ro + k]!;
            const fg = act[ro + H + k]!;
            const gg = 2 * act[ro + 2 * H + k]! - 1;
            gates[xo + k] = ig;
            gates[xo + H + k] = fg;
            gates[xo + 2 * H + k] = gg;
            gates[xo + 3 * H + k] = act[ro + 3 * H + k]!;
            const cv = fg * c[b * H + k]! + ig * gg;
            c[b * H + k] = cv; // overwritten in place: c_{t−1} is on the tape already
            cIn[b * H + k] = 2 * cv;
          }
        }
        const tcS = sigState.run();
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          for (let k = 0; k < H; k++) {
            const tc = 2 * tcS[b * H + k]! - 1;
            tanhC![o + b * H + k] = tc;
            hNew[b * H + k] = gates[xo + 3 * H + k]! * tc;
          }
        }
      } else if (relu) {
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          for (let k = 0; k < H; k++) {
            const z = xw[xo + k]! + rec[b * H + k]!;
            const a = z > 0 ? z : 0;
            gates[xo + k] = a;
            hNew[b * H + k] = a;
          }
        }
      } else {
        const zIn = sigState.input();
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          for (let k = 0; k < H; k++) zIn[b * H + k] = 2 * (xw[xo + k]! + rec[b * H + k]!);
        }
        const zS = sigState.run();
        for (let b = 0; b < B; b++) {
          const xo = (t * B + b) * GH;
          for (let k = 0; k < H; k++) {
            const a = 2 * zS[b * H + k]! - 1;
            gates[xo + k] = a;
            hNew[b * H + k] = a;
          }
        }
      }
      if (m !== null) {
        // Masked steps (padding) keep the previous state, as Keras does.
        for (let b = 0; b < B; b++) {
          if (m[t * B + b]) continue;
          hNew.set(h.subarray(b * H, (b + 1) * H), b * H);
          if (lstm) c.set(cPrev!.subarray(o + b * H, o + (b + 1) * H), b * H);
        }
      }
      h = hNew;
      hAll.set(h, o);
    }
  } finally {
    main.dispose();
    cand?.dispose();
    sigGates?.dispose();
    sigState.dispose();
  }
  const y = new Float32Array(B * T * H);
  for (let t = 0; t < T; t++) for (let b = 0; b < B; b++) y.set(hAll.subarray((t * B + b) * H, (t * B + b + 1) * H), (b * T + t) * H);
  return { y, final: { h, c: lstm ? c : null }, tape: { dims, xt, mask: m, gates, hPrev, rh, cPrev, tanhC, h: hAll, kernel, recurrent } };
}

/** Gradients of `recurrentBackward`, in the forward pass's layouts; `dInitial` is dL/d(initial state). */
export interface RecurrentGrads {
  dx: Float32Array;
  dKernel: Float32Array;
  dRecurrent: Float32Array;
  dBias: Float32Array;
  dInitial: RecurrentState;
}

/**
 * Backpropagation through time for the whole batch: dy [B, T, H] is dL/d(outputs) in processing order
 * (zeros where the loss does not look), `dFinal` dL/d(final state) where the final state is used apart from
 * the outputs (an encoder's); without `inputGradient` dL/dx is left at zero (saves a product when x is data).
 * One small product per step (the state gradient through the recurrent kernel); the weight gradients and
 * dL/dx as three large products at the end.
 */
export function recurrentBackward(tape: RecurrentTape, dy: Float32Array, inputGradient = true, dFinal: Partial<RecurrentState> | null = null): RecurrentGrads {
  const { dims, xt, mask: m, gates, hPrev, rh, cPrev, tanhC, kernel, recurrent } = tape;
  const { kind, batch: B, steps: T, inputs: I, units: H } = dims;
  const G = GATE_COUNT[kind];
  const GH = G * H;
  const lstm = kind === "lstm";
  const gru = kind === "gru";
  const relu = dims.activation === "relu";
  const gemm = gemmFor();
  const dPre = new Float32Array(T * B * GH);
  // Stepper right operands: Whᵀ [G·H, H]; for the GRU [z, r] part and h part separately.
  const recT = transpose(recurrent, H, GH);
  const main = gemm.stepper(gru ? recT.subarray(0, 2 * H * H) : recT, gru ? 2 * H : GH, H, B);
  const cand = gru ? gemm.stepper(recT.subarray(2 * H * H), H, H, B) : null;
  let dh = new Float32Array(B * H);
  const dc = new Float32Array(B * H);
  if (dFinal?.h) dh.set(dFinal.h);
  if (lstm && dFinal?.c) dc.set(dFinal.c);
  try {
    for (let t = T - 1; t >= 0; t--) {
      const o = t * B * H;
      for (let b = 0; b < B; b++) for (let k = 0; k < H; k++) dh[b * H + k]! += dy[(b * T + t) * H + k]!;
      const dhPrev = new Float32Array(B * H);
      // A masked step (padding) passed its state through unchanged: so does its gradient, and its gates get none.
      const live = (b: number) => m === null || m[t * B + b] === 1;
      if (gru) {
        const drhIn = cand!.input();
        for (let b = 0; b < B; b++) {
          const go = (t * B + b) * GH;
          const on = live(b);
          for (let k = 0; k < H; k++) {
            const d = on ? dh[b * H + k]! : 0;
            const z = gates[go + k]!;
            const hh = gates[go + 2 * H + k]!;
            const hp = hPrev[o + b * H + k]!;
            dPre[go + 2 * H + k] = d * (1 - z) * (1 - hh * hh);
            dPre[go + k] = d * (hp - hh) * z * (1 - z);
            dhPrev[b * H + k] = on ? d * z : dh[b * H + k]!;
            drhIn[b * H + k] = dPre[go + 2 * H + k]!;
          }
        }
        const drh = cand!.run();
        const zrIn = main.input();
        for (let b = 0; b < B; b++) {
          const go = (t * B + b) * GH;
          for (let k = 0; k < H; k++) {
            const r = gates[go + H + k]!;
            const g = drh[b * H + k]!;
            dhPrev[b * H + k]! += g * r;
            dPre[go + H + k] = g * hPrev[o + b * H + k]! * r * (1 - r);
            zrIn[b * 2 * H + k] = dPre[go + k]!;
            zrIn[b * 2 * H + H + k] = dPre[go + H + k]!;
          }
        }
        const back = main.run();
        for (let j = 0; j < B * H; j++) dhPrev[j]! += back[j]!;
      } else {
        const input = main.input();
        for (let b = 0; b < B; b++) {
          const go = (t * B + b) * GH;
          if (!live(b)) {
            input.fill(0, b * GH, (b + 1) * GH);
            continue;
          }
          for (let k = 0; k < H; k++) {
            const d = dh[b * H + k]!;
            if (lstm) {
              const ig = gates[go + k]!, fg = gates[go + H + k]!, gg = gates[go + 2 * H + k]!, og = gates[go + 3 * H + k]!;
              const tc = tanhC![o + b * H + k]!;
              const dct = dc[b * H + k]! + d * og * (1 - tc * tc);
              dPre[go + k] = dct * gg * ig * (1 - ig);
              dPre[go + H + k] = dct * cPrev![o + b * H + k]! * fg * (1 - fg);
              dPre[go + 2 * H + k] = dct * ig * (1 - gg * gg);
              dPre[go + 3 * H + k] = d * tc * og * (1 - og);
              dc[b * H + k] = dct * fg;
            } else {
              const a = gates[go + k]!;
              dPre[go + k] = d * (relu ? (a > 0 ? 1 : 0) : 1 - a * a);
            }
          }
          input.set(dPre.subarray(go, go + GH), b * GH);
        }
        dhPrev.set(main.run());
        for (let b = 0; b < B; b++) if (!live(b)) dhPrev.set(dh.subarray(b * H, (b + 1) * H), b * H);
      }
      dh = dhPrev;
    }
  } finally {
    main.dispose();
    cand?.dispose();
  }
  // Both weight gradients as one product, [h_{t−1} | x_t]ᵀ [H + I, T·B] · dPre [T·B, G·H] = [dRecurrent; dKernel]:
  // XNNPACK packs its right operand on every call, and packing dPre cost about as much as a product.
  const HI = H + I;
  const hxT = new Float32Array(HI * T * B);
  hxT.set(transpose(hPrev, T * B, H));
  hxT.set(transpose(xt, T * B, I), H * T * B);
  const both = gemm.product(hxT, HI, T * B, dPre, GH); // [H + I, G·H]
  const dRecurrent = both.slice(0, H * GH);
  const dKernel = both.slice(H * GH);
  if (gru) {
    // The candidate's recurrent gradient pairs dPre_h with r⊙h_{t−1}, not h_{t−1}.
    const dPreH = new Float32Array(T * B * H);
    for (let r = 0; r < T * B; r++) dPreH.set(dPre.subarray(r * GH + 2 * H, (r + 1) * GH), r * H);
    const dRecH = gemm.product(transpose(rh!, T * B, H), H, T * B, dPreH, H);
    for (let i = 0; i < H; i++) dRecurrent.set(dRecH.subarray(i * H, (i + 1) * H), i * GH + 2 * H);
  }
  const dBias = new Float32Array(GH);
  for (let r = 0; r < T * B; r++) for (let j = 0; j < GH; j++) dBias[j]! += dPre[r * GH + j]!;
  const dx = new Float32Array(B * T * I);
  const dInitial = { h: dh, c: lstm ? dc : null };
  if (!inputGradient) return { dx, dKernel, dRecurrent, dBias, dInitial };
  const dxt = gemm.product(dPre, T * B, GH, transpose(kernel, I, GH), I);
  const back = dims.goBackwards === true;
  for (let t = 0; t < T; t++) {
    const s = back ? T - 1 - t : t;
    for (let b = 0; b < B; b++) dx.set(dxt.subarray((t * B + b) * I, (t * B + b + 1) * I), (b * T + s) * I);
  }
  return { dx, dKernel, dRecurrent, dBias, dInitial };
}
