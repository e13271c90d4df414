/**
 * A minimal WebAssembly assembler for the few loops that the wasm backend lacks and JavaScript runs slowly: one
 * exported function over the backend's own memory (tensors addressed by their byte offsets in its heap, no
 * copies), written as a list of instructions and encoded here (no toolchain). Serves pool_grad_wasm.ts and
 * adam_wasm.ts, transpose_wasm.ts. Lecture 001 (CNN, backpropagation) and 003 (Adam): the kernels they speed up.
 */
import * as tf from "@tensorflow/tfjs";

/** The wasm backend's parts used here: its WebAssembly memory and each tensor's byte offset in it. */
interface WasmHeap {
  wasm?: { asm?: { memory?: unknown } };
  getMemoryOffset?(dataId: tf.DataId): number;
}

/** The parts of the WebAssembly JavaScript API used here (the lib compiles without the DOM typings that declare it). */
interface WasmApi {
  Memory: abstract new (...args: never[]) => object;
  Module: new (bytes: Uint8Array<ArrayBuffer>) => object;
  Instance: new (module: object, imports: object) => { exports: Record<string, unknown> };
}
const WA = (globalThis as unknown as { WebAssembly: WasmApi }).WebAssembly;

/** Unsigned LEB128. */
export function uleb(n: number): number[] {
  const out: number[] = [];
  do {
    let byte = n & 0x7f;
    n >>>= 7;
    if (n !== 0) byte |= 0x80;
    out.push(byte);
  } while (n !== 0);
  return out;
}

function section(id: number, bytes: number[]): number[] {
  return [id, ...uleb(bytes.length), ...bytes];
}

function name(s: string): number[] {
  const b = [...Buffer.from(s, "utf8")];
  return [...uleb(b.length), ...b];
}

/** Value types. */
export const I32 = 0x7f;
export const F32 = 0x7d;
export const V128 = 0x7b;

/** Instructions (WebAssembly 1.0 and fixed-width SIMD), as byte lists to spread into a body. */
export const op = {
  loop: [0x03, 0x40], // loop with no result
  end: [0x0b],
  brIf: (depth: number) => [0x0d, depth],
  get: (i: number) => [0x20, i],
  set: (i: number) => [0x21, i],
  tee: (i: number) => [0x22, i],
  i32Const: (v: number) => [0x41, v], // 0 ≤ v < 64: one signed-LEB128 byte
  f32Const: (v: number) => [0x43, ...new Uint8Array(Float32Array.of(v).buffer)],
  i32Load: [0x28, 0x02, 0x00], // align 4, offset 0
  f32Load: [0x2a, 0x02, 0x00],
  i32Store: [0x36, 0x02, 0x00],
  i32Ne: [0x47],
  i32LtU: [0x49],
  f32Eq: [0x5b],
  i32Add: [0x6a],
  i32Sub: [0x6b],
  i32Mul: [0x6c],
  i32And: [0x71],
  i32Or: [0x72],
  i32Xor: [0x73],
  i32Shl: [0x74],
  v128Load: [0xfd, 0x00, 0x04, 0x00], // align 16 (a hint), offset 0
  v128Store: [0xfd, 0x0b, 0x04, 0x00],
  f32x4Splat: [0xfd, 0x13],
  f32x4Sqrt: [0xfd, 0xe3, 0x01],
  f32x4Add: [0xfd, 0xe4, 0x01],
  f32x4Sub: [0xfd, 0xe5, 0x01],
  f32x4Mul: [0xfd, 0xe6, 0x01],
  f32x4Div: [0xfd, 0xe7, 0x01],
};

/**
 * A module that imports `env.memory` and exports one function `name` with `params` parameters (types), extra
 * locals given as [count, type] groups, and `body` (without the final `end`).
 */
export function assemble(fn: string, params: number[], locals: [number, number][], body: number[]): Uint8Array<ArrayBuffer> {
  const code = [...uleb(locals.length), ...locals.flatMap(([n, t]) => [...uleb(n), t]), ...body, ...op.end];
  return new Uint8Array([
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00,
    ...section(1, [1, 0x60, ...uleb(params.length), ...params, 0]),
    ...section(2, [1, ...name("env"), ...name("memory"), 0x02, 0x00, 1]),
    ...section(3, [1, 0]),
    ...section(7, [1, ...name(fn), 0x00, 0]),
    ...section(10, [1, ...uleb(code.length), ...code]),
  ]);
}

/**
 * The exported function of the module `bytes` bound to `backend`'s memory (compiled once per module and memory),
 * or null where the backend exposes no WebAssembly memory or the module does not instantiate (e.g. the shared
 * memory of the threaded build): callers then run their JavaScript loop.
 */
export function bind<F>(backend: tf.KernelBackend, bytes: () => Uint8Array<ArrayBuffer>, fn: string): F | null {
  const heap = backend as unknown as WasmHeap;
  const memory = heap.wasm?.asm?.memory;
  if (!(memory instanceof WA.Memory) || typeof heap.getMemoryOffset !== "function") return null;
  let perMemory = instances.get(bytes);
  if (perMemory === undefined) instances.set(bytes, (perMemory = new WeakMap()));
  let bound = perMemory.get(memory);
  if (bound === undefined) {
    try {
      bound = new WA.Instance(new WA.Module(bytes()), { env: { memory } }).exports[fn] as (...args: number[]) => void;
    } catch {
      bound = null;
    }
    perMemory.set(memory, bound);
  }
  return bound as F | null;
}

const instances = new Map<() => Uint8Array<ArrayBuffer>, WeakMap<object, ((...args: number[]) => void) | null>>();

/** The byte offset of a tensor's values in the wasm backend's heap (call only after `bind` succeeded). */
export function heapOffset(backend: tf.KernelBackend, info: tf.TensorInfo): number {
  return (backend as unknown as Required<WasmHeap>).getMemoryOffset(info.dataId);
}
