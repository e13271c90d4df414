/**
 * The transpose [B, P, C] → [P, B, C] (blocks of C values keep their order) as a WebAssembly loop in the wasm
 * backend's memory: the convolution gradients move the batch axis next to the channels with it (dY of
 * [B, oh, ow, O] to [oh, ow, B, O]), and the stock Transpose kernel computes every element's index (≈ 0.8 ms for
 * LeNet-5's first layer, ≈ 4× this loop). Assembled by wasm_asm.ts. Lecture 001 (backpropagation through a
 * convolution).
 */
import * as tf from "@tensorflow/tfjs";
import { output } from "./call";
import { assemble, bind, heapOffset, I32, op } from "./wasm_asm";

const { loop, get, set } = op;

// Parameters: byte offsets of the input and the output, B, P, C.
const [SRC, DST, B, P, C] = [0, 1, 2, 3, 4];
// Locals: counters b, p, k; the row pointers; the block and output-row strides in bytes.
const [IB, IP, IK, S, D, BLOCK, STRIDE] = [5, 6, 7, 8, 9, 10, 11];

const inc = (local: number, amount: number[]) => [...get(local), ...amount, ...op.i32Add, ...set(local)];

/**
 * for b < B: s = src + b·P·block, d = dst + b·block; for p < P: copy C words s → d; s += block; d += B·block.
 * The caller passes B, P, C ≥ 1.
 */
const body: number[] = [
  ...get(C), ...op.i32Const(2), ...op.i32Shl, ...set(BLOCK),
  ...get(B), ...get(BLOCK), ...op.i32Mul, ...set(STRIDE),
  ...op.i32Const(0), ...set(IB),
  ...loop,
  ...get(SRC), ...get(IB), ...get(P), ...op.i32Mul, ...get(BLOCK), ...op.i32Mul, ...op.i32Add, ...set(S),
  ...get(DST), ...get(IB), ...get(BLOCK), ...op.i32Mul, ...op.i32Add, ...set(D),
  ...op.i32Const(0), ...set(IP),
  ...loop,
  ...op.i32Const(0), ...set(IK),
  ...loop,
  ...get(D), ...get(IK), ...op.i32Add, ...get(S), ...get(IK), ...op.i32Add, ...op.i32Load, ...op.i32Store,
  ...inc(IK, op.i32Const(4)),
  ...get(IK), ...get(BLOCK), ...op.i32Ne, ...op.brIf(0),
  ...op.end,
  ...inc(S, get(BLOCK)), ...inc(D, get(STRIDE)),
  ...inc(IP, op.i32Const(1)),
  ...get(IP), ...get(P), ...op.i32Ne, ...op.brIf(0),
  ...op.end,
  ...inc(IB, op.i32Const(1)),
  ...get(IB), ...get(B), ...op.i32Ne, ...op.brIf(0),
  ...op.end,
];

const bytes = () => assemble("swapLeading", Array<number>(5).fill(I32), [[7, I32]], body);

type Swap = (src: number, dst: number, b: number, p: number, c: number) => void;

/**
 * `x` [B, …, C] transposed to [… , B, C] (the batch axis moved next to the last), in wasm; undefined when the
 * backend has no WebAssembly memory (the caller uses the Transpose kernel) or the tensor is empty.
 */
export function batchToInnerWasm(backend: tf.KernelBackend, x: tf.TensorInfo): tf.TensorInfo | undefined {
  const shape = x.shape;
  const [b, c] = [shape[0]!, shape[shape.length - 1]!];
  const p = tf.util.sizeFromShape(shape) / (b * c);
  if (x.dtype !== "float32" || shape.length < 3 || !(b * p * c > 0)) return undefined;
  const fn = bind<Swap>(backend, bytes, "swapLeading");
  if (fn === null) return undefined;
  const out = output(backend, [...shape.slice(1, -1), b, c], false);
  fn(heapOffset(backend, x), heapOffset(backend, out.info), b, p, c);
  return out.info;
}
