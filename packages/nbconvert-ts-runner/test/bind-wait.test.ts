/**
 * The kernel preload's wait for a bind in progress (src/bind-wait.ts), on real zeromq sockets: tslab reads
 * and writes sockets whose bind may not have completed yet.
 */
import { describe, expect, it } from "vitest";
import { blockedByBind, receiveWhenBound, whenBound } from "../src/bind-wait";

const zmq = require("zeromq") as typeof import("zeromq");

describe("sends and receives during a bind (kernel preload fix 1)", () => {
  it("zeromq refuses them with EBUSY; whenBound waits for the bind, then they work", async () => {
    const publisher = new zmq.Publisher();
    const binding = publisher.bind("tcp://127.0.0.1:*");
    let refusal: unknown = null;
    try {
      await publisher.send("too early");
    } catch (err) {
      refusal = err;
    }
    expect(blockedByBind(refusal)).toBe(true);
    await whenBound(() => publisher.send("after the bind"));
    await binding;
    publisher.close();
    expect(blockedByBind(new Error("Socket is busy writing"))).toBe(false);
    await expect(whenBound(() => Promise.reject(new Error("other")))).rejects.toThrow("other");
  });

  it("a receive issued while the socket binds waits for the bind and gets the first message", async () => {
    receiveWhenBound(zmq.Socket.prototype);
    const router = new zmq.Router();
    const binding = router.bind("tcp://127.0.0.1:*");
    const first = router.receive(); // threw EBUSY synchronously before
    await binding;
    const dealer = new zmq.Dealer();
    dealer.connect(router.lastEndpoint!);
    await dealer.send("kernel_info_request");
    const [, message] = await first;
    expect(message!.toString()).toBe("kernel_info_request");
    dealer.close();
    router.close();
  });
});
