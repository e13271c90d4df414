/**
 * The kernel preload with requests queued as a front end queues them (Run All sends every
 * execute_request at once): a finished cell's output arrives before the next cell ends, and the
 * kernel says busy while a queued cell computes; a display updated in the middle of a synchronous cell
 * arrives while it still computes; and a kernel whose event loop is held (a timer, or TensorFlow.js's wasm
 * backend) still exits when asked to shut down.
 */
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { Kernel, type JupyterMessage } from "../src";

describe("kernel preload with queued cells", () => {
  it("delivers cell 1's output before cell 2 (2 s of synchronous work) ends; busy(2) follows idle(1); exits on shutdown with a timer pending", async () => {
    const kernel = await Kernel.start({ cwd: path.join(__dirname, "fixtures") }); // no declarations loaded ahead here
    try {
      const arrived: Array<{ text: string; at: number }> = [];
      const onIopub = (msg: JupyterMessage) => {
        if (msg.header.msg_type === "stream") arrived.push({ text: String(msg.content.text), at: Date.now() });
      };
      const first = kernel.execute(`console.log("one");`, { onIopub });
      const second = kernel.execute(`const t0 = Date.now();\nwhile (Date.now() - t0 < 2000) {}\nconsole.log("two");`, { onIopub });
      const [r1, r2] = await Promise.all([first, second]);
      const secondEnded = Date.now();
      expect([r1.status, r2.status]).toEqual(["ok", "ok"]);
      const one = arrived.find((a) => a.text.includes("one"));
      const two = arrived.find((a) => a.text.includes("two"));
      expect(one && two).toBeTruthy();
      // Cell 1's line came while cell 2 was still spinning (≥ 2 s before "two"; 1 s of margin).
      expect(two!.at - one!.at).toBeGreaterThan(1000);
      expect(secondEnded - one!.at).toBeGreaterThan(1000);
      // The kernel's own clock: cell 2 was announced busy only after cell 1 went idle.
      expect(Date.parse(r2.busyAt)).toBeGreaterThanOrEqual(Date.parse(r1.idleAt));
      // A timer holds the event loop, as the wasm backend does: tslab alone never exited (killed after the grace).
      expect((await kernel.execute("setInterval(() => {}, 1 << 30); 0")).status).toBe("ok");
      const exit = await kernel.shutdown(10_000);
      expect(exit).toMatchObject({ code: 0, signal: null });
    } finally {
      await kernel.shutdown();
    }
  }, 120_000);
});

describe("kernel preload: sends during a synchronous cell", () => {
  it("delivers a display shown and updated in the middle of a synchronous cell while the cell still computes (a from-scratch training's live progress)", async () => {
    const kernel = await Kernel.start({ cwd: path.join(__dirname, "fixtures") });
    try {
      const arrived: Array<{ type: string; text: string; at: number }> = [];
      const onIopub = (msg: JupyterMessage) => {
        const data = (msg.content as { data?: Record<string, unknown> }).data;
        if (data) arrived.push({ type: msg.header.msg_type, text: String(data["text/plain"]), at: Date.now() });
      };
      // Four updates of one display 0.5 s apart, then 1.5 s more of work, all without yielding to the event loop.
      const code = [
        `import * as tslab from "tslab";`,
        `const shown = tslab.newDisplay();`,
        `const spin = (ms: number) => { const t0 = Date.now(); while (Date.now() - t0 < ms) {} };`,
        `for (let i = 1; i <= 4; i++) { shown.text(\`step \${i}\`); spin(500); }`,
        `spin(1000);`,
      ].join("\n");
      const reply = await kernel.execute(code, { onIopub });
      const ended = Date.now();
      expect(reply.status).toBe("ok");
      expect(arrived.map((a) => `${a.type} ${a.text}`)).toEqual(["display_data step 1", "update_display_data step 2", "update_display_data step 3", "update_display_data step 4"]);
      // Each came about when it was sent: step 1 at least 2.5 s before the cell ended, step 4 at least 0.5 s (margins for a loaded machine).
      expect(ended - arrived[0]!.at).toBeGreaterThan(2500);
      expect(ended - arrived[3]!.at).toBeGreaterThan(500);
      expect(arrived[3]!.at - arrived[0]!.at).toBeGreaterThan(1000);
    } finally {
      await kernel.shutdown();
    }
  }, 120_000);
});

describe("kernel preload: declarations loaded ahead, builder state reused", () => {
  it("loads the package.json's nbconvert-ts-runner.types once the kernel answers, a cell's type error is still reported, later cells reuse the declarations", async () => {
    const kernel = await Kernel.start({ cwd: path.join(__dirname, "fixtures", "types") });
    try {
      const run = async (code: string) => {
        const messages: JupyterMessage[] = [];
        const reply = await kernel.execute(code, { onIopub: (msg) => messages.push(msg) });
        return { status: reply.status, text: JSON.stringify(messages.map((m) => m.content)) };
      };
      const wrong = await run(`import { double } from "./typed";\nconst s: string = double(2);`);
      expect(wrong.status).toBe("error");
      expect(wrong.text).toMatch(/Type 'number' is not assignable to type 'string'/);
      const right = await run(`import { double } from "./typed";\ndouble(21)`);
      expect(right).toMatchObject({ status: "ok", text: expect.stringContaining("42") });
      const loaded = await run(`(globalThis as any)[Symbol.for("nbconvert-ts-runner.typesLoaded")]`);
      expect(loaded).toMatchObject({ status: "ok", text: expect.stringContaining("./typed") });
      // Fix 8: the cells after the first reused the declarations' builder state (builder-reuse.ts).
      const reuse = await run(
        `const stats = (require("@tslab/typescript-for-tslab") as any)[Symbol.for("nbconvert-ts-runner.builderReuse")];\n` +
          "console.log(`reuse ${stats.incremental} programs ${stats.reusedFiles} files`);",
      );
      const [, programs, files] = reuse.text.match(/reuse (\d+) programs (\d+) files/) ?? [];
      const stats = { incremental: Number(programs), reusedFiles: Number(files) };
      expect(stats.incremental).toBeGreaterThanOrEqual(4);
      expect(stats.reusedFiles / stats.incremental).toBeGreaterThan(50);
    } finally {
      await kernel.shutdown();
    }
  }, 120_000);
});
