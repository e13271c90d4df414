import { describe, expect, it, vi } from "vitest";

// An installed tfjs-node whose native library fails to load (e.g. libtensorflow missing); vitest wraps the
// factory's error in its own message, which is what initBackend then reports.
vi.mock("@tensorflow/tfjs-node", () => {
  throw new Error("libtensorflow.so.2: cannot open shared object file");
});

describe("initBackend with a broken tfjs-node", () => {
  it("falls back to wasm with a warning, and names the failure when tensorflow is forced", async () => {
    const { initBackend } = await import("../lib/src/tfjs/backend");
    delete process.env.RETI_BACKEND;
    const warn = vi.spyOn(console, "warn").mockImplementation(() => {});
    try {
      expect(await initBackend()).toBe("wasm");
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(/tfjs-node is installed but failed to load: .*; using wasm/);
    } finally {
      warn.mockRestore();
    }
    await expect(initBackend("tensorflow")).rejects.toThrow(/cannot use the TensorFlow.js backend "tensorflow": @tensorflow\/tfjs-node is installed but failed to load/);
  });
});
