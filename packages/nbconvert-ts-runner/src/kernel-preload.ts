/**
 * Preloaded into every tslab kernel this package starts, and into the kernelspecs it writes
 * (`node -r nbconvert-ts-runner/dist/kernel-preload.js tslab kernel ...`). Three fixes:
 *
 * 1. Queued ZeroMQ sends. tslab fires `socket.send` without awaiting it, and zeromq 6 rejects a send
 *    issued while the previous one is still being written ("Socket is busy writing"): a cell that
 *    printed a few thousand lines lost its reply and hung the kernel. Sends on a socket now wait
 *    for the one before.
 * 2. No iopub high-water mark: past it ZeroMQ silently drops output.
 * 3. A send that still fails (e.g. on a socket closed at shutdown) is logged to the kernel's stderr
 *    instead of becoming an unhandled rejection; and an `unhandledRejection` listener that rethrows
 *    (TensorFlow.js's wasm module installs `(reason) => { throw reason }`) no longer kills the kernel:
 *    its throw is logged, as tslab's own listener logs every unhandled rejection.
 *
 * 4. Each cell's compiled script is kept, under its own script name, in
 *    `globalThis[Symbol.for("nbconvert-ts-runner.cellScripts")]` (script name → JavaScript text), so
 *    an error can quote the cell line it came from (the course's CheckError does: one line instead
 *    of a stack of tslab and node:vm frames).
 *
 * Plain Node: this file may not import anything but node built-ins (it runs before tslab).
 */
import * as path from "node:path";
import type * as VM from "node:vm";

type Send = (this: object, message: unknown) => Promise<void>;
type Listener = (...args: unknown[]) => void;

function log(what: string, err: unknown): void {
  process.stderr.write(`nbconvert-ts-runner preload: ${what}: ${err instanceof Error ? err.stack ?? err.message : String(err)}\n`);
}

// The zeromq that tslab itself loads: resolved from the tslab script this process runs.
const tslabScript = process.argv[1] ?? "";
interface Publisher {
  sendHighWaterMark: number;
}
const zmq = require(require.resolve("zeromq", { paths: [path.dirname(tslabScript)] })) as {
  Socket: { prototype: object };
  Publisher: new (...args: unknown[]) => Publisher;
};
const prototype = zmq.Socket.prototype;
const send = Object.getOwnPropertyDescriptor(prototype, "send")?.value as Send | undefined;
const queues = new WeakMap<object, Promise<void>>();

if (send) {
  Object.defineProperty(prototype, "send", {
    configurable: true,
    value: function queuedSend(this: object, message: unknown): Promise<void> {
      const previous = queues.get(this) ?? Promise.resolve();
      const next = previous.then(() => send.call(this, message));
      // Handled here (callers that await still see the rejection); tslab does not await.
      const settled = next.catch((err: unknown) => log("a ZeroMQ send failed", err));
      queues.set(this, settled);
      return next;
    },
  });
}

const BasePublisher = zmq.Publisher;
zmq.Publisher = class UnboundedPublisher extends BasePublisher {
  constructor(...args: unknown[]) {
    super(...args);
    this.sendHighWaterMark = 0; // no limit: a cell's output is never dropped
  }
};

/** `unhandledRejection` listeners added from now on: a throw inside one is logged, not fatal. */
const wrapped = new WeakMap<Listener, Listener>();
function contained(listener: Listener): Listener {
  let safe = wrapped.get(listener);
  if (!safe) {
    safe = function (this: unknown, ...args: unknown[]) {
      try {
        listener.apply(this, args);
      } catch (err) {
        log("an unhandledRejection listener rethrew (the kernel keeps running)", err);
      }
    };
    wrapped.set(listener, safe);
  }
  return safe;
}
for (const method of ["on", "addListener", "prependListener", "once", "prependOnceListener"] as const) {
  const original = process[method] as (this: NodeJS.Process, event: string | symbol, listener: Listener) => NodeJS.Process;
  (process as unknown as Record<string, unknown>)[method] = function (this: NodeJS.Process, event: string | symbol, listener: Listener) {
    return original.call(this, event, event === "unhandledRejection" && typeof listener === "function" ? contained(listener) : listener);
  };
}
for (const method of ["off", "removeListener"] as const) {
  const original = process[method] as (this: NodeJS.Process, event: string | symbol, listener: Listener) => NodeJS.Process;
  (process as unknown as Record<string, unknown>)[method] = function (this: NodeJS.Process, event: string | symbol, listener: Listener) {
    return original.call(this, event, (event === "unhandledRejection" && wrapped.get(listener)) || listener);
  };
}

// 4. tslab runs each cell as `vm.runInThisContext("(function(exports, require) { …", { breakOnSigint })`.
const CELL_SCRIPT = /^\((async )?function\(exports, require\) \{ /;
const cellScripts = new Map<string, string>();
(globalThis as Record<symbol, unknown>)[Symbol.for("nbconvert-ts-runner.cellScripts")] = cellScripts;
// The module object itself (tslab requires "vm"), not an ES-module namespace copy of it.
const vm = require("node:vm") as { runInThisContext: typeof VM.runInThisContext };
const runInThisContext = vm.runInThisContext;
let cellCount = 0;
vm.runInThisContext = function (code: string, options?: VM.RunningScriptOptions | string) {
  if (typeof code === "string" && CELL_SCRIPT.test(code) && (options === undefined || (typeof options === "object" && !options.filename))) {
    const filename = `evalmachine.<cell ${++cellCount}>`;
    cellScripts.set(filename, code);
    return runInThisContext(code, { ...options, filename });
  }
  return runInThisContext(code, options);
};
