/**
 * The 2×2 max-pooling gradient switch of LeNet-5 as a small WebAssembly function that works in the wasm backend's
 * own memory (its tensors' heap offsets, no copies): pool_grad.ts's JavaScript loop cost ≈ 10 % of a LeNet-5
 * training step; this one runs ≈ 2.5× faster (no bounds checks, no float64 conversions, no branches). It is
 * assembled here, byte by byte, from the instructions named below (no toolchain), and computes exactly what
 * `switch2x2` in pool_grad.ts computes, for windows that tile the image. Lecture 001 (CNN, the gradient of
 * max pooling).
 */
import * as tf from "@tensorflow/tfjs";
import { assemble, bind, heapOffset, I32, F32, op } from "./wasm_asm";

const { loop, get, set } = op;
const i32 = op.i32Const;

// Parameters: byte offsets of x, y, g, dx; output rows B·oh, output width ow, channels C, bytes per input row.
const [X, Y, G, DX, ROWS, OW, C, ROW] = [0, 1, 2, 3, 4, 5, 6, 7];
// i32 locals (GV: the bits of the gradient value), then the f32 local M.
const [R, YC, D, PX, PD, C4, E0, E1, T, E2, GV] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
const M = 19;

/** local += amount… */
const addTo = (local: number, ...amount: number[]) => [...get(local), ...amount, ...op.i32Add, ...set(local)];
/** a + b (two address computations) */
const plus = (a: number[], b: number[]) => [...a, ...b, ...op.i32Add];
/** ¬t as 0/1: t ⊕ 1 */
const not = (t: number[]) => [...t, ...i32(1), ...op.i32Xor];
/** f32.eq(load(address), m) */
const equalsMax = (address: number[]) => [...address, ...op.f32Load, ...get(M), ...op.f32Eq];
/** store(address, e ? gv : +0) as bits, gv & −e: no branch (a float select compiles to one, which mispredicts). */
const storeIf = (e: number[], address: number[]) => [...address, ...get(GV), ...i32(0), ...e, ...op.i32Sub, ...op.i32And, ...op.i32Store];

const x01 = plus(get(PX), get(C4));
const x10 = plus(get(PX), get(ROW));
const x11 = [...x10, ...get(C4), ...op.i32Add];
const d01 = plus(get(PD), get(C4));
const d10 = plus(get(PD), get(ROW));
const d11 = [...d10, ...get(C4), ...op.i32Add];

/**
 * for r < rows: pX = x + 2·r·row, pD = dx + 2·r·row; for yc < ow: for d < C: m = y[·], gv = g[·];
 * e0 = x00 == m; e1 = (x01 == m) ∧ ¬e0; t = e0 ∨ e1; e2 = (x10 == m) ∧ ¬t; e3 = (x11 == m) ∧ ¬(t ∨ e2);
 * dx[cell] = e ? gv : +0; then the next channel, the next window (skip a column), the next row pair.
 * Every loop runs at least once: the caller passes rows, ow, C ≥ 1.
 */
const body: number[] = [
  ...get(C), ...i32(2), ...op.i32Shl, ...set(C4),
  ...i32(0), ...set(R),
  ...loop,
  ...get(R), ...get(ROW), ...op.i32Mul, ...i32(1), ...op.i32Shl, ...set(PD),
  ...plus(get(X), get(PD)), ...set(PX),
  ...addTo(PD, ...get(DX)),
  ...i32(0), ...set(YC),
  ...loop,
  ...i32(0), ...set(D),
  ...loop,
  ...get(Y), ...op.f32Load, ...set(M),
  ...get(G), ...op.i32Load, ...set(GV),
  ...equalsMax(get(PX)), ...set(E0),
  ...equalsMax(x01), ...not(get(E0)), ...op.i32And, ...set(E1),
  ...get(E0), ...get(E1), ...op.i32Or, ...set(T),
  ...equalsMax(x10), ...not(get(T)), ...op.i32And, ...set(E2),
  ...storeIf(get(E0), get(PD)),
  ...storeIf(get(E1), d01),
  ...storeIf(get(E2), d10),
  ...storeIf([...equalsMax(x11), ...not([...get(T), ...get(E2), ...op.i32Or]), ...op.i32And], d11),
  ...addTo(Y, ...i32(4)), ...addTo(G, ...i32(4)), ...addTo(PX, ...i32(4)), ...addTo(PD, ...i32(4)),
  ...addTo(D, ...i32(1)),
  ...get(D), ...get(C), ...op.i32Ne, ...op.brIf(0), // next channel
  ...op.end,
  ...addTo(PX, ...get(C4)), ...addTo(PD, ...get(C4)),
  ...addTo(YC, ...i32(1)),
  ...get(YC), ...get(OW), ...op.i32Ne, ...op.brIf(0), // next window
  ...op.end,
  ...addTo(R, ...i32(1)),
  ...get(R), ...get(ROWS), ...op.i32Ne, ...op.brIf(0), // next row pair
  ...op.end,
];

const bytes = () => assemble("switch2x2", Array<number>(8).fill(I32), [[11, I32], [1, F32]], body);

type Switch = (x: number, y: number, g: number, dx: number, rows: number, ow: number, c: number, rowBytes: number) => void;

/**
 * Runs the 2×2 switch in wasm when `backend` allows it: windows 2×2, stride 2, tiling the [B, H, W, C] input
 * exactly; `dx` must be a fresh output. Returns false when it did not run (the caller's loop does the work).
 */
export function switch2x2Wasm(
  backend: tf.KernelBackend,
  input: tf.TensorInfo,
  pooled: tf.TensorInfo,
  dy: tf.TensorInfo,
  dx: tf.TensorInfo,
): boolean {
  const [b, h, w, c] = input.shape as [number, number, number, number];
  if (b * h * w * c === 0 || h % 2 !== 0 || w % 2 !== 0) return false;
  const fn = bind<Switch>(backend, bytes, "switch2x2");
  if (fn === null) return false;
  const at = (info: tf.TensorInfo) => heapOffset(backend, info);
  fn(at(input), at(pooled), at(dy), at(dx), (b * h) / 2, w / 2, c, w * c * 4);
  return true;
}
