/**
 * Jupyter kernels spoken to over the Jupyter messaging protocol (v5): `Kernel`, a local tslab process
 * over ZeroMQ (HMAC-SHA256 signed multipart messages on shell, iopub, control and heartbeat), and,
 * in server.ts, a kernel of a running Jupyter server over its WebSocket. Both share `MessageKernel`,
 * which handles the handshake and the execution of a cell. The runner (runner.ts) builds on them.
 *
 *   const kernel = await Kernel.start({ cwd: "notebooks" });
 *   const reply = await kernel.execute("1 + 1", { timeoutMs: 60_000, onIopub: (msg) => ... });
 *   await kernel.shutdown();
 *
 * tslab specifics handled here (see the package README): the first `kernel_info_request` is resent
 * until iopub answers (a SUB socket misses what is published before its subscription reaches the
 * kernel); tslab sends no `execute_input` and no `error` message (errors are stderr text with reply
 * status `error`); it stamps `execute_reply` when the cell starts (the reply's arrival time is used
 * instead); after a failed cell it aborts the requests that arrive within ~200 ms (reply status
 * `abort`): `execute` waits that window out and resends an aborted request.
 */
import { spawn, type ChildProcess } from "node:child_process";
import { createHmac, randomBytes, randomUUID } from "node:crypto";
import { promises as fs, readFileSync } from "node:fs";
import * as net from "node:net";
import * as os from "node:os";
import * as path from "node:path";
import type * as Zmq from "zeromq";
import { formatDuration, isFolder, sleep } from "./util";

/** A Jupyter message (protocol 5.3) as received or sent. */
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

/** The channels a client sends on. */
export type Channel = "shell" | "control";

/**
 * Environment that makes the kernel's TypeScript poll file times instead of using inotify. With inotify,
 * tslab's watch compiler throws "Unexpected pending rebuildTimer" and the kernel dies when watched .d.ts
 * files change or merely gain a hard link (a library rebuild, a sandbox copy) during a run.
 */
export const TSLAB_WATCH_ENV = {
  TSC_WATCHFILE: "DynamicPriorityPolling",
  TSC_WATCHDIRECTORY: "DynamicPriorityPolling",
} as const;

/** The compiled kernel preload (kernel-preload.ts) of this package. */
export const KERNEL_PRELOAD = path.resolve(__dirname, "..", "dist", "kernel-preload.js");

/** The tslab package folder this package depends on. */
export function defaultTslabDir(): string {
  return path.dirname(require.resolve("tslab/package.json", { paths: [__dirname, process.cwd()] }));
}

/**
 * The node arguments that run tslab's kernel with this package's preload (kernel-preload.ts: queued
 * ZeroMQ sends, no iopub high-water mark, send failures and rethrowing rejection handlers contained).
 * A kernelspec's argv is `[node, ...tslabKernelArgs(), "--config-path", "{connection_file}"]`.
 */
export function tslabKernelArgs(tslabDir = defaultTslabDir()): string[] {
  return ["-r", KERNEL_PRELOAD, path.join(tslabDir, "bin", "tslab"), "kernel"];
}

/**
 * A Jupyter kernelspec (kernel.json) that runs tslab with this package's preload and polling file
 * watcher, for JupyterLab, nbconvert or a Jupyter server: write it to `<data dir>/kernels/<name>/kernel.json`.
 */
export function tslabKernelSpec(displayName = "TypeScript", options: { node?: string; tslabDir?: string } = {}): Record<string, unknown> {
  return {
    argv: [options.node ?? process.execPath, ...tslabKernelArgs(options.tslabDir), "--config-path", "{connection_file}"],
    display_name: displayName,
    language: "typescript",
    env: TSLAB_WATCH_ENV,
    metadata: { debugger: false },
  };
}

/** How to start a kernel. */
export interface KernelOptions {
  /** Working directory of the kernel (tslab's rootDir for imports); default: process.cwd(). */
  cwd?: string;
  /** Extra environment variables for the kernel process (added to this process's environment). */
  env?: Record<string, string>;
  /** V8 heap limit of the kernel process in MB (node --max-old-space-size); default: node's own. */
  maxOldSpaceMb?: number;
  /** Give up starting after this long (default 120 s: a start takes 1–1.5 s, far longer on a crowded machine). */
  startTimeoutMs?: number;
  /**
   * A kernel that has listened on all its ports for this long without answering, or has not bound them
   * and has been idle (under 1 % of a core) for this long, is taken as hung: it is killed and another one
   * started, within `startTimeoutMs` (default 20 s; on Linux, where /proc shows sockets and CPU time).
   */
  hungAfterMs?: number;
  /** The tslab package folder; default: the one this package depends on. */
  tslabDir?: string;
  /**
   * Extra node options for the kernel process (e.g. a permission-model sandbox), before the script.
   * With `--experimental-permission`, reading the preload and the connection file is allowed too.
   */
  nodeArgs?: string[];
}

/** The shell reply to one execute request, with timing taken from the messages. */
export interface ExecuteReply {
  /** "ok", "error" (the cell failed) or "abort" (the kernel kept refusing the request). */
  status: "ok" | "error" | "abort";
  executionCount: number | null;
  /**
   * ISO dates as nbclient records them: iopub busy, iopub execute_input (the busy time when the
   * kernel sends none, as tslab), the shell reply (its arrival when the kernel stamped it before
   * the iopub output it caused, as tslab does), iopub idle.
   */
  busyAt: string;
  executeInputAt: string;
  replyAt: string;
  idleAt: string;
}

export interface ExecuteOptions {
  /** Fail with KernelTimeoutError after this long (default: no limit). */
  timeoutMs?: number;
  /** Called with every iopub message the request causes (stream, display_data, ...), in order. */
  onIopub?: (msg: JupyterMessage) => void;
}

/** The kernel ended: how, and the end of what it wrote to its own stderr. */
export interface KernelExit {
  code: number | null;
  signal: NodeJS.Signals | null;
  /** The last lines the process wrote outside any cell (V8's out-of-memory report lands here). */
  stderrTail: string;
  /** True when V8 reported running out of heap. */
  outOfMemory: boolean;
  /** How the kernel ended when there is no process to tell (a Jupyter server's kernel). */
  reason?: string;
}

/** The kernel died while a request was pending. */
export class KernelDiedError extends Error {
  constructor(readonly exit: KernelExit) {
    super(describeExit(exit));
    this.name = "KernelDiedError";
  }
}

/** A request took longer than its timeout; the kernel is left running (the caller decides). */
export class KernelTimeoutError extends Error {
  constructor(readonly timeoutMs: number) {
    super(`no reply within ${formatDuration(timeoutMs)}`);
    this.name = "KernelTimeoutError";
  }
}

/** The kernel could not be started (tslab missing, ports taken, no answer, server refused). */
export class KernelStartError extends Error {
  constructor(message: string) {
    super(message);
    this.name = "KernelStartError";
  }
}

/** One line describing how a kernel process ended, with the line of its stderr that says why. */
export function describeExit(exit: KernelExit): string {
  if (exit.reason) return `kernel died (${exit.reason})`;
  const how = exit.signal ? `killed by ${exit.signal}` : `exited with code ${exit.code}`;
  const lines = exit.stderrTail.trim().split("\n").filter((l) => l.trim() !== "");
  const why = lines.find((l) => l.startsWith("FATAL ERROR")) ?? [...lines].reverse().find((l) => /^\w*Error\b/.test(l));
  const tail = why ?? lines.slice(-3).join(" | ");
  // tslab's file watcher throws this when a .d.ts it loaded changes under it (e.g. `npm run build` of the lib).
  const hint = /pending rebuildTimer/.test(exit.stderrTail) ? " (tslab's file watcher: was the lib rebuilt during the run?)" : "";
  return `kernel ${exit.outOfMemory ? "ran out of memory and " : ""}died (${how})${tail ? `: ${tail}` : ""}${hint}`;
}


const PROTOCOL_VERSION = "5.3";
/** tslab aborts requests arriving this soon after a failed cell (it resets its queue after 200 ms). */
const ABORT_WINDOW_MS = 250;
const MAX_ABORT_RETRIES = 8;
/** How often the first kernel_info_request is resent until iopub answers. */
const KERNEL_INFO_RESEND_MS = 100;

interface Pending {
  onReply: (msg: JupyterMessage) => void;
  onIopub: (msg: JupyterMessage) => void;
  onExit: (exit: KernelExit) => void;
}

/**
 * What the runner needs of a kernel, wherever it runs: the handshake, executing cells with their
 * iopub output and nbclient timings, and ending. Subclasses carry the messages (`transmit`) and
 * feed back what arrives (`dispatch`), and call `ended` when the kernel is gone.
 */
export abstract class MessageKernel {
  /** Milliseconds from asking for the kernel to the first kernel_info reply. */
  startMs = 0;
  /** The content of the kernel_info reply (language_info, implementation, banner). */
  info: Record<string, unknown> = {};
  /** Resolves when the kernel has ended, however it ended. */
  readonly exited: Promise<KernelExit>;
  protected exit: KernelExit | null = null;
  private readonly pending = new Map<string, Pending>();
  private resolveExited!: (exit: KernelExit) => void;
  /** Time of the last failed cell: tslab aborts requests that arrive soon after it. */
  private lastErrorAt = 0;

  /** `session`: the session id of every message this client sends. */
  constructor(protected readonly session: string = randomUUID()) {
    this.exited = new Promise((resolve) => (this.resolveExited = resolve));
  }

  /** Sends a message whose header, parent, metadata and content are given, on `channel`. */
  protected abstract transmit(channel: Channel, msg: JupyterMessage): void;

  /** Whether the kernel's event loop answers within `timeoutMs`; null when this kernel cannot tell. */
  abstract heartbeatAnswers(timeoutMs?: number): Promise<boolean | null>;

  /** Asks the kernel to end, and makes sure it does; resolves with how it ended. */
  abstract shutdown(): Promise<KernelExit>;

  /** Ends the kernel at once. */
  abstract kill(): Promise<KernelExit>;

  /** Peak resident memory of the kernel process in kB so far (Linux VmHWM), or null when unknown. */
  peakRssKb(): number | null {
    return null;
  }

  /** Whether the kernel dates its execute_reply when the cell starts (tslab does), not when it ends. */
  private stampsReplyAtStart(): boolean {
    return this.info.implementation === "tslab" || this.info.implementation === "jslab";
  }

  /** The kernel's exit, or null while it runs. */
  get exitInfo(): KernelExit | null {
    return this.exit;
  }

  /** Called by subclasses with every message received on shell, control or iopub. */
  protected dispatch(channel: "shell" | "control" | "iopub", msg: JupyterMessage): void {
    const pending = this.pending.get(msg.parent_header.msg_id ?? "");
    if (!pending) return;
    if (channel === "iopub") pending.onIopub(msg);
    else pending.onReply(msg);
  }

  /** Called by subclasses once when the kernel is gone: fails the pending requests. */
  protected ended(exit: KernelExit): void {
    if (this.exit) return;
    this.exit = exit;
    for (const p of [...this.pending.values()]) p.onExit(exit);
    this.resolveExited(exit);
  }

  /** Sends a request and returns its msg_id. */
  protected send(channel: Channel, msgType: string, content: Record<string, unknown>): string {
    const header: MessageHeader = {
      msg_id: randomUUID(),
      msg_type: msgType,
      session: this.session,
      username: "nbconvert-ts-runner",
      date: new Date().toISOString(),
      version: PROTOCOL_VERSION,
    };
    this.transmit(channel, { header, parent_header: {}, metadata: {}, content });
    return header.msg_id;
  }

  /**
   * Resends kernel_info_request until both its shell reply and an iopub message for it arrived
   * (then output published on iopub reaches us). `problem` is polled for a reason to give up.
   */
  protected async handshake(timeoutMs: number, problem: () => Error | null): Promise<void> {
    const deadline = Date.now() + timeoutMs;
    const ids: string[] = [];
    let replied = false;
    let heard = false;
    let check = () => {};
    const ready = new Promise<void>((resolve) => (check = () => replied && heard && resolve()));
    const arrived = () => `${replied ? "a kernel_info reply" : "no kernel_info reply"} and ${heard ? "an iopub message" : "no iopub message"}`;
    const pending: Pending = {
      onReply: (msg) => { this.info = msg.content; replied = true; check(); },
      onIopub: () => { heard = true; check(); },
      onExit: () => undefined,
    };
    try {
      while (!(replied && heard)) {
        const stop = problem();
        if (stop) throw stop;
        if (Date.now() > deadline) throw new KernelStartError(`the kernel did not answer within ${formatDuration(timeoutMs)} (${arrived()} arrived)`);
        const id = this.send("shell", "kernel_info_request", {});
        ids.push(id);
        this.pending.set(id, pending);
        await Promise.race([ready, sleep(KERNEL_INFO_RESEND_MS)]);
      }
    } finally {
      for (const id of ids) this.pending.delete(id);
    }
  }

  /** Asks the kernel to shut down on the control channel (no reply awaited). */
  protected requestShutdown(): void {
    this.send("control", "shutdown_request", { restart: false });
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
      let replyAt = "";
      let busyAt = "";
      let inputAt = "";
      let idleAt = "";
      let timer: NodeJS.Timeout | undefined;
      const finish = (err: Error | null) => {
        clearTimeout(timer);
        this.pending.delete(id);
        if (err) return reject(err);
        const content = reply!.content;
        // An arrival time (another clock than the kernel's) is kept between busy and idle.
        if (busyAt && Date.parse(replyAt) < Date.parse(busyAt)) replyAt = busyAt;
        if (idleAt && Date.parse(replyAt) > Date.parse(idleAt)) replyAt = idleAt;
        resolve({
          status: content.status === "ok" ? "ok" : content.status === "abort" || content.status === "aborted" ? "abort" : "error",
          executionCount: typeof content.execution_count === "number" ? content.execution_count : null,
          busyAt: busyAt || replyAt,
          executeInputAt: inputAt || busyAt || replyAt,
          replyAt,
          idleAt: idleAt || replyAt,
        });
      };
      const id = this.send("shell", "execute_request", {
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
          // tslab (and jslab) stamp the reply when the cell starts: then its arrival is its time.
          replyAt = this.stampsReplyAtStart() ? new Date().toISOString() : msg.header.date;
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
          if (msg.header.msg_type === "execute_input") {
            inputAt = msg.header.date;
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
}

const DELIMITER = Buffer.from("<IDS|MSG>");
const DEFAULT_START_TIMEOUT_MS = 120_000;
const DEFAULT_HUNG_AFTER_MS = 20_000;
/** Starts tried for one kernel when the earlier ones lost a port or hung. */
const MAX_START_ATTEMPTS = 3;
/** How often a starting kernel's listening sockets and CPU time are looked up. */
const START_POLL_MS = 1000;
/** A kernel still loading gets more than this share of a core (a 2-core machine at a load of 13 gave it about 20 %). */
const IDLE_CPU_SHARE = 0.01;
const STDERR_TAIL_CHARS = 4000;
/** How often a local kernel's peak resident memory is sampled (it is read once more at the end). */
const RSS_POLL_MS = 1000;

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

/**
 * The CPU time a process has used so far in seconds (user + system, /proc/<pid>/stat at 100 ticks a
 * second), or null where there is no /proc (not Linux) or the process is gone.
 */
export function readCpuSeconds(pid: number): number | null {
  try {
    // The fields after the command name, which is in parentheses and may hold spaces.
    const fields = readFileSync(`/proc/${pid}/stat`, "utf8").replace(/^.*\) /s, "").split(" ");
    return (Number(fields[11]) + Number(fields[12])) / 100;
  } catch {
    return null;
  }
}

/**
 * The peak resident set size of a process in kB (VmHWM in /proc/<pid>/status), or null where there
 * is no /proc (not Linux) or the process is gone.
 */
export function readPeakRssKb(pid: number): number | null {
  try {
    const m = /^VmHWM:\s+(\d+)\s+kB/m.exec(readFileSync(`/proc/${pid}/status`, "utf8"));
    return m ? Number(m[1]) : null;
  } catch {
    return null;
  }
}

/** The connection files of this process's kernels: `<tmp>/nbconvert-ts-runner-<pid>-<uuid>.json`. */
export function connectionFilePrefix(): string {
  return path.join(os.tmpdir(), `nbconvert-ts-runner-${process.pid}-`);
}

/** A port chosen for the kernel was taken before the kernel bound it (tslab then hangs): start again on others. */
class PortTakenError extends KernelStartError {
  constructor() {
    super("a port chosen for the kernel was taken before the kernel bound it");
  }
}

/** The kernel listens on all its ports but does not answer (seen on a loaded machine, rarely), or idles before binding them: start another. */
class HungKernelError extends KernelStartError {}

/**
 * Watches a starting kernel for a hang, from /proc (Linux; elsewhere it never tells one): polled while
 * the handshake waits, it looks up the kernel's listening sockets and CPU time once a second.
 */
class HangWatch {
  private lookedAt = 0;
  /** Since when all the ports have been listening, or null. */
  private allSince: number | null = null;
  /** CPU time samples of the last `hungAfterMs` (and one before) while the ports are not all bound. */
  private readonly cpuSamples: { at: number; cpu: number }[] = [];

  constructor(private readonly pid: number | undefined, private readonly ports: readonly number[], private readonly hungAfterMs: number) {}

  /** A HungKernelError once the kernel has listened on all ports without answering, or idled without binding them, for `hungAfterMs`. */
  check(now = Date.now()): HungKernelError | null {
    if (now - this.lookedAt < START_POLL_MS) return null;
    this.lookedAt = now;
    const listening = listeningPorts(this.ports);
    this.allSince = listening?.size === this.ports.length ? this.allSince ?? now : null;
    if (this.allSince !== null) {
      this.cpuSamples.length = 0;
      const since = now - this.allSince;
      return since > this.hungAfterMs ? new HungKernelError(`the kernel listened on its ports for ${formatDuration(since)} without answering`) : null;
    }
    const cpu = this.pid === undefined ? null : readCpuSeconds(this.pid);
    if (cpu === null) return null;
    this.cpuSamples.push({ at: now, cpu });
    while (this.cpuSamples.length > 1 && now - this.cpuSamples[1]!.at >= this.hungAfterMs) this.cpuSamples.shift();
    const then = this.cpuSamples[0]!;
    const used = cpu - then.cpu;
    if (now - then.at < this.hungAfterMs || used >= IDLE_CPU_SHARE * ((now - then.at) / 1000)) return null;
    return new HungKernelError(`the kernel idled for ${formatDuration(now - then.at)} (${used.toFixed(2)} s of CPU) without binding its ports`);
  }

  /** What the kernel has done so far (ports bound, CPU used, its last stderr lines), for a timeout's message. */
  describe(stderrTail: string): string {
    const listening = listeningPorts(this.ports);
    const cpu = this.pid === undefined ? null : readCpuSeconds(this.pid);
    const did = [
      listening ? `listened on ${listening.size} of its ${this.ports.length} ports` : "",
      cpu === null ? "" : `used ${cpu.toFixed(1)} s of CPU`,
      stderrTail ? `wrote: ${stderrTail.trim().split("\n").slice(-3).join(" | ")}` : "",
    ].filter(Boolean);
    return did.length ? `it ${did.join(", ")}` : "";
  }
}

/**
 * Which of `ports` a socket of this network namespace listens on (state 0A in /proc/net/tcp and tcp6),
 * or null where there is no /proc/net/tcp (not Linux).
 */
export function listeningPorts(ports: readonly number[]): Set<number> | null {
  let table: string;
  try {
    table = readFileSync("/proc/net/tcp", "utf8");
  } catch {
    return null;
  }
  try {
    table += readFileSync("/proc/net/tcp6", "utf8");
  } catch {
    // no IPv6
  }
  const listening = new Set<number>();
  for (const m of table.matchAll(/^\s*\d+: [0-9A-F]+:([0-9A-F]{4}) [0-9A-F]+:[0-9A-F]{4} 0A /gm)) {
    const port = parseInt(m[1]!, 16);
    if (ports.includes(port)) listening.add(port);
  }
  return listening;
}

/** A local tslab kernel process. Create with `Kernel.start`; always end with `shutdown` or `kill`. */
export class Kernel extends MessageKernel {
  private readonly shell: Zmq.Dealer;
  private readonly control: Zmq.Dealer;
  private readonly iopub: Zmq.Subscriber;
  private readonly heartbeat: Zmq.Request;
  private stderrTail = "";
  private closed = false;
  private peakKb: number | null = null;
  private readonly rssTimer: NodeJS.Timeout;

  private constructor(
    zmq: typeof Zmq,
    private readonly child: ChildProcess,
    private readonly conn: ConnectionInfo,
    private readonly connFile: string,
  ) {
    super();
    this.shell = new zmq.Dealer();
    this.control = new zmq.Dealer();
    this.iopub = new zmq.Subscriber({ receiveHighWaterMark: 0 }); // no limit: never drop output
    this.heartbeat = new zmq.Request();
    liveKernels.add(child);
    this.rssTimer = setInterval(() => this.samplePeakRss(), RSS_POLL_MS);
    this.rssTimer.unref();
    const end = (code: number | null, signal: NodeJS.Signals | null) => {
      liveKernels.delete(child);
      clearInterval(this.rssTimer);
      this.ended({
        code,
        signal,
        stderrTail: this.stderrTail,
        outOfMemory: /heap out of memory|Reached heap limit/i.test(this.stderrTail),
      });
      void this.closeSockets();
    };
    child.once("exit", end);
    // A process that could not be spawned emits "error" and no "exit": the kernel ends with the reason.
    // Listened to for the process's whole life: a later "error" (a failed kill) must not crash the runner.
    child.on("error", (err) => {
      if (child.pid !== undefined) return;
      this.stderrTail += `${err.message}\n`;
      end(null, null);
    });
    const keep = (chunk: Buffer) => {
      this.stderrTail = (this.stderrTail + chunk.toString("utf8")).slice(-STDERR_TAIL_CHARS);
    };
    child.stderr?.on("data", keep);
    child.stdout?.on("data", keep);
  }

  /** Spawns `tslab kernel` with a fresh connection file and waits until it answers on shell and iopub. */
  static async start(options: KernelOptions = {}): Promise<Kernel> {
    let tslabDir: string;
    try {
      tslabDir = options.tslabDir ?? defaultTslabDir();
    } catch {
      throw new KernelStartError("tslab is not installed: `npm install tslab` (nbconvert-ts-runner runs notebooks on tslab kernels)");
    }
    const command = tslabKernelArgs(tslabDir);
    for (const file of [command[1]!, command[2]!]) {
      try {
        await fs.access(file);
      } catch {
        const fix = file === KERNEL_PRELOAD ? "build nbconvert-ts-runner (npm run build in its folder; npm ci does it)" : "install tslab";
        throw new KernelStartError(`${file} not found: ${fix}`);
      }
    }
    const cwd = options.cwd ?? process.cwd();
    if (!(await isFolder(cwd))) {
      throw new KernelStartError(`the kernel's working folder ${cwd} is not a folder that exists: give an existing one (--cwd DIR), or none for the notebook's own`);
    }
    let zmq: typeof Zmq;
    try {
      // The zeromq that tslab itself loads, so the two ends speak the same version.
      zmq = require(require.resolve("zeromq", { paths: [tslabDir, __dirname] })) as typeof Zmq;
    } catch (err) {
      throw new KernelStartError(`zeromq cannot be loaded: ${(err as Error).message.split("\n")[0]}`);
    }
    // A port taken between freePorts() and the kernel's bind, or a kernel that listens without answering:
    // another kernel on new ports, within the same time limit.
    const deadline = Date.now() + (options.startTimeoutMs ?? DEFAULT_START_TIMEOUT_MS);
    for (let attempt = 1; ; attempt++) {
      try {
        return await Kernel.startOnce(zmq, command, options, deadline);
      } catch (err) {
        const again = err instanceof PortTakenError || err instanceof HungKernelError;
        if (!again || attempt >= MAX_START_ATTEMPTS || Date.now() >= deadline) throw err;
        console.warn(`nbconvert-ts-runner: ${err.message}; starting another kernel (${attempt + 1} of ${MAX_START_ATTEMPTS})`);
      }
    }
  }

  private static async startOnce(zmq: typeof Zmq, command: string[], options: KernelOptions, deadline: number): Promise<Kernel> {
    const [shell, iopub, control, stdin, hb] = await freePorts(5);
    const conn: ConnectionInfo = {
      transport: "tcp",
      ip: "127.0.0.1",
      key: randomBytes(32).toString("hex"),
      signature_scheme: "hmac-sha256",
      shell_port: shell!,
      iopub_port: iopub!,
      control_port: control!,
      stdin_port: stdin!,
      hb_port: hb!,
    };
    const connFile = `${connectionFilePrefix()}${randomUUID()}.json`;
    await fs.writeFile(connFile, JSON.stringify(conn), { mode: 0o600 });
    // A loader that runs this process (tsx, vitest) must not leak into the kernel through NODE_OPTIONS.
    const { NODE_OPTIONS: _, ...inherited } = process.env;
    const env: NodeJS.ProcessEnv = { ...inherited, ...options.env, ...TSLAB_WATCH_ENV };
    const extra = options.nodeArgs ?? [];
    // Under node's permission model the kernel must still read its preload and connection file.
    const permission = extra.some((a) => a === "--experimental-permission" || a === "--permission")
      ? [`--allow-fs-read=${command[1]}`, `--allow-fs-read=${connFile}`]
      : [];
    const nodeArgs = [...(options.maxOldSpaceMb ? [`--max-old-space-size=${options.maxOldSpaceMb}`] : []), ...extra, ...permission];
    const started = Date.now();
    const child = spawn(process.execPath, [...nodeArgs, ...command, "--config-path", connFile], {
      cwd: options.cwd ?? process.cwd(),
      env,
      stdio: ["ignore", "pipe", "pipe"],
    });
    const kernel = new Kernel(zmq, child, conn, connFile);
    try {
      await kernel.connect(deadline - Date.now(), options.hungAfterMs ?? DEFAULT_HUNG_AFTER_MS);
    } catch (err) {
      await kernel.kill();
      throw err;
    }
    kernel.startMs = Date.now() - started;
    return kernel;
  }

  /** The kernel's process id. */
  get pid(): number | undefined {
    return this.child.pid;
  }

  private samplePeakRss(): void {
    if (this.exit || this.child.pid === undefined) return;
    const kb = readPeakRssKb(this.child.pid);
    if (kb !== null) this.peakKb = Math.max(this.peakKb ?? 0, kb);
  }

  override peakRssKb(): number | null {
    this.samplePeakRss();
    return this.peakKb;
  }

  private async connect(timeoutMs: number, hungAfterMs: number): Promise<void> {
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
    void this.receiveLoop(this.shell, "shell");
    void this.receiveLoop(this.control, "control");
    void this.receiveLoop(this.iopub, "iopub");
    const ports = [this.conn.shell_port, this.conn.iopub_port, this.conn.control_port, this.conn.stdin_port, this.conn.hb_port];
    const watch = new HangWatch(this.child.pid, ports, hungAfterMs);
    await this.handshake(timeoutMs, () => {
      if (this.exit) return new KernelStartError(`the kernel process ended while starting: ${describeExit(this.exit)}`);
      if (/EADDRINUSE|Address already in use/.test(this.stderrTail)) return new PortTakenError();
      return watch.check();
    }).catch((err: Error) => {
      if (err instanceof KernelStartError && /did not answer/.test(err.message)) {
        const did = watch.describe(this.stderrTail);
        throw new KernelStartError(did ? `${err.message}; ${did}` : err.message);
      }
      throw err;
    });
  }

  private async receiveLoop(socket: Zmq.Dealer | Zmq.Subscriber, channel: "shell" | "control" | "iopub") {
    try {
      for await (const frames of socket) {
        const msg = this.decode(frames);
        if (msg) this.dispatch(channel, msg);
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
    if (frames[at + 1]!.toString("utf8") !== this.sign(parts)) return null;
    const [header, parent_header, metadata, content] = parts.map((p) => JSON.parse(p));
    return { header, parent_header, metadata, content };
  }

  protected transmit(channel: Channel, msg: JupyterMessage): void {
    const parts = [msg.header, msg.parent_header, msg.metadata, msg.content].map((p) => JSON.stringify(p));
    const socket = channel === "shell" ? this.shell : this.control;
    void socket.send([DELIMITER, this.sign(parts), ...parts]).catch(() => {
      // The socket closes when the kernel dies; the pending request then fails with KernelDiedError.
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
      return answer !== null && answer[0]!.equals(ping);
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
      this.samplePeakRss();
      this.requestShutdown();
      const exited = await Promise.race([this.exited, sleep(graceMs).then(() => null)]);
      if (!exited) return this.kill();
    }
    return this.exited;
  }

  /** Kills the kernel process at once (SIGKILL) and waits for it to end. */
  async kill(): Promise<KernelExit> {
    if (!this.exit) {
      this.samplePeakRss();
      this.child.kill("SIGKILL");
    }
    return this.exited;
  }

  private async closeSockets(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    for (const socket of [this.shell, this.control, this.iopub, this.heartbeat]) socket.close();
    await fs.rm(this.connFile, { force: true });
  }
}
