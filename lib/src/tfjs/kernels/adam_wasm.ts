/**
 * The fused Adam update of adam.ts as a WebAssembly SIMD loop in the wasm backend's memory, four values at a time
 * in float32 (as the stock tfjs update computes, one rounding per operation): the JavaScript loop cost ≈ 4 % of
 * a LeNet-5 training step. Assembled by wasm_asm.ts. Lecture 003 (optimizers, Adam).
 */
import * as tf from "@tensorflow/tfjs";
import { assemble, bind, heapOffset, F32, I32, V128, op } from "./wasm_asm";

const { loop, get, set } = op;

// Parameters: byte offsets of x, g, m, v and of the new x, m, v; the number of groups of four; then the constants.
const [X, G, M, V, X1, M1, V1, N] = [0, 1, 2, 3, 4, 5, 6, 7];
const [BETA1, A1, BETA2, A2, LR, C1, C2, EPS] = [8, 9, 10, 11, 12, 13, 14, 15];
// Locals: the counter, the constants splatted to four lanes (same order), g, m, v.
const I = 16;
const SPLAT = 17; // 17 … 24: beta1 … eps
const [GI, MI, VI] = [25, 26, 27];

const lanes = (constant: number) => get(SPLAT + constant - BETA1);
const load = (pointer: number) => [...get(pointer), ...op.v128Load];
const next = (pointer: number) => [...get(pointer), ...op.i32Const(16), ...op.i32Add, ...set(pointer)];

/**
 * m ← β₁m + (1 − β₁)g; v ← β₂v + (1 − β₂)g·g; x ← x − η(m/c₁)/(√(v/c₂) + ε), four lanes per step; every
 * operation as tfjs orders it. The caller passes at least one group.
 */
const body: number[] = [
  ...[BETA1, A1, BETA2, A2, LR, C1, C2, EPS].flatMap((c) => [...get(c), ...op.f32x4Splat, ...set(SPLAT + c - BETA1)]),
  ...op.i32Const(0), ...set(I),
  ...loop,
  ...load(G), ...set(GI),
  ...lanes(BETA1), ...load(M), ...op.f32x4Mul, ...lanes(A1), ...get(GI), ...op.f32x4Mul, ...op.f32x4Add, ...set(MI),
  ...lanes(BETA2), ...load(V), ...op.f32x4Mul, ...lanes(A2), ...get(GI), ...op.f32x4Mul, ...get(GI), ...op.f32x4Mul, ...op.f32x4Add, ...set(VI),
  ...get(M1), ...get(MI), ...op.v128Store,
  ...get(V1), ...get(VI), ...op.v128Store,
  ...get(X1),
  ...load(X),
  ...lanes(LR), ...get(MI), ...lanes(C1), ...op.f32x4Div, ...op.f32x4Mul,
  ...get(VI), ...lanes(C2), ...op.f32x4Div, ...op.f32x4Sqrt, ...lanes(EPS), ...op.f32x4Add,
  ...op.f32x4Div, ...op.f32x4Sub,
  ...op.v128Store,
  ...[X, G, M, V, X1, M1, V1].flatMap(next),
  ...get(I), ...op.i32Const(1), ...op.i32Add, ...set(I),
  ...get(I), ...get(N), ...op.i32Ne, ...op.brIf(0),
  ...op.end,
];

const bytes = () => assemble("adam", [...Array<number>(8).fill(I32), ...Array<number>(8).fill(F32)], [[1, I32], [11, V128]], body);

type Adam = (x: number, g: number, m: number, v: number, x1: number, m1: number, v1: number, groups: number, ...constants: number[]) => void;

/** Adam's constants, in the order of the wasm function's parameters. */
export interface AdamConstants {
  beta1: number;
  oneMinusBeta1: number;
  beta2: number;
  oneMinusBeta2: number;
  learningRate: number;
  correction1: number;
  correction2: number;
  epsilon: number;
}

/**
 * Updates the first ⌊n/4⌋·4 values of x, m, v into x1, m1, v1 in wasm and returns how many it did (0 when the
 * backend has no WebAssembly memory: the caller's loop does all of them).
 */
export function adamWasm(backend: tf.KernelBackend, ins: tf.TensorInfo[], outs: tf.TensorInfo[], n: number, k: AdamConstants): number {
  const groups = Math.floor(n / 4);
  if (groups === 0) return 0;
  const fn = bind<Adam>(backend, bytes, "adam");
  if (fn === null) return 0;
  const [x, g, m, v] = ins.map((t) => heapOffset(backend, t));
  const [x1, m1, v1] = outs.map((t) => heapOffset(backend, t));
  fn(x!, g!, m!, v!, x1!, m1!, v1!, groups, k.beta1, k.oneMinusBeta1, k.beta2, k.oneMinusBeta2, k.learningRate, k.correction1, k.correction2, k.epsilon);
  return 4 * groups;
}
