/**
 * The headless runner (scripts/lib/runner.ts, scripts/notebooks.ts) on the small fixture notebooks in
 * test/fixtures/notebooks/: each test starts a real tslab kernel.
 */
import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { describeExit } from "../scripts/lib/kernel";
import { NotebookError, readNotebook, sourceText, type CodeCell, type Notebook, type Output } from "../scripts/lib/nbformat";
import {
  executeNotebook,
  libBuildProblem,
  parseErrorText,
  parseParamValue,
  prepareNotebook,
  tsLiteral,
  type NotebookResult,
  type RunOptions,
} from "../scripts/lib/runner";

const root = path.resolve(__dirname, "..");
const fixtures = path.join(root, "test", "fixtures", "notebooks");

async function run(name: string, options: RunOptions = {}): Promise<NotebookResult> {
  const file = path.join(fixtures, `${name}.ipynb`);
  return executeNotebook(await readNotebook(file), { path: file, cellTimeoutMs: 30_000, ...options });
}

/** A notebook built in memory from code cell sources. */
function notebook(sources: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "reti", display_name: "TypeScript (reti)", language: "typescript" } },
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
    const r = await run("hang", { cellTimeoutMs: 3000 });
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "timeout", "not-run"]);
    expect(r.failure).toMatchObject({ inputIndex: 1, status: "timeout" });
    expect(r.failure!.error).toMatch(/^cell timeout \(3 s\) reached: the kernel was busy/);
    expect(r.kernelExit?.signal).toBe("SIGKILL");
    expect(r.cells[1].durationMs).toBeGreaterThanOrEqual(3000);
    expect(r.cells[1].durationMs).toBeLessThan(15_000);
  });

  it("stops a cell awaiting forever at the notebook timeout", async () => {
    const r = await executeNotebook(notebook(['console.log("start");', "await new Promise(() => {});", "1"]), {
      notebookTimeoutMs: 3000,
    });
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "timeout", "not-run"]);
    expect(r.failure!.error).toMatch(/^notebook timeout \(3 s\) reached: the kernel was waiting/);
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
      { maxOldSpaceMb: 160 },
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

  it("keeps compiling cells after the lib's .d.ts files are rewritten and hard-linked mid-run (polling watcher)", async () => {
    const r = await executeNotebook(
      notebook([
        'import { check } from "reti";\nimport * as fs from "fs";\nimport * as path from "path";\n' +
          'const dist = path.dirname(require.resolve("reti/dist/index.d.ts"));\n' +
          'const decls = fs.readdirSync(dist).filter((f) => f.endsWith(".d.ts")).map((f) => path.join(dist, f));',
        // What a lib rebuild (same text rewritten) and the grader's hard-linked sandbox copy do to watched files.
        'const links = decls.map((f) => { const l = `${f}.${process.pid}.link`; fs.linkSync(f, l); return l; });\n' +
          'decls.forEach((f) => fs.writeFileSync(f, fs.readFileSync(f)));\n' +
          'await new Promise((resolve) => setTimeout(resolve, 1000));\nlinks.forEach((l) => fs.unlinkSync(l));',
        'check(process.env.TSC_WATCHFILE === "DynamicPriorityPolling", "the kernel\'s TypeScript polls instead of using inotify");',
      ]),
      { cellTimeoutMs: 30_000 },
    );
    expect(r.cells.map((c) => c.status)).toEqual(["ok", "ok", "ok"]);
  });

  it("keeps a kernel alive through a cell that prints thousands of lines (queued ZeroMQ sends)", async () => {
    const r = await executeNotebook(
      notebook(["for (let i = 0; i < 3000; i++) console.log(`line ${i}`);", 'console.log("after");']),
      { cellTimeoutMs: 60_000 },
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

describe("libBuildProblem", () => {
  it("says to build when lib/dist is missing or older than lib/src, and nothing when it is fresh", async () => {
    const tmp = await fs.mkdtemp(path.join(os.tmpdir(), "reti-lib-"));
    await fs.mkdir(path.join(tmp, "lib", "src"), { recursive: true });
    await fs.mkdir(path.join(tmp, "node_modules"), { recursive: true });
    await fs.symlink(path.join(tmp, "lib"), path.join(tmp, "node_modules", "reti"));
    await fs.writeFile(path.join(tmp, "lib", "src", "index.ts"), "export {};\n");
    expect(await libBuildProblem(tmp)).toMatch(/is not built .*run `npm run build`/);
    await fs.mkdir(path.join(tmp, "lib", "dist"));
    await fs.writeFile(path.join(tmp, "lib", "dist", "index.js"), "");
    expect(await libBuildProblem(tmp)).toBeNull();
    const later = new Date(Date.now() + 10_000);
    await fs.utimes(path.join(tmp, "lib", "src", "index.ts"), later, later);
    expect(await libBuildProblem(tmp)).toMatch(/stale \(lib\/src\/index\.ts is newer than lib\/dist\): run `npm run build`/);
    await fs.rm(tmp, { recursive: true, force: true });
  });
});

describe("npm run notebooks (the command line)", () => {
  it("reports each notebook, details failures, writes executed copies and JUnit, exits 1", async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), "reti-run-"));
    const rel = (name: string) => path.join("test", "fixtures", "notebooks", `${name}.ipynb`);
    const cli = spawnSync(
      process.execPath,
      [
        path.join(root, "node_modules", "tsx", "dist", "cli.mjs"),
        "scripts/notebooks.ts",
        rel("pass"), rel("fail"), rel("invalid-json"), rel("missing"), rel("python-kernel"),
        "test/fixtures/notebooks/nbformat*.ipynb",
        "--jobs", "2", "--output-dir", out, "--junit", path.join(out, "junit.xml"),
      ],
      { cwd: root, encoding: "utf8", timeout: 90_000 },
    );
    expect(cli.status, cli.stderr).toBe(1);
    const lines = cli.stdout.trim().split("\n");
    expect(lines.at(-1)).toBe("1 passed, 5 failed");
    expect(cli.stdout).toMatch(/^PASS {2}test\/fixtures\/notebooks\/pass\.ipynb {2}\d+\.\d s {2}3\/3 cells$/m);
    expect(cli.stdout).toMatch(/^FAIL {2}test\/fixtures\/notebooks\/fail\.ipynb .* cell 4 \(code cell 3\): error$/m);
    expect(cli.stdout).toMatch(/^FAIL {2}test\/fixtures\/notebooks\/invalid-json\.ipynb {2}is not valid JSON/m);
    expect(cli.stdout).toMatch(/^FAIL {2}test\/fixtures\/notebooks\/missing\.ipynb {2}no such file$/m);
    expect(cli.stdout).toMatch(/^FAIL {2}test\/fixtures\/notebooks\/python-kernel\.ipynb {2}its kernel "python3"/m);
    expect(cli.stdout).toMatch(/^FAIL {2}test\/fixtures\/notebooks\/nbformat3\.ipynb {2}nbformat 3 is not supported/m);
    expect(cli.stdout).toContain(
      "--- test/fixtures/notebooks/fail.ipynb, cell 4 (code cell 3): error\n" +
        '    | console.log("about to fail");\n' +
        "    | throw new Error(`boom at cell three (n = ${n})`);\n" +
        "    Error: boom at cell three (n = 2)\n",
    );
    const executed = await readNotebook(path.join(out, rel("pass")));
    expect((executed.cells[1] as CodeCell).outputs).toHaveLength(1);
    expect(await readNotebook(path.join(out, rel("fail")))).toBeTruthy();
    const junit = await fs.readFile(path.join(out, "junit.xml"), "utf8");
    expect(junit).toContain('<testsuite name="notebooks" tests="6" failures="5"');
    expect(junit).toContain('message="cell 4 (code cell 3): error: Error: boom at cell three (n = 2)"');
    await fs.rm(out, { recursive: true, force: true });
  });

  it("exits 0 when all pass, with --param and --quick injected", async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), "reti-run-"));
    const cli = spawnSync(
      process.execPath,
      [
        path.join(root, "node_modules", "tsx", "dist", "cli.mjs"),
        "scripts/notebooks.ts", "test/fixtures/notebooks/params.ipynb",
        "--quick", "--param", "SEED=7", "--param", "LABEL=quick", "--output-dir", out,
      ],
      { cwd: root, encoding: "utf8", timeout: 60_000 },
    );
    expect(cli.status, cli.stdout + cli.stderr).toBe(0);
    expect(cli.stdout.trim().split("\n").at(-1)).toBe("1 passed, 0 failed");
    const nb = await readNotebook(path.join(out, "test", "fixtures", "notebooks", "params.ipynb"));
    expect(text((nb.cells[3] as CodeCell).outputs[0])).toBe('{"QUICK":true,"SEED":7,"LABEL":"quick","EPOCHS":2}\n');
    await fs.rm(out, { recursive: true, force: true });
  });
});
