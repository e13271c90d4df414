/**
 * One real tslab kernel process spoken to over the Jupyter wire protocol (ZeroMQ, HMAC-SHA256 signed
 * messages on shell, iopub, control and heartbeat). The headless runner (scripts/lib/runner.ts) builds
 * on it; other tools may too.
 *
 *   const kernel = await Kernel.start({ cwd: "notebooks" });
 *   const reply = await kernel.execute("1 + 1", { timeoutMs: 60_000, onIopub: (msg) => ... });
 *   await kernel.shutdown();
 *
 * tslab specifics handled here or documented for the caller: the first `kernel_info_request` is resent
 * until iopub answers (a SUB socket misses what is published before its subscription reaches the
 * kernel); tslab sends no `execute_input` and no `error` message (errors are stderr text with reply
 * status `error`); after a failed cell it aborts the requests that arrive within ~200 ms
 * (reply status `abort`): `execute` waits that window out and resends an aborted request.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { promises as fs } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import * as zmq from "zeromq";

/** A Jupyter message (protocol 5.3) as received or sent. */

/**
 * Environment that makes the kernel's TypeScript poll file times instead of using inotify. With inotify,
 * tslab's watch compiler throws "Unexpected pending rebuildTimer" and the kernel dies when watched .d.ts
 * files change or merely gain a hard link (a lib rebuild, the grader's sandbox copy) during a run.
 */
/**
 * The node arguments that run tslab's kernel with the course's preload (lib/src/runtime/kernel-preload.ts, which
 * queues ZeroMQ sends so a cell printing thousands of lines does not hang the kernel). `tslabDir` is a
 * node_modules/tslab folder; the preload is the reti package beside it.
 */
export function tslabKernelArgs(tslabDir: string): string[] {
  const preload = path.join(path.dirname(tslabDir), "reti", "dist", "runtime", "kernel-preload.js");
  return ["-r", preload, path.join(tslabDir, "bin", "tslab"), "kernel"];
}

export const TSLAB_WATCH_ENV = {
  TSC_WATCHFILE: "DynamicPriorityPolling",
  TSC_WATCHDIRECTORY: "DynamicPriorityPolling",
} as const;

export interface JupyterMessage {
  header: MessageHeader;
  parent_header: Partial<MessageHeader>;
  metadata: Record<string, unknown>;
  content: Record<string, unknown>;
}

export interface MessageHeader {
  msg_id: string;
  msg_type: string;
  session: string;
  username: string;
  date: string;
  version: string;
}

/** How to start a kernel. */
export interface KernelOptions {
  /** Working directory of the kernel (tslab's rootDir for imports); default: process.cwd(). */
  cwd?: string;
  /** Extra environment variables for the kernel process (added to this process's environment). */
  env?: Record<string, string>;
  /** V8 heap limit of the kernel process in MB (node --max-old-space-size); default: node's own. */
  maxOldSpaceMb?: number;
  /** Give up starting after this long (default 60 s). */
  startTimeoutMs?: number;
  /** The tslab package folder; default: the one in this project's node_modules. */
  tslabDir?: string;
  /** Extra node options for the kernel process (e.g. a permission-model sandbox), before the script. */
  nodeArgs?: string[];
}

/** The shell reply to one execute request, with timing taken from the messages. */
export interface ExecuteReply {
  /** "ok", "error" (the cell failed) or "abort" (tslab kept refusing the request). */
  status: "ok" | "error" | "abort";
  executionCount: number | null;
  /** ISO dates of the kernel's messages: iopub busy, shell reply, iopub idle. */
  busyAt: string;
  replyAt: string;
  idleAt: string;
}

export interface ExecuteOptions {
  /** Fail with KernelTimeoutError after this long (default: no limit). */
  timeoutMs?: number;
  /** Called with every iopub message the request causes (stream, display_data, ...), in order. */
  onIopub?: (msg: JupyterMessage) => void;
}

/** The kernel process ended: how, and the end of what it wrote to its own stderr. */
export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the process wrote outside any cell (V8's out-of-memory report lands here). */
  stderrTail: string;
  /** True when V8 reported running out of heap. */
  outOfMemory: boolean;
}

/** The kernel process died while a request was pending. */
export class KernelDiedError extends Error {
  constructor(readonly exit: KernelExit) {
    super(describeExit(exit));
    this.name = "KernelDiedError";
  }
}

/** A request took longer than its timeout; the kernel is left running (the caller decides). */
export class KernelTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no reply within ${formatSeconds(timeoutMs)}`);
    this.name = "KernelTimeoutError";
  }
}

/** The kernel could not be started (tslab missing, ports taken, no answer). */
export class KernelStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelStartError";
  }
}

/** One line describing how a kernel process ended, with the line of its stderr that says why. */
export function describeExit(exit: KernelExit): string {
  const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const lines = exit.stderrTail.trim().split("\n").filter((l) => l.trim() !== "");
  const why = lines.find((l) => l.startsWith("FATAL ERROR")) ?? [...lines].reverse().find((l) => /^\w*Error\b/.test(l));
  const tail = why ?? lines.slice(-3).join(" | ");
  // tslab's file watcher throws this when a .d.ts it loaded changes under it (e.g. `npm run build` of the lib).
  const hint = /pending rebuildTimer/.test(exit.stderrTail) ? " (tslab's file watcher: was the lib rebuilt during the run?)" : "";
  return `kernel ${exit.outOfMemory ? "ran out of memory and " : ""}died (${how})${tail ? `: ${tail}` : ""}${hint}`;
}

function formatSeconds(ms: number): string {
  return `${(ms / 1000).toFixed(ms < 10_000 ? 1 : 0)} s`;
}

const DELIMITER = Buffer.from("<IDS|MSG>");
const PROTOCOL_VERSION = "5.3";
/** tslab aborts requests arriving this soon after a failed cell (it resets its queue after 200 ms). */
const ABORT_WINDOW_MS = 250;
const MAX_ABORT_RETRIES = 8;
const STDERR_TAIL_CHARS = 4000;

const projectRoot = path.resolve(__dirname, "..", "..");

/** Kernel processes still running: killed when this process exits, so none outlives its runner. */
const liveKernels = new Set<ChildProcess>();
process.on("exit", () => {
  for (const child of liveKernels) child.kill("SIGKILL");
});

interface ConnectionInfo {
  transport: "tcp";
  ip: string;
  key: string;
  signature_scheme: "hmac-sha256";
  shell_port: number;
  iopub_port: number;
  control_port: number;
  stdin_port: number;
  hb_port: number;
}

interface Pending {
  onReply: (msg: JupyterMessage) => void;
  onIopub: (msg: JupyterMessage) => void;
  onExit: (exit: KernelExit) => void;
}

/** Free TCP ports on 127.0.0.1, found by binding port 0 (the kernel binds them right after). */
async function freePorts(count: number): Promise<number[]> {
  const servers = await Promise.all(
    Array.from({ length: count }, () => new Promise<net.Server>((resolve, reject) => {
      const server = net.createServer();
      server.once("error", reject);
      server.listen(0, "127.0.0.1", () => resolve(server));
    })),
  );
  const ports = servers.map((s) => (s.address() as net.AddressInfo).port);
  await Promise.all(servers.map((s) => new Promise((resolve) => s.close(resolve))));
  return ports;
}

/** A running tslab kernel. Create with `Kernel.start`; always end with `shutdown` or `kill`. */
export class Kernel {
  /** Resolves when the process has ended, however it ended. */
  readonly exited: Promise<KernelExit>;
  /** Milliseconds from spawning the process to the first kernel_info reply. */
  startMs = 0;
  /** The content of the kernel_info reply (language_info, implementation, banner). */
  info: Record<string, unknown> = {};
  private exit: KernelExit | null = null;
  private readonly session = randomUUID();
  private readonly shell = new zmq.Dealer();
  private readonly control = new zmq.Dealer();
  private readonly iopub = new zmq.Subscriber({ receiveHighWaterMark: 0 }); // no limit: never drop output
  private readonly heartbeat = new zmq.Request();
  private readonly pending = new Map<string, Pending>();
  private stderrTail = "";
  private closed = false;
  /** Time of the last failed cell: tslab aborts requests that arrive soon after it. */
  private lastErrorAt = 0;

  private constructor(
    private readonly child: ChildProcess,
    private readonly conn: ConnectionInfo,
    private readonly connFile: string,
  ) {
    liveKernels.add(child);
    this.exited = new Promise((resolve) => {
      child.once("exit", (code, signal) => {
        liveKernels.delete(child);
        this.exit = {
          code,
          signal,
          stderrTail: this.stderrTail,
          outOfMemory: /heap out of memory|Reached heap limit/i.test(this.stderrTail),
        };
        for (const p of [...this.pending.values()]) p.onExit(this.exit);
        resolve(this.exit);
        void this.closeSockets();
      });
    });
    const keep = (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
    };
    child.stderr?.on("data", keep);
    child.stdout?.on("data", keep);
  }

  /** Spawns `tslab kernel` with a fresh connection file and waits until it answers on shell and iopub. */
  static async start(options: KernelOptions = {}): Promise<Kernel> {
    const tslabDir = options.tslabDir ?? path.join(projectRoot, "node_modules", "tslab");
    const command = tslabKernelArgs(tslabDir);
    for (const file of [command[1]!, command[2]!]) {
      try {
        await fs.access(file);
      } catch {
        throw new KernelStartError(`${file} not found: run \`npm ci\` (it installs tslab and builds the reti lib) in ${projectRoot}`);
      }
    }
    // A port taken between freePorts() and the kernel's bind makes tslab hang silently: retry with new ports.
    for (let attempt = 1; ; attempt++) {
      try {
        return await Kernel.startOnce(command, options);
      } catch (err) {
        if (!(err instanceof PortTakenError) || attempt >= 3) throw err;
      }
    }
  }

  private static async startOnce(command: string[], options: KernelOptions): Promise<Kernel> {
    const [shell, iopub, control, stdin, hb] = await freePorts(5);
    const conn: ConnectionInfo = {
      transport: "tcp",
      ip: "127.0.0.1",
      key: randomBytes(32).toString("hex"),
      signature_scheme: "hmac-sha256",
      shell_port: shell,
      iopub_port: iopub,
      control_port: control,
      stdin_port: stdin,
      hb_port: hb,
    };
    const connFile = path.join(os.tmpdir(), `reti-kernel-${process.pid}-${randomUUID()}.json`);
    await fs.writeFile(connFile, JSON.stringify(conn), { mode: 0o600 });
    // A loader that runs this process (tsx, vitest) must not leak into the kernel through NODE_OPTIONS.
    const { NODE_OPTIONS: _, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = { ...inherited, ...options.env, ...TSLAB_WATCH_ENV };
    const nodeArgs = [
      ...(options.maxOldSpaceMb ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : []),
      ...(options.nodeArgs ?? []),
    ];
    const started = Date.now();
    const child = spawn(process.execPath, [...nodeArgs, ...command, "--config-path", connFile], {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const kernel = new Kernel(child, conn, connFile);
    try {
      await kernel.connect(options.startTimeoutMs ?? 60_000);
    } catch (err) {
      await kernel.kill();
      throw err;
    }
    kernel.startMs = Date.now() - started;
    return kernel;
  }

  /** The kernel's exit, or null while it runs. */
  get exitInfo(): KernelExit | null {
    return this.exit;
  }

  /** The kernel's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private async connect(timeoutMs: number): Promise<void> {
    const url = (port: number) => `tcp://${this.conn.ip}:${port}`;
    for (const socket of [this.shell, this.control, this.iopub, this.heartbeat]) socket.linger = 0;
    // A heartbeat left unanswered must not block the next one.
    this.heartbeat.relaxed = true;
    this.heartbeat.correlate = true;
    this.shell.connect(url(this.conn.shell_port));
    this.control.connect(url(this.conn.control_port));
    this.iopub.connect(url(this.conn.iopub_port));
    this.iopub.subscribe();
    this.heartbeat.connect(url(this.conn.hb_port));
    void this.receiveLoop(this.shell, (msg) => this.pending.get(msg.parent_header.msg_id ?? "")?.onReply(msg));
    void this.receiveLoop(this.control, (msg) => this.pending.get(msg.parent_header.msg_id ?? "")?.onReply(msg));
    void this.receiveLoop(this.iopub, (msg) => this.pending.get(msg.parent_header.msg_id ?? "")?.onIopub(msg));

    // Resend kernel_info_request until both its shell reply and an iopub message for it arrived.
    const deadline = Date.now() + timeoutMs;
    const ids: string[] = [];
    let replied = false;
    let heard = false;
    const ready = new Promise<void>((resolve) => {
      const check = () => replied && heard && resolve();
      this.pendingKernelInfo = {
        onReply: (msg) => { this.info = msg.content; replied = true; check(); },
        onIopub: () => { heard = true; check(); },
        onExit: () => undefined,
      };
    });
    try {
      while (!(replied && heard)) {
        if (this.exit) throw new KernelStartError(`the kernel process ended while starting: ${describeExit(this.exit)}`);
        if (/EADDRINUSE|Address already in use/.test(this.stderrTail)) throw new PortTakenError();
        if (Date.now() > deadline) {
          throw new KernelStartError(`the kernel did not answer within ${formatSeconds(timeoutMs)}` +
            (this.stderrTail ? `: ${this.stderrTail.trim().split("\n").slice(-3).join(" | ")}` : ""));
        }
        const id = this.send(this.shell, "kernel_info_request", {});
        ids.push(id);
        this.pending.set(id, this.pendingKernelInfo!);
        await Promise.race([ready, sleep(200)]);
      }
    } finally {
      for (const id of ids) this.pending.delete(id);
      this.pendingKernelInfo = undefined;
    }
  }

  private pendingKernelInfo: Pending | undefined;

  private async receiveLoop(socket: zmq.Dealer | zmq.Subscriber, dispatch: (msg: JupyterMessage) => void) {
    try {
      for await (const frames of socket) {
        const msg = this.decode(frames);
        if (msg) dispatch(msg);
      }
    } catch (err) {
      if (!this.closed) throw err;
    }
  }

  private sign(parts: string[]): string {
    const hmac = createHmac("sha256", this.conn.key);
    for (const part of parts) hmac.update(part);
    return hmac.digest("hex");
  }

  /** Parses a multipart message; drops (returns null) messages whose signature does not match. */
  private decode(frames: Buffer[]): JupyterMessage | null {
    const at = frames.findIndex((f) => f.equals(DELIMITER));
    if (at < 0 || frames.length < at + 6) return null;
    const parts = frames.slice(at + 2, at + 6).map((f) => f.toString("utf8"));
    if (frames[at + 1].toString("utf8") !== this.sign(parts)) return null;
    const [header, parent_header, metadata, content] = parts.map((p) => JSON.parse(p));
    return { header, parent_header, metadata, content };
  }

  private send(socket: zmq.Dealer, msgType: string, content: Record<string, unknown>): string {
    const header: MessageHeader = {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.session,
      username: "reti-runner",
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    };
    const parts = [header, {}, {}, content].map((p) => JSON.stringify(p));
    void socket.send([DELIMITER, this.sign(parts), ...parts]).catch(() => {
      // The socket closes when the kernel dies; the pending request then fails with KernelDiedError.
    });
    return header.msg_id;
  }

  /**
   * Runs `code` and resolves with the reply once the kernel is idle again (all its iopub output
   * delivered to `onIopub`). Rejects with KernelDiedError or KernelTimeoutError.
   * An `abort` reply (tslab's window after a failed cell) is retried after the window.
   */
  async execute(code: string, options: ExecuteOptions = {}): Promise<ExecuteReply> {
    const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
    for (let attempt = 0; ; attempt++) {
      const wait = this.lastErrorAt + ABORT_WINDOW_MS - Date.now();
      if (wait > 0) await sleep(wait);
      const reply = await this.executeOnce(code, deadline, options);
      if (reply.status === "error") this.lastErrorAt = Date.now();
      if (reply.status !== "abort" || attempt >= MAX_ABORT_RETRIES) return reply;
      this.lastErrorAt = Date.now();
    }
  }

  private executeOnce(code: string, deadline: number, options: ExecuteOptions): Promise<ExecuteReply> {
    if (this.exit) return Promise.reject(new KernelDiedError(this.exit));
    return new Promise((resolve, reject) => {
      let reply: JupyterMessage | null = null;
      let busyAt = "";
      let idleAt = "";
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (err) return reject(err);
        const content = reply!.content;
        resolve({
          status: content.status === "ok" ? "ok" : content.status === "abort" ? "abort" : "error",
          executionCount: typeof content.execution_count === "number" ? content.execution_count : null,
          busyAt: busyAt || reply!.header.date,
          replyAt: reply!.header.date,
          idleAt: idleAt || reply!.header.date,
        });
      };
      const id = this.send(this.shell, "execute_request", {
        code,
        silent: false,
        store_history: true,
        user_expressions: {},
        allow_stdin: false,
        stop_on_error: true,
      });
      this.pending.set(id, {
        onExit: (exit) => finish(new KernelDiedError(exit)),
        onReply: (msg) => {
          reply = msg;
          if (idleAt) finish(null);
        },
        onIopub: (msg) => {
          if (msg.header.msg_type === "status") {
            if (msg.content.execution_state === "busy") busyAt = msg.header.date;
            if (msg.content.execution_state === "idle") {
              idleAt = msg.header.date;
              if (reply) finish(null);
            }
            return;
          }
          options.onIopub?.(msg);
        },
      });
      if (deadline !== Infinity) {
        timer = setTimeout(() => finish(new KernelTimeoutError(options.timeoutMs ?? 0)), Math.max(0, deadline - Date.now()));
      }
    });
  }

  /**
   * Whether the kernel's event loop answers a heartbeat within `timeoutMs`. tslab answers heartbeats
   * on the thread that runs the cells, so a cell stuck in a synchronous loop makes this false while a
   * cell awaiting a promise that never settles leaves it true.
   */
  async heartbeatAnswers(timeoutMs = 500): Promise<boolean> {
    if (this.exit) return false;
    const ping = randomBytes(8);
    try {
      await this.heartbeat.send(ping);
      const answer = await Promise.race([this.heartbeat.receive(), sleep(timeoutMs).then(() => null)]);
      return answer !== null && answer[0].equals(ping);
    } catch {
      return false;
    }
  }

  /**
   * Asks the kernel to shut down (control channel) and kills it if it has not exited within `graceMs`:
   * tslab exits within ~50 ms or, once TensorFlow.js's wasm backend holds its event loop, never.
   */
  async shutdown(graceMs = 200): Promise<KernelExit> {
    if (!this.exit) {
      this.send(this.control, "shutdown_request", { restart: false });
      const exited = await Promise.race([this.exited, sleep(graceMs).then(() => null)]);
      if (!exited) return this.kill();
    }
    return this.exited;
  }

  /** Kills the kernel process at once (SIGKILL) and waits for it to end. */
  async kill(): Promise<KernelExit> {
    if (!this.exit) this.child.kill("SIGKILL");
    return this.exited;
  }

  private async closeSockets(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [this.shell, this.control, this.iopub, this.heartbeat]) socket.close();
    await fs.rm(this.connFile, { force: true });
  }
}

class PortTakenError extends Error {}

function sleep(ms: number): Promise<void> {
  return new Promise((resolve) => setTimeout(resolve, ms));
}
