import { spawnSync } from "node:child_process";
import { afterEach, describe, expect, it, vi } from "vitest";
import { BACKENDS, backendName, initBackend, tf } from "../lib/src/tfjs/backend";

const root = new URL("..", import.meta.url).pathname;

/** Runs a TypeScript snippet in a fresh Node process (via tsx) and returns its stdout and stderr together. */
function runFresh(code: string): string {
  const run = spawnSync(`${root}node_modules/.bin/tsx`, ["-e", code], { cwd: root, encoding: "utf8" });
  if (run.status !== 0) throw new Error(`snippet failed (${run.status}): ${run.stderr}`);
  return run.stdout + run.stderr;
}

describe("initBackend", () => {
  const saved = process.env.RETI_BACKEND;
  afterEach(() => {
    if (saved === undefined) delete process.env.RETI_BACKEND;
    else process.env.RETI_BACKEND = saved;
  });

  it("picks wasm when tfjs-node is not installed, and reports it", async () => {
    delete process.env.RETI_BACKEND;
    expect(() => require.resolve("@tensorflow/tfjs-node")).toThrow();
    expect(await initBackend()).toBe("wasm");
    expect(backendName()).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(await tf.env().getAsync("WASM_HAS_SIMD_SUPPORT")).toBe(true);
  });

  it("is forced by the RETI_BACKEND environment variable", async () => {
    process.env.RETI_BACKEND = "cpu";
    expect(await initBackend()).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
    expect(backendName()).toBe("cpu");
    expect(tf.tensor([1, 2]).add(1).arraySync()).toEqual([2, 3]);
  });

  it("is forced by its argument, which wins over the environment", async () => {
    process.env.RETI_BACKEND = "cpu";
    expect(await initBackend("wasm")).toBe("wasm");
    expect(tf.getBackend()).toBe("wasm");
    expect(await initBackend("cpu")).toBe("cpu");
    expect(tf.getBackend()).toBe("cpu");
  });

  it("keeps the active backend when called again, without re-initialising it", async () => {
    delete process.env.RETI_BACKEND;
    await initBackend("wasm");
    const setBackend = vi.spyOn(tf.engine(), "setBackend");
    try {
      for (let i = 0; i < 10; i++) expect(await initBackend()).toBe("wasm");
      expect(await initBackend("wasm")).toBe("wasm");
      expect(setBackend).not.toHaveBeenCalled();
      await Promise.all([initBackend("cpu"), initBackend("cpu")]);
      expect(setBackend).toHaveBeenCalledTimes(1);
    } finally {
      setBackend.mockRestore();
    }
    expect(backendName()).toBe("cpu");
    expect(await initBackend()).toBe("cpu");
  });

  it("rejects an unknown name, naming the choices", async () => {
    await expect(initBackend("gpu")).rejects.toThrow(/unknown TensorFlow.js backend "gpu".*tensorflow, wasm, cpu/);
    process.env.RETI_BACKEND = "webgl";
    await expect(initBackend()).rejects.toThrow(/"webgl" \(environment variable RETI_BACKEND\).*tensorflow, wasm, cpu/);
    expect(BACKENDS).toEqual(["tensorflow", "wasm", "cpu"]);
  });

  it("rejects tensorflow when tfjs-node is not installed, saying how to get it", async () => {
    await expect(initBackend("tensorflow")).rejects.toThrow(/@tensorflow\/tfjs-node is not installed \(npm i @tensorflow\/tfjs-node@4.22.0\)/);
  });
});

describe("backendName", () => {
  it("throws before initBackend in a fresh process", () => {
    const out = runFresh(
      `import { backendName } from "./lib/src/tfjs/backend"; try { backendName(); } catch (e) { console.log("threw:", (e as Error).message); }`,
    );
    expect(out).toContain("threw: no TensorFlow.js backend yet: call `await initBackend()` first");
  });
});

describe("the Node.js banner", () => {
  const snippet = (importLine: string, init: string) =>
    `${importLine}\n(async () => { ${init}; console.log("sum", tf.tensor([1, 2, 3]).sum().dataSync()[0]); })();`;

  it("is printed by stock tfjs on the cpu backend (so the next test can see it)", () => {
    const out = runFresh(snippet(`import * as tf from "@tensorflow/tfjs";`, `await tf.setBackend("cpu")`));
    expect(out).toContain("sum 6");
    expect(out).toMatch(/running TensorFlow\.js in Node\.js/);
  });

  it("is not printed through reti, on cpu or wasm", () => {
    for (const backend of ["cpu", "wasm"]) {
      const out = runFresh(snippet(`import { tf, initBackend } from "./lib/src/tfjs/backend";`, `await initBackend("${backend}")`));
      expect(out.trim()).toBe("sum 6");
    }
  });
});

describe("the wasm backend's rethrowing process listeners", () => {
  it("are removed: with a logging listener (as tslab's), an unhandled rejection and an uncaught exception no longer end the process", () => {
    const out = runFresh([
      `import { initBackend } from "./lib/src/tfjs/backend";`,
      `process.on("unhandledRejection", (r) => console.log("logged", String(r)));`,
      `process.on("uncaughtException", (e) => console.log("logged", String(e)));`,
      `(async () => {`,
      `  await initBackend("wasm");`,
      `  void Promise.reject(new Error("unawaited"));`,
      `  setTimeout(() => { throw new Error("uncaught"); }, 50);`,
      `  setTimeout(() => console.log("alive"), 300);`,
      `})();`,
    ].join("\n"));
    expect(out).toContain("logged Error: unawaited");
    expect(out).toContain("logged Error: uncaught");
    expect(out).toContain("alive");
  });
});
