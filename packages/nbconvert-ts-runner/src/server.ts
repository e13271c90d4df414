/**
 * A kernel of a running Jupyter server (JupyterLab, Notebook, jupyter-server, a JupyterHub user
 * server), reached through its REST API and the kernel's WebSocket instead of local ZeroMQ:
 *
 *   POST   <url>/api/kernels                  {"name": kernelspec}  → {"id": ...}
 *   WS     <url>/api/kernels/<id>/channels?session_id=...   Jupyter messages as JSON text frames,
 *          each with a "channel" field (shell, control, iopub) — messaging protocol v5
 *   DELETE <url>/api/kernels/<id>            shuts it down
 *
 * Authentication: `Authorization: token <token>` on every request (the server's token, or a
 * JupyterHub API token for a hub user server such as https://hub/user/alice/).
 *
 *   const kernel = await ServerKernel.start({ url: "http://127.0.0.1:8888/", token, kernelName: "tslab" });
 *   await executeNotebook(nb, { kernel: async () => kernel });
 */
import { randomUUID } from "node:crypto";
import WebSocket from "ws";
import { KernelStartError, MessageKernel, type Channel, type JupyterMessage, type KernelExit } from "./kernel";

/** Where and how to start a kernel on a Jupyter server. */
export interface ServerOptions {
  /** The server's base URL, e.g. http://127.0.0.1:8888/ or https://hub.example.org/user/alice/. */
  url: string;
  /** The server's token (or a JupyterHub API token); default: a `token` query parameter of `url`, if any. */
  token?: string;
  /** The kernelspec to start, as the server names it (default: the server's default kernel). */
  kernelName?: string;
  /** The kernel's working directory, relative to the server's root folder. */
  path?: string;
  /** Give up starting after this long (default 120 s). */
  startTimeoutMs?: number;
}

/** The base URL with a trailing slash and without the token, and the token. */
function endpoint(options: ServerOptions): { base: URL; token: string | undefined } {
  const base = new URL(options.url);
  const token = options.token ?? base.searchParams.get("token") ?? undefined;
  base.search = "";
  base.hash = "";
  if (!base.pathname.endsWith("/")) base.pathname += "/";
  return { base, token };
}

function exitOf(reason: string): KernelExit {
  return { code: null, signal: null, stderrTail: "", outOfMemory: false, reason };
}

/** A kernel on a Jupyter server. Create with `ServerKernel.start`; always end with `shutdown` or `kill`. */
export class ServerKernel extends MessageKernel {
  private closing = false;

  private constructor(
    private readonly base: URL,
    private readonly token: string | undefined,
    /** The kernel's id on the server. */
    readonly id: string,
    private readonly socket: WebSocket,
    session: string,
  ) {
    super(session);
    socket.on("message", (data, isBinary) => {
      // Messages with binary buffers come as binary frames; a runner's cells only need the JSON ones.
      if (isBinary) return;
      let msg: JupyterMessage & { channel?: string };
      try {
        msg = JSON.parse(data.toString()) as JupyterMessage & { channel?: string };
      } catch {
        return;
      }
      const channel = msg.channel;
      if (channel === "iopub" && msg.header.msg_type === "status") {
        const state = msg.content.execution_state;
        // The server restarts a kernel whose process ended: for a run, that kernel died.
        if (state === "restarting" || state === "dead") {
          this.ended(exitOf(`the server reports the kernel ${state === "dead" ? "dead" : "restarting: its process ended"}`));
          return;
        }
      }
      if (channel === "shell" || channel === "control" || channel === "iopub") this.dispatch(channel, msg);
    });
    socket.on("close", () => {
      if (!this.closing) this.ended(exitOf("the server closed the kernel's WebSocket"));
    });
    socket.on("error", () => undefined); // followed by "close"
  }

  /** Starts a kernel on the server, opens its channels and waits until it answers on shell and iopub. */
  static async start(options: ServerOptions): Promise<ServerKernel> {
    const { base, token } = endpoint(options);
    const timeoutMs = options.startTimeoutMs ?? 120_000;
    const started = Date.now();
    const headers: Record<string, string> = { "Content-Type": "application/json", ...(token ? { Authorization: `token ${token}` } : {}) };
    let response: Response;
    try {
      response = await fetch(new URL("api/kernels", base), {
        method: "POST",
        headers,
        body: JSON.stringify({ ...(options.kernelName ? { name: options.kernelName } : {}), ...(options.path ? { path: options.path } : {}) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (err) {
      throw new KernelStartError(`the Jupyter server at ${base.href} cannot be reached: ${(err as Error).message}`);
    }
    if (!response.ok) {
      const body = (await response.text().catch(() => "")).slice(0, 300);
      const hint = response.status === 403 || response.status === 401 ? " (is the token right?)" : "";
      throw new KernelStartError(`the Jupyter server refused to start a kernel${options.kernelName ? ` "${options.kernelName}"` : ""}: HTTP ${response.status}${hint} ${body}`.trim());
    }
    const { id } = (await response.json()) as { id: string };
    const wsUrl = new URL(`api/kernels/${encodeURIComponent(id)}/channels`, base);
    wsUrl.protocol = base.protocol === "https:" ? "wss:" : "ws:";
    const session = randomUUID();
    wsUrl.searchParams.set("session_id", session);
    const socket = new WebSocket(wsUrl.href, { headers: token ? { Authorization: `token ${token}` } : {} });
    const kernel = new ServerKernel(base, token, id, socket, session);
    try {
      await new Promise<void>((resolve, reject) => {
        socket.once("open", () => resolve());
        socket.once("error", (err) => reject(new KernelStartError(`the kernel's WebSocket did not open: ${err.message}`)));
        socket.once("unexpected-response", (_req, res) => reject(new KernelStartError(`the kernel's WebSocket was refused: HTTP ${res.statusCode}`)));
      });
      await kernel.handshake(Math.max(1000, timeoutMs - (Date.now() - started)), () =>
        kernel.exitInfo ? new KernelStartError(`the kernel ended while starting: ${kernel.exitInfo.reason}`) : null);
    } catch (err) {
      await kernel.kill();
      throw err;
    }
    kernel.startMs = Date.now() - started;
    return kernel;
  }

  protected transmit(channel: Channel, msg: JupyterMessage): void {
    if (this.socket.readyState !== WebSocket.OPEN) return;
    this.socket.send(JSON.stringify({ ...msg, channel, buffers: [] }));
  }

  /** A server does not forward the heartbeat channel: unknown. */
  async heartbeatAnswers(): Promise<null> {
    return null;
  }

  /** Shuts the kernel down through the REST API (DELETE) and closes its WebSocket. */
  async shutdown(): Promise<KernelExit> {
    if (!this.exit) {
      this.closing = true;
      await fetch(new URL(`api/kernels/${encodeURIComponent(this.id)}`, this.base), {
        method: "DELETE",
        headers: this.token ? { Authorization: `token ${this.token}` } : {},
        signal: AbortSignal.timeout(10_000),
      }).catch(() => undefined);
      this.socket.close();
      this.ended(exitOf("shut down through the server"));
    }
    return this.exited;
  }

  /** On a server, the same as shutdown (the server kills a kernel that does not stop). */
  kill(): Promise<KernelExit> {
    return this.shutdown();
  }
}
