import { describe, expect, it, vi } from "vitest";

// tfjs-node cannot be installed here (its install script downloads libtensorflow), so a stand-in module
// takes its place: like the real one, importing it registers a "tensorflow" backend on the shared tfjs.
vi.mock("@tensorflow/tfjs-node", async () => {
  const tf = await import("@tensorflow/tfjs");
  const { MathBackendCPU } = await import("@tensorflow/tfjs-backend-cpu");
  tf.registerBackend("tensorflow", () => new MathBackendCPU(), 3);
  return { default: {} };
});

describe("initBackend with tfjs-node installed", () => {
  it("prefers the tensorflow backend", async () => {
    const { initBackend, backendName, tf } = await import("../lib/src/tfjs/backend");
    delete process.env.RETI_BACKEND;
    expect(await initBackend()).toBe("tensorflow");
    expect(backendName()).toBe("tensorflow");
    expect(tf.getBackend()).toBe("tensorflow");
    expect(process.env.TF_CPP_MIN_LOG_LEVEL).toBe("2");
    expect(await initBackend("wasm")).toBe("wasm");
    expect(await initBackend("tensorflow")).toBe("tensorflow");
  });
});
