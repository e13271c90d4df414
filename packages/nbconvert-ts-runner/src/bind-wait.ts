/**
 * Sends and receives that wait for a bind in progress. Installed by the kernel preload (kernel-preload.ts,
 * fix 1) on the zeromq that tslab loads.
 *
 * tslab starts each socket's receive loop, then binds the sockets. zeromq 6 binds in a worker thread and
 * marks the socket blocked until the bind's completion runs on the main thread; meanwhile `send` and
 * `receive` throw EBUSY ("Socket is blocked by a bind or unbind operation"). On a loaded machine the
 * first request can be read before that completion runs: tslab's reply then failed, its next `receive`
 * threw, the shell loop ended, and the kernel never answered (a notebook's kernel start timed out
 * after 120 s with this EBUSY on its stderr). Here such a call waits a turn of the event loop and tries
 * again until the bind has completed.
 *
 * Plain Node: no imports (it runs in the kernel before tslab).
 */

type Method = (this: object, ...args: unknown[]) => unknown;

/** Whether `err` is zeromq's refusal to use a socket while it binds or unbinds. */
export function blockedByBind(err: unknown): boolean {
  return (err as { code?: unknown } | null)?.code === "EBUSY" && /blocked by a bind or unbind/.test(String((err as { message?: unknown }).message));
}

/** Calls `attempt` until it does not fail for a bind in progress (each retry after a turn of the event loop). */
export async function whenBound<T>(attempt: () => T | Promise<T>): Promise<T> {
  for (;;) {
    try {
      return await attempt();
    } catch (err) {
      if (!blockedByBind(err)) throw err;
      await new Promise<void>((resolve) => setImmediate(resolve));
    }
  }
}

/** Makes `prototype.receive` (zeromq's Socket.prototype) wait for a bind in progress; `send` is wrapped by the preload's queue. */
export function receiveWhenBound(prototype: object): void {
  const receive = Object.getOwnPropertyDescriptor(prototype, "receive")?.value as Method | undefined;
  if (typeof receive !== "function") return;
  Object.defineProperty(prototype, "receive", {
    configurable: true,
    value: function receiveAfterBind(this: object, ...args: unknown[]): Promise<unknown> {
      return whenBound(() => receive.apply(this, args));
    },
  });
}
