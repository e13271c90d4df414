/**
 * The 2×2 max-pooling gradient switch of LeNet-5 as a small WebAssembly function that works in the wasm backend's
 * own memory (its tensors' heap offsets, no copies): pool_grad.ts's JavaScript loop cost ≈ 10 % of a LeNet-5
 * training step; this one runs ≈ 2.5× faster (no bounds checks, no float64 conversions, no branches). It is
 * assembled here, byte by byte, from the instructions named below (no toolchain), and computes exactly what
 * `switch2x2` in pool_grad.ts computes, for windows that tile the image. Lecture 001 (CNN, the gradient of
 * max pooling).
 */
import * as tf from "@tensorflow/tfjs";

/** The backend's parts used here: its WebAssembly memory and each tensor's byte offset in it. */
interface WasmHeap {
  wasm?: { asm?: { memory?: unknown } };
  getMemoryOffset?(dataId: tf.DataId): number;
}

/** Unsigned LEB128. */
function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

/** A section: id, byte length, contents. */
function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

function name(s: string): number[] {
  const b = [...Buffer.from(s, "utf8")];
  return [...uleb(b.length), ...b];
}

// Opcodes (WebAssembly 1.0).
const LOOP = [0x03, 0x40]; // loop with no result
const END = 0x0b;
const BR_IF = 0x0d;
const GET = 0x20;
const SET = 0x21;
const F32_LOAD = [0x2a, 0x02, 0x00]; // align 4, offset 0
const I32_LOAD = [0x28, 0x02, 0x00];
const I32_STORE = [0x36, 0x02, 0x00];
const I32_CONST = 0x41;
const I32_NE = 0x47;
const F32_EQ = 0x5b;
const I32_ADD = 0x6a;
const I32_SUB = 0x6b;
const I32_MUL = 0x6c;
const I32_AND = 0x71;
const I32_OR = 0x72;
const I32_XOR = 0x73;
const I32_SHL = 0x74;

// Parameters: byte offsets of x, y, g, dx; output rows B·oh, output width ow, channels C, bytes per input row.
const [X, Y, G, DX, ROWS, OW, C, ROW] = [0, 1, 2, 3, 4, 5, 6, 7];
// i32 locals (GV: the bits of the gradient value), then the f32 local M.
const [R, YC, D, PX, PD, C4, E0, E1, T, E2, GV] = [8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18];
const M = 19;

const get = (i: number) => [GET, i];
const set = (i: number) => [SET, i];
const i32 = (v: number) => [I32_CONST, v]; // 0 ≤ v < 64: one signed-LEB128 byte
const addTo = (local: number, ...amount: number[]) => [...get(local), ...amount, I32_ADD, ...set(local)];
/** f32.eq(load(address…), m) */
const equalsMax = (...address: number[]) => [...address, ...F32_LOAD, ...get(M), F32_EQ];
/** store(address…, e ? gv : +0) as bits, gv & −e: no branch (a float select compiles to one, which mispredicts). */
const storeIf = (e: number[], ...address: number[]) => [...address, ...get(GV), ...i32(0), ...e, I32_SUB, I32_AND, ...I32_STORE];

/**
 * for r < rows: pX = x + 2·r·row, pD = dx + 2·r·row; for yc < ow: for d < C: m = y[·], gv = g[·];
 * e0 = x00 == m; e1 = (x01 == m) ∧ ¬e0; t = e0 ∨ e1; e2 = (x10 == m) ∧ ¬t; e3 = (x11 == m) ∧ ¬(t ∨ e2);
 * dx[cell] = e ? gv : +0; then the next channel, the next window (skip a column), the next row pair.
 * Every loop runs at least once: the caller passes rows, ow, C ≥ 1.
 */
const body: number[] = [
  ...get(C), ...i32(2), I32_SHL, ...set(C4),
  ...i32(0), ...set(R),
  ...LOOP,
  ...get(R), ...get(ROW), I32_MUL, ...i32(1), I32_SHL, ...set(PD),
  ...get(X), ...get(PD), I32_ADD, ...set(PX),
  ...addTo(PD, ...get(DX)),
  ...i32(0), ...set(YC),
  ...LOOP,
  ...i32(0), ...set(D),
  ...LOOP,
  ...get(Y), ...F32_LOAD, ...set(M),
  ...get(G), ...I32_LOAD, ...set(GV),
  ...equalsMax(...get(PX)), ...set(E0),
  ...equalsMax(...get(PX), ...get(C4), I32_ADD), ...get(E0), ...i32(1), I32_XOR, I32_AND, ...set(E1),
  ...get(E0), ...get(E1), I32_OR, ...set(T),
  ...equalsMax(...get(PX), ...get(ROW), I32_ADD), ...get(T), ...i32(1), I32_XOR, I32_AND, ...set(E2),
  ...storeIf(get(E0), ...get(PD)),
  ...storeIf(get(E1), ...get(PD), ...get(C4), I32_ADD),
  ...storeIf(get(E2), ...get(PD), ...get(ROW), I32_ADD),
  ...storeIf(
    [...equalsMax(...get(PX), ...get(ROW), I32_ADD, ...get(C4), I32_ADD), ...get(T), ...get(E2), I32_OR, ...i32(1), I32_XOR, I32_AND],
    ...get(PD), ...get(ROW), I32_ADD, ...get(C4), I32_ADD,
  ),
  ...addTo(Y, ...i32(4)), ...addTo(G, ...i32(4)), ...addTo(PX, ...i32(4)), ...addTo(PD, ...i32(4)),
  ...addTo(D, ...i32(1)),
  ...get(D), ...get(C), I32_NE, BR_IF, 0, // next channel
  END,
  ...addTo(PX, ...get(C4)), ...addTo(PD, ...get(C4)),
  ...addTo(YC, ...i32(1)),
  ...get(YC), ...get(OW), I32_NE, BR_IF, 0, // next window
  END,
  ...addTo(R, ...i32(1)),
  ...get(R), ...get(ROWS), I32_NE, BR_IF, 0, // next row pair
  END,
  END,
];

function moduleBytes(): Uint8Array<ArrayBuffer> {
  const locals = [2, ...uleb(11), 0x7f, ...uleb(1), 0x7d];
  const code = [...locals, ...body];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, 8, ...Array<number>(8).fill(0x7f), 0]),
    ...section(2, [1, ...name("env"), ...name("memory"), 0x02, 0x00, 1]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name("switch2x2"), 0x00, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

type Switch = (x: number, y: number, g: number, dx: number, rows: number, ow: number, c: number, rowBytes: number) => void;
const compiled = new WeakMap<object, Switch | null>();
let module: WebAssembly.Module | undefined;

/** The switch function bound to `backend`'s memory, or null where the backend exposes none (then JS runs). */
function switchFor(backend: tf.KernelBackend): Switch | null {
  const heap = backend as unknown as WasmHeap;
  const memory = heap.wasm?.asm?.memory;
  if (!(memory instanceof WebAssembly.Memory) || typeof heap.getMemoryOffset !== "function") return null;
  let fn = compiled.get(memory);
  if (fn === undefined) {
    try {
      module ??= new WebAssembly.Module(moduleBytes());
      fn = new WebAssembly.Instance(module, { env: { memory } }).exports.switch2x2 as Switch;
    } catch {
      fn = null; // e.g. a shared memory of the threaded build: the JavaScript loop serves
    }
    compiled.set(memory, fn);
  }
  return fn;
}

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
  const fn = switchFor(backend);
  if (fn === null) return false;
  const offset = (info: tf.TensorInfo) => (backend as unknown as Required<WasmHeap>).getMemoryOffset(info.dataId);
  fn(offset(input), offset(pooled), offset(dy), offset(dx), (b * h) / 2, w / 2, c, w * c * 4);
  return true;
}
