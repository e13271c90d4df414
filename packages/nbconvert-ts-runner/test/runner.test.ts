/**
 * The runner (src/runner.ts, src/kernel.ts, the kernel preload) on the small fixture notebooks in
 * test/fixtures/: each test starts a real tslab kernel.
 */
import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { describeExit } from "../src/kernel";
import { NotebookError, readNotebook, sourceText, type CodeCell, type Notebook, type Output } from "../src/nbformat";
import {
  executeNotebook,
  parseErrorText,
  parseParamValue,
  prepareNotebook,
  tsLiteral,
  type NotebookResult,
  type RunOptions,
} from "../src/runner";

const fixtures = path.join(__dirname, "fixtures");

async function run(name: string, options: RunOptions = {}): Promise<NotebookResult> {
  const file = path.join(fixtures, `${name}.ipynb`);
  return executeNotebook(await readNotebook(file), { path: file, cellTimeoutMs: 30_000, ...options });
}

/**
 * The kernel's folder for notebooks built in memory: its nearest package.json is this package's, which names no
 * declarations to load ahead (the course's root one names `reti`, ~700 files these tests never import).
 */
const inFixtures = { cwd: fixtures };

/** A notebook built in memory from code cell sources. */
function notebook(sources: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: sources.map((source) => ({ cell_type: "code", source, metadata: {}, execution_count: null, outputs: [] })),
  };
}

function code(result: NotebookResult, index: number): CodeCell {
  const cell = result.notebook.cells[index];
  if (cell.cell_type !== "code") throw new Error(`cell ${index} is not a code cell`);
  return cell;
}

function text(output: Output | undefined): string {
  if (output?.output_type !== "stream") throw new Error(`not a stream output: ${JSON.stringify(output)}`);
  return sourceText(output.text);
}

describe("executeNotebook", () => {
  it("runs a passing notebook: merged streams, stderr without failing, counts and nbclient timings", async () => {
    const r = await run("pass");
    expect(r.ok).toBe(true);
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "ok"]);
    const [first, second, third] = [code(r, 1), code(r, 2), code(r, 3)];
    expect(first.outputs).toEqual([{ output_type: "stream", name: "stdout", text: ["hello\n", "world\n"] }]);
    expect(second.outputs.map((o) => [o.output_type, text(o)])).toEqual([
      ["stream", "a warning on stderr\n"],
      ["stream", "still fine\n"],
    ]);
    expect(text(third.outputs[0])).toBe("10\n");
    expect([first, second, third].map((c) => c.execution_count)).toEqual([1, 2, 3]);
    const t = first.metadata.execution!;
    expect(Object.keys(t).sort()).toEqual(["iopub.execute_input", "iopub.status.busy", "iopub.status.idle", "shell.execute_reply"]);
    expect(Date.parse(t["iopub.status.busy"])).toBeLessThanOrEqual(Date.parse(t["shell.execute_reply"]));
    expect(Date.parse(t["shell.execute_reply"])).toBeLessThanOrEqual(Date.parse(t["iopub.status.idle"]));
    expect(r.notebook.metadata.language_info?.name).toBe("typescript");
  });

  it("stops at the failing cell, records an error output from tslab's stderr and leaves later cells unrun", async () => {
    const r = await run("fail");
    expect(r.ok).toBe(false);
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "error", "not-run"]);
    expect(r.failure).toMatchObject({ inputIndex: 3, codeNumber: 3, status: "error" });
    expect(r.failure!.error!.split("\n")[0]).toBe("Error: boom at cell three (n = 2)");
    const failed = code(r, 3);
    expect(text(failed.outputs[0])).toBe("about to fail\n");
    expect(failed.outputs[1]).toMatchObject({ output_type: "error", ename: "Error", evalue: "boom at cell three (n = 2)" });
    expect(failed.outputs).toHaveLength(2);
    expect(code(r, 4)).toMatchObject({ outputs: [], execution_count: null });
    expect(r.cells[3].error).toMatch(/earlier cell failed/);
  });

  it("with allowErrors runs the cells after a failure (tslab's abort window waited out)", async () => {
    const r = await run("fail", { allowErrors: true });
    expect(r.ok).toBe(false);
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "error", "ok"]);
    expect(text(code(r, 4).outputs[0])).toBe("after the failure\n");
    expect(code(r, 4).execution_count).toBe(4);
  });

  it("stops a hanging cell at the cell timeout, kills the kernel and names the cell", async () => {
    // 8 s: the first cell (tslab's first compile) must finish inside it on a loaded CI machine too.
    const r = await run("hang", { cellTimeoutMs: 8000 });
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "timeout", "not-run"]);
    expect(r.failure).toMatchObject({ inputIndex: 1, status: "timeout" });
    expect(r.failure!.error).toMatch(/^cell timeout \(8 s\) reached: the kernel was busy/);
    expect(r.kernelExit?.signal).toBe("SIGKILL");
    expect(r.cells[1].durationMs).toBeGreaterThanOrEqual(8000);
    expect(r.cells[1].durationMs).toBeLessThan(20_000);
  });

  it("stops a cell awaiting forever at the notebook timeout", async () => {
    // 12 s: the first cell compiles tslab's first program, which took over 3 s on a loaded 2-core CI machine.
    const r = await executeNotebook(notebook(['console.log("start");', "await new Promise(() => {});", "1"]), {
      ...inFixtures,
      notebookTimeoutMs: 12_000,
    });
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "timeout", "not-run"]);
    expect(r.failure!.error).toMatch(/^notebook timeout \(12 s\) reached: the kernel was waiting/);
  });

  it("reports a kernel that exits (process.exit) and does not run the rest", async () => {
    const r = await run("crash");
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "died", "not-run"]);
    expect(r.failure!.error).toBe("kernel died (exited with code 3)");
    expect(r.kernelExit).toMatchObject({ code: 3, outOfMemory: false });
    expect(r.cells[2].error).toBe("not run: the kernel died (exited with code 3)");
  });

  it("reports a kernel that runs out of memory under the heap limit", async () => {
    const r = await executeNotebook(
      notebook(["const keep: number[][] = [];\nwhile (true) keep.push(new Array(1e6).fill(1.5));"]),
      { ...inFixtures, maxOldSpaceMb: 160 },
    );
    expect(r.cells[0].status).toBe("died");
    expect(r.kernelExit?.outOfMemory).toBe(true);
    expect(r.failure!.error).toMatch(/^kernel ran out of memory and died \(killed by SIGABRT\): FATAL ERROR: .*heap/);
  });

  it("injects parameters after the parameters cell: assigns `let`s, redeclares the rest", async () => {
    const plain = await run("params");
    expect(text(code(plain, 2).outputs[0])).toBe('{"QUICK":false,"SEED":42,"LABEL":"full","EPOCHS":15}\n');

    const r = await run("params", { params: { QUICK: true, SEED: 7, LABEL: "quick" } });
    expect(r.ok).toBe(true);
    const injected = code(r, 2);
    expect(injected.metadata.tags).toEqual(["injected-parameters"]);
    expect(sourceText(injected.source)).toContain('QUICK = true;\nSEED = 7;\nlet LABEL = "quick";');
    expect(r.cells.map((c) => c.inputIndex)).toEqual([1, null, 2]);
    expect(text(code(r, 3).outputs[0])).toBe('{"QUICK":true,"SEED":7,"LABEL":"quick","EPOCHS":2}\n');
  });

  it("honours raises-exception: an expected failure passes and the next cell runs", async () => {
    const r = await run("raises");
    expect(r.ok).toBe(true);
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "ok"]);
    expect(code(r, 1).outputs[0]).toMatchObject({ output_type: "error", ename: "RangeError", evalue: "expected failure" });
    expect(text(code(r, 2).outputs[0])).toBe("ran after the expected failure\n");
  });

  it("honours raises-exception: a tagged cell that succeeds fails the notebook", async () => {
    const r = await run("raises-not");
    expect(r.ok).toBe(false);
    expect(r.cells.map((c) => c.status)).toEqual(["error", "not-run"]);
    expect(r.failure!.error).toMatch(/raises-exception but ran without error/);
  });

  it("skips skip-execution cells", async () => {
    const r = await run("skip");
    expect(r.ok).toBe(true);
    expect(r.cells.map((c) => c.status)).toEqual(["skipped", "ok"]);
    expect(code(r, 0)).toMatchObject({ outputs: [], execution_count: null });
  });

  it("applies update_display_data to the earlier output with the same display_id, across cells", async () => {
    const r = await run("display");
    expect(r.ok).toBe(true);
    expect(code(r, 0).outputs).toEqual([
      { output_type: "display_data", data: { "text/plain": "step 3 (from a later cell)" }, metadata: {} },
    ]);
    expect(text(code(r, 1).outputs[0])).toBe("updated\n");
  });

  it("keeps compiling cells after an imported module is rewritten and hard-linked mid-run (polling watcher)", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "nbts-watch-"));
    await fs.writeFile(path.join(dir, "helper.ts"), "export function twice(x: number): number {\n  return 2 * x;\n}\n");
    try {
      const r = await executeNotebook(
        notebook([
          'import { twice } from "./helper";\nimport * as fs from "fs";\nconsole.log(twice(21));',
          // What a library rebuild (same text rewritten) and a hard-linked sandbox copy do to watched files.
          'fs.linkSync("helper.ts", "helper.link.ts");\nfs.writeFileSync("helper.ts", fs.readFileSync("helper.ts"));\n' +
            'await new Promise((resolve) => setTimeout(resolve, 1000));\nfs.unlinkSync("helper.link.ts");',
          'if (process.env.TSC_WATCHFILE !== "DynamicPriorityPolling") throw new Error("inotify watcher");\nconsole.log(twice(2));',
        ]),
        { cwd: dir, cellTimeoutMs: 30_000 },
      );
      expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "ok"]);
      expect(text(code(r, 2).outputs[0])).toBe("4\n");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("survives an unhandled rejection whose listener rethrows, and a ZeroMQ send that fails (kernel preload)", async () => {
    const r = await executeNotebook(
      notebook([
        // What TensorFlow.js's wasm module (emscripten) installs: listeners that turn every unhandled rejection into a crash.
        'process.on("uncaughtException", (ex) => { throw ex; });\nprocess.on("unhandledRejection", (reason) => { throw reason; });\n' +
          'Promise.reject(new Error("nobody awaits me"));\n' +
          "await new Promise((resolve) => setTimeout(resolve, 100));",
        // Unawaited sends that fail, as tslab fires them: the preload handles their rejections and logs the first.
        "let unhandled = 0;\nprocess.on(\"unhandledRejection\", () => { unhandled++; });\n" +
          'const zmq = require(require.resolve("zeromq", { paths: [require.resolve("tslab")] }));\n' +
          "const socket = new zmq.Push();\nsocket.close();\nsocket.send(\"lost\");\nsocket.send(\"lost too\");\n" +
          "await new Promise((resolve) => setTimeout(resolve, 100));\nconsole.log(`unhandled: ${unhandled}`);",
        'console.log("still alive");',
      ]),
      { ...inFixtures, cellTimeoutMs: 30_000 },
    );
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "ok"]);
    const streams = code(r, 1).outputs.map((o) => [o.output_type === "stream" ? o.name : o.output_type, text(o)]);
    expect(streams.find(([name]) => name === "stdout")?.[1]).toBe("unhandled: 0\n");
    // The first failed send is logged on stderr instead (which tslab sends on iopub after a cell: were every
    // failure logged, a closed iopub socket would log its own failures without end).
    const stderr = streams.filter(([name]) => name === "stderr").map(([, t]) => t).join("");
    expect(stderr).toMatch(/preload: a ZeroMQ send failed \(later failures on this socket are not logged\): Error: Socket is closed/);
    expect(stderr.match(/a ZeroMQ send failed/g)).toHaveLength(1);
    expect(text(code(r, 2).outputs[0])).toBe("still alive\n");
  });

  it("records nbclient timings: the reply when the cell ends (tslab stamps it at the start), the peak memory", async () => {
    const r = await executeNotebook(notebook(["await new Promise((resolve) => setTimeout(resolve, 400));"]), inFixtures);
    const t = code(r, 0).metadata.execution!;
    const ms = (key: string) => Date.parse(t[key]!);
    expect(ms("shell.execute_reply") - ms("iopub.status.busy")).toBeGreaterThanOrEqual(390);
    expect(ms("iopub.status.idle")).toBeGreaterThanOrEqual(ms("shell.execute_reply"));
    expect(r.peakRssKb).toBeGreaterThan(20_000);
  });

  it("keeps a kernel alive through a cell that prints thousands of lines (queued ZeroMQ sends)", async () => {
    const r = await executeNotebook(
      notebook(["for (let i = 0; i < 3000; i++) console.log(`line ${i}`);", 'console.log("after");']),
      { ...inFixtures, cellTimeoutMs: 60_000 },
    );
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok"]);
    const lines = sourceText((code(r, 0).outputs[0] as { text: string | string[] }).text).split("\n");
    expect(lines[0]).toBe("line 0");
    expect(lines[2999]).toBe("line 2999");
    expect(text(code(r, 1).outputs[0])).toBe("after\n");
  });

  it("refuses a notebook whose kernel is not TypeScript", async () => {
    const file = path.join(fixtures, "python-kernel.ipynb");
    await expect(executeNotebook(await readNotebook(file), { path: file })).rejects.toThrow(
      /python-kernel\.ipynb: its kernel "python3" \(language python\) is not TypeScript/,
    );
  });
});

describe("bad notebook files", () => {
  it.each([
    ["invalid-json", /is not valid JSON/],
    ["nbformat3", /nbformat 3 is not supported/],
    ["missing", /no such file/],
  ])("%s gives a NotebookError naming the file", async (name, message) => {
    const file = path.join(fixtures, `${name}.ipynb`);
    const err = await readNotebook(file).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(NotebookError);
    expect((err as Error).message).toMatch(message);
    expect((err as Error).message.startsWith(file)).toBe(true);
  });
});

describe("parameters and errors as text", () => {
  it.each([
    ["42", 42],
    ["-1e-3", -0.001],
    ["true", true],
    ["null", null],
    ['"two words"', "two words"],
    ["'single'", "single"],
    ["[1, -2, 'a']", [1, -2, "a"]],
    ["{ lr: 0.1, name: \"sgd\" }", { lr: 0.1, name: "sgd" }],
    ["adam", "adam"],
    ["1 + 2", "1 + 2"],
    ["", ""],
  ])("parseParamValue(%j)", async (input, expected) => {
    expect(await parseParamValue(input)).toEqual(expected);
  });

  it("tsLiteral spells values TypeScript reads back", async () => {
    expect(tsLiteral({ a: [1, "x", null], b: -Infinity })).toBe('{ "a": [1, "x", null], "b": -Infinity }');
    expect(await parseParamValue(tsLiteral({ lr: 0.5, tags: ["a"] }))).toEqual({ lr: 0.5, tags: ["a"] });
  });

  it("parseErrorText finds the error line, or names a compile error", () => {
    expect(parseErrorText("evalmachine.<anonymous>:3\nthrow x;\n^\n\nError: boom\n    at x")).toEqual({ ename: "Error", evalue: "boom" });
    expect(parseErrorText("CheckError: check failed: y ≈ 0.62")).toEqual({ ename: "CheckError", evalue: "check failed: y ≈ 0.62" });
    expect(parseErrorText("1:7 - Cannot find name 'x'.\n")).toEqual({ ename: "CompileError", evalue: "1:7 - Cannot find name 'x'." });
  });
});

describe("prepareNotebook", () => {
  it("injects at the top without a parameters cell, replaces an earlier injected cell, clears outputs", () => {
    const nb = notebook(["let A = 1;", "console.log(A);"]);
    const first = prepareNotebook(nb, { A: 2 });
    expect(sourceText(first.nb.cells[0].source)).toContain("let A = 2;");
    expect(first.inputIndex).toEqual([null, 0, 1]);

    const executed = structuredClone(first.nb);
    (executed.cells[1] as CodeCell).outputs = [{ output_type: "stream", name: "stdout", text: ["1\n"] }];
    (executed.cells[1] as CodeCell).execution_count = 1;
    const again = prepareNotebook(executed, { A: 3 });
    expect(again.nb.cells.filter((c) => c.metadata.tags?.includes("injected-parameters"))).toHaveLength(1);
    expect(sourceText(again.nb.cells[0].source)).toContain("let A = 3;");
    expect(again.nb.cells[1]).toMatchObject({ outputs: [], execution_count: null });
    expect(nb.cells).toHaveLength(2);
  });
});

describe("describeExit", () => {
  it("names the error line of a crash, and hints at a lib rebuild for tslab's watcher crash", () => {
    const stderrTail =
      "/x/tf-backend-wasm.node.js:8597\n    throw ex;\n    ^\n\nError: Unexpected pending rebuildTimer\n" +
      "    at sys.setTimeout (/x/tslab/dist/converter.js:111:19)\n\nNode.js v20.20.2\n";
    expect(describeExit({ code: 7, signal: null, outOfMemory: false, stderrTail })).toBe(
      "kernel died (exited with code 7): Error: Unexpected pending rebuildTimer (tslab's file watcher: was the lib rebuilt during the run?)",
    );
    expect(describeExit({ code: null, signal: "SIGKILL", outOfMemory: false, stderrTail: "" })).toBe("kernel died (killed by SIGKILL)");
  });
});
