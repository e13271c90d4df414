/**
 * The command line (src/cli.ts through src/bin.ts, and the installed bin) on fixture notebooks and
 * on a plain TypeScript notebook in a temporary folder of its own: each run starts real tslab kernels.
 */
import { spawnSync, type SpawnSyncReturns } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { describe, expect, it } from "vitest";
import { papermillParams, outputPath } from "../src/cli";
import { readNotebook, sourceText, writeNotebook, type CodeCell, type Notebook, type Output } from "../src/nbformat";

const pkg = path.resolve(__dirname, "..");
const tsx = require.resolve("tsx/cli");

/** Runs the command line from `cwd` (the package folder by default). */
function cli(args: string[], cwd = pkg, timeout = 400_000): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, [tsx, path.join(pkg, "src", "bin.ts"), ...args], { cwd, encoding: "utf8", timeout });
}

function text(output: Output | undefined): string {
  if (output?.output_type !== "stream") throw new Error(`not a stream output: ${JSON.stringify(output)}`);
  return sourceText(output.text);
}

/** A plain TypeScript notebook: no course library, a parameters cell, an import of node's fs. */
function plainNotebook(): Notebook {
  const cell = (source: string, tags?: string[]): CodeCell =>
    ({ cell_type: "code", source, metadata: tags ? { tags } : {}, execution_count: null, outputs: [] });
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: [
      { cell_type: "markdown", source: "# A plain notebook", metadata: {} },
      cell("let N = 3;\nlet WHO = \"nobody\";", ["parameters"]),
      cell('import * as fs from "fs";\ninterface Point { x: number; y: number }\nconst points: Point[] = Array.from({ length: N }, (_, i) => ({ x: i, y: i * i }));\nconsole.log(`${WHO}: ${points.map((p) => p.y).join(",")}`);'),
      cell("fs.existsSync(\"plain.ipynb\")"),
    ],
  };
}

// Each test spawns the command line, which starts kernels: generous limits for a busy machine.
describe("nbconvert-ts-runner (the command line)", { timeout: 900_000 }, () => {
  it("runs a plain TypeScript notebook in a folder of its own, as nbconvert would (NAME.nbconvert.ipynb), with -p", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "nbts-plain-"));
    try {
      await writeNotebook(path.join(dir, "plain.ipynb"), plainNotebook());
      const r = cli(["plain.ipynb", "-p", "N", "4", "-r", "WHO", "42"], dir);
      expect(r.status, r.stdout + r.stderr).toBe(0);
      expect(r.stdout).toMatch(/^PASS {2}plain\.ipynb {2}\d+(\.\d)? s {2}4\/4 cells {2}peak \d+ MB$/m);
      expect(r.stdout).toMatch(/^1 passed, 0 failed; largest kernel peak memory \d+ MB$/m);
      const nb = await readNotebook(path.join(dir, "plain.nbconvert.ipynb"));
      const code = nb.cells.filter((c): c is CodeCell => c.cell_type === "code");
      expect(sourceText(code[1]!.source)).toContain('N = 4;\nWHO = "42";');
      expect(text(code[2]!.outputs[0])).toBe("42: 0,1,4,9\n");
      // tslab prints a cell's last value (as stdout text, not an execute_result).
      expect(text(code[3]!.outputs[0])).toBe("true\n");
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("reports each notebook, details failures, writes executed copies and JUnit, exits 1", async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), "nbts-run-"));
    const rel = (name: string) => path.join("test", "fixtures", `${name}.ipynb`);
    const r = cli([
      rel("pass"), rel("fail"), rel("invalid-json"), rel("missing"), rel("python-kernel"), "test/fixtures/nbformat*.ipynb",
      "--jobs", "2", "--output-dir", out, "--junit", path.join(out, "junit.xml"),
    ]);
    expect(r.status, r.stderr).toBe(1);
    expect(r.stdout.trim().split("\n").at(-1), r.stdout).toMatch(/^1 passed, 5 failed; largest kernel peak memory \d+ MB$/);
    expect(r.stdout).toMatch(/^PASS {2}test\/fixtures\/pass\.ipynb {2}\d+(\.\d)? s {2}3\/3 cells {2}peak \d+ MB$/m);
    expect(r.stdout).toMatch(/^FAIL {2}test\/fixtures\/fail\.ipynb .* cell 4 \(code cell 3\): error$/m);
    expect(r.stdout).toMatch(/^FAIL {2}test\/fixtures\/invalid-json\.ipynb {2}is not valid JSON/m);
    expect(r.stdout).toMatch(/^FAIL {2}test\/fixtures\/missing\.ipynb {2}no such file$/m);
    expect(r.stdout).toMatch(/^FAIL {2}test\/fixtures\/python-kernel\.ipynb {2}its kernel "python3"/m);
    expect(r.stdout).toMatch(/^FAIL {2}test\/fixtures\/nbformat3\.ipynb {2}nbformat 3 is not supported/m);
    expect(r.stdout).toContain(
      "--- test/fixtures/fail.ipynb, cell 4 (code cell 3): error\n" +
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
    expect(junit).toMatch(/<property name="peak_rss_kb" value="\d+"\/>/);
    await fs.rm(out, { recursive: true, force: true });
  });

  it("runs several notebooks on kernels started ahead (--jobs 1), --param NAME=VALUE and --output", async () => {
    const out = await fs.mkdtemp(path.join(os.tmpdir(), "nbts-run-"));
    const r = cli(["test/fixtures/params.ipynb", "--param", "SEED=7", "-p", "LABEL", "quick", "--output-dir", out, "--output", "renamed"]);
    expect(r.status, r.stdout + r.stderr).toBe(0);
    const nb = await readNotebook(path.join(out, "test", "fixtures", "renamed.ipynb"));
    expect(text((nb.cells[3] as CodeCell).outputs[0])).toBe('{"QUICK":false,"SEED":7,"LABEL":"quick","EPOCHS":15}\n');

    const several = cli(["test/fixtures/pass.ipynb", "test/fixtures/skip.ipynb", "test/fixtures/raises.ipynb", "--jobs", "1", "--output-dir", out]);
    expect(several.status, several.stdout + several.stderr).toBe(0);
    expect(several.stdout.trim().split("\n").at(-1)).toMatch(/^3 passed, 0 failed/);
    await fs.rm(out, { recursive: true, force: true });
  });

  it("--inplace writes over the input; usage errors exit 2", async () => {
    const dir = await fs.mkdtemp(path.join(os.tmpdir(), "nbts-inplace-"));
    try {
      await writeNotebook(path.join(dir, "plain.ipynb"), plainNotebook());
      expect(cli(["plain.ipynb", "--inplace"], dir).status).toBe(0);
      const nb = await readNotebook(path.join(dir, "plain.ipynb"));
      expect(text((nb.cells[2] as CodeCell).outputs[0])).toBe("nobody: 0,1,4\n");
      const bad = cli(["plain.ipynb", "--inplace", "--output", "x"], dir);
      expect(bad.status).toBe(2);
      expect(bad.stderr).toMatch(/--inplace writes over the inputs/);
      expect(cli([], dir).stderr).toMatch(/no notebook given/);
      const noFolder = cli(["plain.ipynb", "--cwd", "no-such-folder"], dir);
      expect(noFolder.status).toBe(2);
      expect(noFolder.stderr).toMatch(/--cwd no-such-folder: no such folder/);
    } finally {
      await fs.rm(dir, { recursive: true, force: true });
    }
  });

  it("the installed bin (compiled at npm ci) answers --help", () => {
    const r = spawnSync(process.execPath, [path.join(pkg, "bin", "nbconvert-ts-runner.js"), "--help"], { encoding: "utf8" });
    expect(r.status, r.stderr).toBe(0);
    for (const flag of ["--output-dir", "--inplace", "--timeout", "-p NAME VALUE", "--allow-errors", "--junit", "--jobs", "--server URL"]) {
      expect(r.stdout).toContain(flag);
    }
  });
});

describe("argument helpers", () => {
  it("papermillParams rewrites -p/-r NAME VALUE as --param/--param-raw NAME=VALUE", () => {
    expect(papermillParams(["a.ipynb", "-p", "lr", "0.1", "-r", "name", "x y", "--jobs", "2"]))
      .toEqual(["a.ipynb", "--param", "lr=0.1", "--param-raw", "name=x y", "--jobs", "2"]);
    expect(() => papermillParams(["-p", "lr"])).toThrow(/needs a NAME and a VALUE/);
  });

  it("outputPath follows nbconvert: beside the input as .nbconvert.ipynb, or in --output-dir, renamed by --output", () => {
    expect(outputPath("nb/a.ipynb", {})).toBe(path.join("nb", "a.nbconvert.ipynb"));
    expect(outputPath("nb/a.ipynb", { outputDir: "out" })).toBe(path.join("out", "nb", "a.ipynb"));
    expect(outputPath("nb/a.ipynb", { outputDir: "out", output: "b" })).toBe(path.join("out", "nb", "b.ipynb"));
    expect(outputPath("nb/a.ipynb", { output: "b.ipynb" })).toBe(path.join("nb", "b.ipynb"));
    expect(outputPath("nb/a.ipynb", { inplace: true })).toBe("nb/a.ipynb");
  });
});
