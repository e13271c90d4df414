/**
 * The one module that loads TensorFlow.js (`@tensorflow/tfjs` 4.22.0, pinned exactly as tfjs-node pins it)
 * and picks its compute backend. Notebooks write `import { tf, initBackend } from "reti"` and call
 * `await initBackend()` once near the top. Notebooks 00, 02, 03 and 05 (training networks).
 */
import * as tf from "@tensorflow/tfjs";
import "@tensorflow/tfjs-backend-wasm";
import { registerKernels } from "./kernels";

export { tf };

/**
 * The backends `initBackend` knows, fastest first: `tensorflow` (native libtensorflow through the optional
 * `@tensorflow/tfjs-node`), `wasm` (WebAssembly with SIMD, the default here) and `cpu` (plain JavaScript).
 */
export const BACKENDS = ["tensorflow", "wasm", "cpu"] as const;

/** One of `BACKENDS`. */
export type BackendName = (typeof BACKENDS)[number];

/** The optional native accelerator: `npm i @tensorflow/tfjs-node` on a machine that can download libtensorflow. */
const TFJS_NODE = "@tensorflow/tfjs-node";
/** Why `tensorflow` is unavailable in the usual case, which automatic selection passes over silently. */
const NOT_INSTALLED = `${TFJS_NODE} is not installed (npm i ${TFJS_NODE}@${tf.version.tfjs})`;

// The cpu backend prints a "running in Node.js, install tfjs-node" banner on its first tensor; production
// mode silences it (and tfjs's other console warnings, e.g. kernel re-registration).
tf.enableProdMode();
registerKernels();

let active: BackendName | undefined;
let pending: Promise<BackendName> | undefined;

function isBackendName(name: string): name is BackendName {
  return (BACKENDS as readonly string[]).includes(name);
}

function validated(name: string, source: string): BackendName {
  if (!isBackendName(name)) {
    throw new Error(`unknown TensorFlow.js backend "${name}" (${source}): choose one of ${BACKENDS.join(", ")}`);
  }
  return name;
}

/**
 * Loads tfjs-node, which registers the `tensorflow` backend on this same tfjs. Returns why it is unavailable,
 * or undefined when the backend is registered.
 */
async function loadTfjsNode(): Promise<string | undefined> {
  if (tf.findBackendFactory("tensorflow") != null) return undefined;
  process.env.TF_CPP_MIN_LOG_LEVEL ??= "2"; // keep libtensorflow's start-up log quiet
  try {
    await import(TFJS_NODE);
  } catch (error) {
    const err = error as { code?: string; message?: string };
    if (err.code === "MODULE_NOT_FOUND" || err.code === "ERR_MODULE_NOT_FOUND") {
      if (String(err.message).includes(TFJS_NODE)) return NOT_INSTALLED;
    }
    return `${TFJS_NODE} is installed but failed to load: ${err.message ?? String(error)}`;
  }
  if (tf.findBackendFactory("tensorflow") == null) {
    return `${TFJS_NODE} loaded but registered no "tensorflow" backend on reti's @tensorflow/tfjs ${tf.version.tfjs}: install ${TFJS_NODE}@${tf.version.tfjs} so both share one tfjs`;
  }
  return undefined;
}

/**
 * Emscripten's Node.js handlers, installed by the wasm backend's module when it starts:
 * `process.on("unhandledRejection", function (reason) { throw reason; })` and an `uncaughtException`
 * listener that rethrows. In a tslab kernel, whose own listeners log both, they turn any unhandled
 * rejection (tslab's unawaited ZeroMQ sends, a cell's forgotten promise) into the kernel's death.
 */
const RETHROWS = /^function\s*\((\w+)\)\s*\{\s*(?:if\s*\(\s*!\s*\(\s*\1\s+instanceof\s+ExitStatus\s*\)\s*\)\s*\{?\s*)?throw\s+\1\s*;?\s*\}?\s*\}$/;

/**
 * Removes the wasm module's rethrowing listeners (with no other listener, Node.js's default does the
 * same as they did: it ends the process), so a kernel survives an unhandled rejection whatever its
 * kernelspec. Notebooks 00–09 (every notebook that trains on the wasm backend).
 */
function dropRethrowingListeners(): void {
  const emitter: NodeJS.EventEmitter = process;
  for (const event of ["unhandledRejection", "uncaughtException"]) {
    for (const listener of emitter.listeners(event)) {
      if (RETHROWS.test(Function.prototype.toString.call(listener))) emitter.removeListener(event, listener as (...args: unknown[]) => void);
    }
  }
}

/** Makes `name` the active backend, or returns why it cannot be. */
async function trySet(name: BackendName): Promise<string | undefined> {
  if (name === "tensorflow") {
    const missing = await loadTfjsNode();
    if (missing !== undefined) return missing;
  }
  let ok: boolean;
  try {
    ok = await tf.setBackend(name);
    await tf.ready();
  } catch (error) {
    return `backend "${name}" failed to initialise: ${(error as Error).message}`;
  } finally {
    if (name === "wasm") dropRethrowingListeners();
  }
  return ok ? undefined : `backend "${name}" failed to initialise`;
}

async function select(forced: BackendName | undefined): Promise<BackendName> {
  if (forced !== undefined) {
    const why = await trySet(forced);
    if (why !== undefined) {
      throw new Error(`cannot use the TensorFlow.js backend "${forced}": ${why}. Choose one of ${BACKENDS.join(", ")} that is available, or unset RETI_BACKEND to pick automatically.`);
    }
    return forced;
  }
  const reasons: string[] = [];
  for (const name of BACKENDS) {
    const why = await trySet(name);
    if (why === undefined) {
      const surprising = reasons.filter((r) => r !== NOT_INSTALLED);
      if (surprising.length > 0) console.warn(`reti: ${surprising.join("; ")}; using ${name}`);
      return name;
    }
    reasons.push(why);
  }
  throw new Error(`no TensorFlow.js backend could start: ${reasons.join("; ")}`);
}

/**
 * Picks and initialises the TensorFlow.js backend, and returns its name: `tensorflow` (tfjs-node) when
 * `@tensorflow/tfjs-node` is installed and loads, else `wasm`, else `cpu`. The argument, or else the
 * environment variable `RETI_BACKEND` (`tensorflow`, `wasm` or `cpu`), forces one: an unknown or unavailable
 * name throws an error naming the choices. Calling it again is cheap and keeps the active backend unless a
 * different one is asked for. Create tensors only after it resolves. Notebooks 00, 02, 03 and 05 (compute backend).
 */
export async function initBackend(name?: string): Promise<BackendName> {
  const env = process.env.RETI_BACKEND;
  const forced =
    name !== undefined
      ? validated(name, "initBackend argument")
      : env !== undefined && env !== ""
        ? validated(env, "environment variable RETI_BACKEND")
        : undefined;
  while (pending !== undefined) await pending.catch(() => undefined);
  if (active !== undefined && (forced === undefined || forced === active) && tf.getBackend() === active) return active;
  pending = select(forced);
  try {
    active = await pending;
    return active;
  } finally {
    pending = undefined;
  }
}

/**
 * The name of the active backend (`tensorflow`, `wasm` or `cpu`); throws if `initBackend` has not run yet.
 * Notebooks 00 and 03 (compute backend).
 */
export function backendName(): BackendName {
  if (active === undefined) throw new Error("no TensorFlow.js backend yet: call `await initBackend()` first");
  const current = tf.engine().backendName;
  return isBackendName(current) ? current : active;
}
