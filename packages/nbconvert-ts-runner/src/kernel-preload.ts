/**
 * Preloaded into every tslab kernel this package starts, and into the kernelspecs it writes
 * (`node -r nbconvert-ts-runner/dist/kernel-preload.js tslab kernel ...`). Its fixes:
 *
 * 1. Queued ZeroMQ sends. tslab fires `socket.send` without awaiting it, and zeromq 6 refuses a send
 *    issued while the previous one is still being written ("Socket is busy writing"): a cell that
 *    printed a few thousand lines lost its reply and hung the kernel. A send that zeromq refuses so
 *    now waits in a queue for the one before (and every later send of that socket behind it, until
 *    the queue is empty); otherwise it goes out at once, even in the middle of a synchronous cell.
 *    Sends and receives also wait for a bind in progress (bind-wait.ts: tslab reads before its binds
 *    complete, and on a loaded machine the kernel then never answered).
 * 2. No iopub high-water mark: past it ZeroMQ silently drops output.
 * 3. A send that still fails (e.g. on a socket closed at shutdown) is logged to the kernel's stderr
 *    instead of becoming an unhandled rejection, once a socket: after a cell, tslab sends the kernel's
 *    stderr to the front end on iopub, so each failure on a closed iopub socket logged another one
 *    (the kernel spun at full speed after closing its sockets). And an `unhandledRejection` listener
 *    that rethrows (TensorFlow.js's wasm module installs `(reason) => { throw reason }`) no longer
 *    kills the kernel: its throw is logged, as tslab's own listener logs every unhandled rejection.
 *
 * 4. Each cell's compiled script is kept, under its own script name, in
 *    `globalThis[Symbol.for("nbconvert-ts-runner.cellScripts")]` (script name → JavaScript text), so
 *    an error can quote the cell line it came from (the course's CheckError does: one line instead
 *    of a stack of tslab and node:vm frames).
 * 5. A finished cell's output reaches the front end before the next queued cell starts: before each
 *    execution, the kernel yields (setImmediate) until every queued ZeroMQ send has been written, so
 *    a long synchronous cell no longer holds back the output, execute_reply and idle of the cells
 *    before it (Run All in the browser showed outputs a minute late).
 * 6. The kernel status follows the computation, as ipykernel's does: tslab published `busy` for every
 *    queued execute_request when it arrived, then `idle` as each finished, so the front end said
 *    idle while Run All was still computing. `busy` for an execute_request is now published when it
 *    starts computing; an `idle` for another request (completion, inspection) answered while a cell
 *    computes is followed by `busy` again for that cell. Every request still gets its `idle`
 *    (JupyterLab waits for it to finish a cell), so `idle` is not held back until the queue is empty.
 * 7. Declarations loaded ahead: the modules named in `NBCONVERT_TS_RUNNER_TYPES` (comma-separated), or
 *    else in the `"nbconvert-ts-runner": { "types": [...] }` field of the package.json nearest to the
 *    kernel's folder, are imported by a virtual module of tslab's program once the kernel has answered
 *    its first kernel_info request (so the start is not slower) and sent that reply. tslab's TypeScript then
 *    parses and binds their declarations (a library built on TensorFlow.js: ~700 .d.ts files, 1–1.5 s)
 *    while the kernel waits for its first cell, not in the cell that imports them; that cell is
 *    type-checked as before, against the same declarations. The modules loaded so are listed in
 *    `globalThis[Symbol.for("nbconvert-ts-runner.typesLoaded")]`.
 * 8. Faster cells: tslab's TypeScript recomputed, twice a cell, the module references of every file of
 *    its program (~800 declaration files with the course's library: 0.3 s of CPU a cell, even for
 *    `1 + 1`); unchanged declaration files now keep theirs (builder-reuse.ts). Off with
 *    NBCONVERT_TS_RUNNER_BUILDER_REUSE=off (for benchmarks and bisecting).
 * 9. A kernel asked to shut down exits once its shutdown_reply and idle are written (at most 1 s).
 *    tslab closed its sockets and left the process to end by itself, which it never did once
 *    TensorFlow.js's wasm backend was loaded (the classic Notebook, which does not kill a kernel after
 *    asking it to stop, left one per notebook behind).
 *
 * Plain Node: this file may import nothing but node built-ins, bind-wait.ts and builder-reuse.ts,
 * which import nothing (it runs before tslab).
 */
import * as path from "node:path";
import type * as VM from "node:vm";
import { receiveWhenBound, whenBound } from "./bind-wait";
import { reuseDeclarationReferences } from "./builder-reuse";

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
/** Sockets whose failed send has been logged. */
const failed = new WeakSet<object>();
let pendingSends = 0;
receiveWhenBound(prototype);

/** Messages queued on a socket and not yet handed to ZeroMQ. */
const waiting = new WeakMap<object, number>();

/** Whether `err` is zeromq's synchronous refusal of a send: another send is being written, or a bind is in progress. */
function busy(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "EBUSY";
}

if (send) {
  /** Counts `sent` as pending until it settles, logs its failure (once a socket), and makes it the one the next queued send waits for. */
  const track = (socket: object, sent: Promise<void>): void => {
    pendingSends++;
    // Handled here (callers that await still see the rejection); tslab does not await.
    const settled = sent
      .catch((err: unknown) => {
        if (failed.has(socket)) return;
        failed.add(socket);
        log("a ZeroMQ send failed (later failures on this socket are not logged)", err);
      })
      .finally(() => {
        pendingSends--;
      });
    queues.set(socket, settled);
  };
  Object.defineProperty(prototype, "send", {
    configurable: true,
    value: function queuedSend(this: object, message: unknown): Promise<void> {
      // With nothing queued on this socket, the message goes to ZeroMQ at once: it writes it synchronously
      // when it can, so the live displays of a synchronous cell (a from-scratch training loop) reach the
      // front end while the cell computes. A send refused for a write or bind in progress joins the queue,
      // and so does every later one until the queue is empty: the order is kept.
      if (!waiting.get(this)) {
        let sent: Promise<void> | null;
        try {
          sent = send.call(this, message);
        } catch (err) {
          sent = busy(err) ? null : Promise.reject(err);
        }
        if (sent) {
          track(this, sent);
          return sent;
        }
      }
      waiting.set(this, (waiting.get(this) ?? 0) + 1);
      const next = (queues.get(this) ?? Promise.resolve()).then(() => {
        waiting.set(this, waiting.get(this)! - 1);
        return whenBound(() => send.call(this, message));
      });
      track(this, next);
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

/** `unhandledRejection` and `uncaughtException` listeners added from now on: a throw inside one is logged, not fatal. */
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
    return original.call(this, event, (event === "unhandledRejection" || event === "uncaughtException") && typeof listener === "function" ? contained(listener) : listener);
  };
}
for (const method of ["off", "removeListener"] as const) {
  const original = process[method] as (this: NodeJS.Process, event: string | symbol, listener: Listener) => NodeJS.Process;
  (process as unknown as Record<string, unknown>)[method] = function (this: NodeJS.Process, event: string | symbol, listener: Listener) {
    return original.call(this, event, ((event === "unhandledRejection" || event === "uncaughtException") && wrapped.get(listener)) || listener);
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

// 5 and 6: tslab's ZmqServer (shell messages, status) and JupyterHandlerImpl (the execution queue),
// from the tslab this process runs (the same module instance its main.js loads).
interface Message {
  header: { msg_type: string };
  content: object;
}
interface Server {
  publishStatus(status: string, parent: Message): void;
  handleExecute(sock: unknown, msg: Message): Promise<void>;
  close(): void;
}
interface Handler {
  handleExecuteImpl(...args: unknown[]): Promise<unknown>;
}
function tslabJupyter(): { ZmqServer?: { prototype: Server }; JupyterHandlerImpl?: { prototype: Handler } } | null {
  for (const file of [path.join(path.dirname(tslabScript), "..", "dist", "jupyter.js"), "tslab/dist/jupyter.js"]) {
    try {
      return require(require.resolve(file, { paths: [path.dirname(tslabScript)] }));
    } catch {
      // next candidate
    }
  }
  return null;
}
const jupyter = tslabJupyter();
const serverProto = jupyter?.ZmqServer?.prototype;
const handlerProto = jupyter?.JupyterHandlerImpl?.prototype;
if (serverProto && handlerProto && typeof serverProto.publishStatus === "function" && typeof handlerProto.handleExecuteImpl === "function") {
  const publishStatus = serverProto.publishStatus;
  const handleExecute = serverProto.handleExecute;
  const handleExecuteImpl = handlerProto.handleExecuteImpl;
  /** execute_request content → publishes its `busy` when it starts computing. */
  const starts = new WeakMap<object, () => void>();
  let running: { server: Server; msg: Message } | null = null;
  const tick = () => new Promise<void>((resolve) => setImmediate(resolve));

  serverProto.publishStatus = function (this: Server, status: string, parent: Message): void {
    const execute = parent?.header?.msg_type === "execute_request";
    if (execute && status === "busy") return; // published when it starts (below)
    publishStatus.call(this, status, parent);
    if (execute && status === "idle" && running?.msg === parent) running = null;
    if (!execute && status === "idle" && running) publishStatus.call(running.server, "busy", running.msg);
  };
  serverProto.handleExecute = function (this: Server, sock: unknown, msg: Message): Promise<void> {
    starts.set(msg.content, () => {
      running = { server: this, msg };
      publishStatus.call(this, "busy", msg);
    });
    return handleExecute.call(this, sock, msg);
  };
  handlerProto.handleExecuteImpl = async function (this: Handler, ...args: unknown[]): Promise<unknown> {
    // The cell before has settled: let its reply and idle be queued (they follow a few promise hops),
    // then say busy, then wait until every queued send has been written (at most 2 s).
    await tick();
    const req = args[0];
    if (req && typeof req === "object") starts.get(req)?.();
    const until = Date.now() + 2000;
    do await tick();
    while (pendingSends > 0 && Date.now() < until);
    return handleExecuteImpl.apply(this, args);
  };
}

// 7. Declarations loaded ahead, into tslab's (Node.js) converter.
function typesToLoad(): string[] {
  const named = process.env.NBCONVERT_TS_RUNNER_TYPES;
  if (named !== undefined) return named.split(",").map((s) => s.trim()).filter(Boolean);
  const fs = require("node:fs") as typeof import("node:fs");
  for (let dir = process.cwd(); ; dir = path.dirname(dir)) {
    try {
      const pkg = JSON.parse(fs.readFileSync(path.join(dir, "package.json"), "utf8")) as Record<string, unknown>;
      const types = (pkg["nbconvert-ts-runner"] as { types?: unknown } | undefined)?.types;
      return Array.isArray(types) ? types.filter((t): t is string => typeof t === "string") : [];
    } catch {
      // no (readable) package.json here
    }
    if (path.dirname(dir) === dir) return [];
  }
}
interface Converter {
  addModule(name: string, content: string): unknown;
}
function tslabConverter(): { createConverter?: (options?: { isJS?: boolean; isBrowser?: boolean }) => Converter } | null {
  try {
    return require(require.resolve(path.join(path.dirname(tslabScript), "..", "dist", "converter.js")));
  } catch {
    return null;
  }
}
const types = typesToLoad();
const converterModule = types.length > 0 ? tslabConverter() : null;
const createConverter = converterModule?.createConverter;
const kernelInfo = (serverProto as { handleKernelInfo?: (...args: unknown[]) => unknown } | undefined)?.handleKernelInfo;
if (converterModule && typeof createConverter === "function" && serverProto && typeof kernelInfo === "function") {
  let load: (() => void) | null = null;
  (serverProto as unknown as { handleKernelInfo: (...args: unknown[]) => unknown }).handleKernelInfo = function (this: unknown, ...args: unknown[]) {
    const result = kernelInfo.apply(this, args);
    const once = load;
    load = null;
    if (once) {
      // After the reply has been written (at most 2 s), so the client sees the kernel ready first.
      const until = Date.now() + 2000;
      const go = (): void => void (pendingSends > 0 && Date.now() < until ? setImmediate(go) : once());
      setImmediate(go);
    }
    return result;
  };
  const imports = types.map((t) => `import ${JSON.stringify(t)};`).join("\n");
  converterModule.createConverter = function (options?: { isJS?: boolean; isBrowser?: boolean }): Converter {
    const converter = createConverter(options);
    if (!options?.isJS && !options?.isBrowser) {
      load = () => {
        try {
          // Its diagnostics (a module not found) are nobody's concern: a cell that imports one reports them.
          converter.addModule("__nbconvert_ts_runner_types__", imports);
          (globalThis as Record<symbol, unknown>)[Symbol.for("nbconvert-ts-runner.typesLoaded")] = types;
        } catch (err) {
          log(`loading the declarations of ${types.join(", ")} ahead failed`, err);
        }
      };
    }
    return converter;
  };
}

// 8. Unchanged declaration files keep their builder state, in the TypeScript tslab compiles cells with
// (NBCONVERT_TS_RUNNER_BUILDER_REUSE=off: as tslab alone does, for benchmarks and bisecting).
try {
  if (process.env.NBCONVERT_TS_RUNNER_BUILDER_REUSE !== "off") reuseDeclarationReferences(require(require.resolve("@tslab/typescript-for-tslab", { paths: [path.dirname(tslabScript)] })) as object);
} catch (err) {
  log("the builder state reuse is off (cells compile as tslab compiles them)", err);
}

// 9. Shutdown ends the process. tslab calls ZmqServer.close right after queuing its shutdown_reply and idle:
// the sockets close once those are written, then the process exits.
if (serverProto && typeof serverProto.close === "function") {
  const close = serverProto.close;
  serverProto.close = function (this: Server): void {
    const until = Date.now() + 1000;
    const closeWhenSent = (): void => {
      if (pendingSends > 0 && Date.now() < until) return void setTimeout(closeWhenSent, 5);
      close.call(this);
      // The process ends by itself when nothing holds its event loop; otherwise now.
      setTimeout(() => process.exit(0), 100).unref();
    };
    closeWhenSent();
  };
}
