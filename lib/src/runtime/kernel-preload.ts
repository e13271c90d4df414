/**
 * Preloaded into every tslab kernel the course starts (`node -r reti/dist/kernel-preload.js`): queues
 * ZeroMQ sends. tslab fires `socket.send` without awaiting it, and zeromq 6 rejects a send issued while
 * the previous one is still being written ("Socket is busy writing"), so a cell that prints a few thousand
 * lines lost its reply and hung the kernel. Also lifts the iopub publisher's high-water mark, past which
 * ZeroMQ silently drops output. Every notebook (the kernel the notebooks run on).
 */
import * as path from "node:path";

type Send = (this: object, message: unknown) => Promise<void>;

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
      queues.set(this, next.catch(() => undefined));
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
