/**
 * Benchmark (not a test) of the headless runner against Debian's `jupyter-nbconvert --execute` with
 * the tslab kernelspec, on the same notebooks: median wall time of several runs, and the runner's own
 * overhead (kernel start, per cell, per notebook).
 *
 *   npm run bench:runner -- [--runs 5] [notebooks...]
 *
 * Default notebooks: the passing fixtures in test/fixtures/notebooks/ and every notebooks/*.ipynb.
 * Notebooks with a `parameters` cell run in quick mode (QUICK = true, injected into a copy under
 * build/bench/ so both tools run the same cells from a folder that resolves `reti`).
 * The kernelspec for nbconvert is installed into a temporary JUPYTER_PATH (`tslab install --prefix`).
 */
import { spawnSync } from "node:child_process";
import { promises as fs, readdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { readNotebook, writeNotebook, type Notebook } from "../scripts/lib/nbformat";
import { executeNotebook, libBuildProblem, prepareNotebook } from "../scripts/lib/runner";

const root = path.resolve(__dirname, "..");
const NBCONVERT = "/usr/bin/jupyter-nbconvert";
const PASSING_FIXTURES = ["pass", "params", "raises", "skip", "display"].map((n) => `test/fixtures/notebooks/${n}.ipynb`);

function median(xs: number[]): number {
  if (xs.length === 0) return NaN;
  const s = [...xs].sort((a, b) => a - b);
  const m = Math.floor(s.length / 2);
  return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

/** Wall time of a command in ms; throws with its output when it fails. */
function timed(command: string, args: string[], env: NodeJS.ProcessEnv = process.env): number {
  const t0 = performance.now();
  const r = spawnSync(command, args, { cwd: root, env, encoding: "utf8" });
  const ms = performance.now() - t0;
  if (r.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (${r.status}):\n${r.stdout}${r.stderr}`);
  return ms;
}

/** Installs the tslab kernelspec into a fresh folder and returns the JUPYTER_PATH that finds it. */
function installKernelspec(): string {
  const prefix = path.join(os.tmpdir(), `reti-bench-jupyter-${process.pid}`);
  timed(process.execPath, [
    path.join(root, "node_modules", "tslab", "bin", "tslab"),
    "install",
    "--python=/usr/bin/python3",
    `--binary=${path.join(root, "node_modules", ".bin", "tslab")}`,
    `--prefix=${prefix}`,
  ]);
  return path.join(prefix, "share", "jupyter");
}

interface Row {
  notebook: string;
  cells: number;
  nbconvert: number[];
  cli: number[];
  inProcess: number[];
  kernelStart: number[];
  cellOverhead: number[];
  notebookOverhead: number[];
}

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: "string" } } });
  const runs = Number(values.runs ?? 5);
  const courseNotebooks = readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort().map((f) => `notebooks/${f}`);
  const inputs = positionals.length > 0 ? positionals : [...PASSING_FIXTURES, ...courseNotebooks];
  const problem = await libBuildProblem(root);
  if (problem && inputs.some((f) => f.startsWith("notebooks/"))) throw new Error(problem);

  const jupyterPath = installKernelspec();
  const env = { ...process.env, JUPYTER_PATH: jupyterPath };
  const outDir = path.join(root, "build", "bench", "out");
  const rows: Row[] = [];
  for (const input of inputs) {
    const nb = await readNotebook(path.join(root, input));
    const quick = nb.cells.some((c) => c.metadata.tags?.includes("parameters"));
    const prepared = prepareNotebook(nb, quick ? { QUICK: true } : undefined).nb;
    const file = path.join(root, "build", "bench", input);
    await writeNotebook(file, prepared);
    const row: Row = {
      notebook: input + (quick ? " (quick)" : ""),
      cells: prepared.cells.filter((c) => c.cell_type === "code").length,
      nbconvert: [], cli: [], inProcess: [], kernelStart: [], cellOverhead: [], notebookOverhead: [],
    };
    try {
      for (let i = 0; i < runs; i++) await measure(row, prepared, file, env, outDir);
      rows.push(row);
      process.stderr.write(`${input}: done\n`);
    } catch (err) {
      process.stderr.write(`${input}: left out, it fails: ${(err as Error).message.split("\n").slice(0, 3).join(" | ")}\n`);
    }
  }
  await fs.rm(path.dirname(path.dirname(jupyterPath)), { recursive: true, force: true });
  printTable(rows, runs);
}

/** One run of each tool on one notebook, appended to the row. */
async function measure(row: Row, prepared: Notebook, file: string, env: NodeJS.ProcessEnv, outDir: string): Promise<void> {
  row.nbconvert.push(timed(NBCONVERT, [
    "--to", "notebook", "--execute", "--ExecutePreprocessor.kernel_name=tslab",
    "--ExecutePreprocessor.timeout=600", "--output-dir", path.join(outDir, "nbconvert"), file,
  ], env));
  try {
    row.cli.push(timed(process.execPath, [
      path.join(root, "node_modules", "tsx", "dist", "cli.mjs"), "scripts/notebooks.ts", file,
      "--jobs", "1", "--output-dir", path.join(outDir, "runner"),
    ]));
  } catch (err) {
    // The CLI refuses a stale lib build (someone editing lib/src): the in-process run still counts.
    process.stderr.write(`CLI run left out: ${(err as Error).message.split("\n").slice(-2).join(" | ")}\n`);
  }
  const t0 = performance.now();
  const result = await executeNotebook(prepared, { path: file });
  row.inProcess.push(performance.now() - t0);
  if (!result.ok) throw new Error(`the runner failed it: ${result.failure?.error}`);
  row.kernelStart.push(result.kernelStartMs);
  let cellsMs = 0;
  for (const cell of result.cells) {
    if (cell.status !== "ok") continue;
    const timing = (result.notebook.cells[cell.index].metadata.execution ?? {}) as Record<string, string>;
    const kernelMs = Date.parse(timing["iopub.status.idle"]) - Date.parse(timing["iopub.status.busy"]);
    row.cellOverhead.push(cell.durationMs - kernelMs);
    cellsMs += cell.durationMs;
  }
  row.notebookOverhead.push(result.durationMs - result.kernelStartMs - cellsMs);
}

function printTable(rows: Row[], runs: number): void {
  if (rows.length === 0) {
    console.log("no notebook could be measured");
    return;
  }
  const s = (ms: number) => (Number.isNaN(ms) ? "-" : (ms / 1000).toFixed(2));
  const header = ["notebook", "code cells", "nbconvert s", "runner CLI s", "runner in-process s", "kernel start s", "overhead/cell ms", "overhead/notebook ms"];
  const table = rows.map((r) => [
    r.notebook, String(r.cells), s(median(r.nbconvert)), s(median(r.cli)), s(median(r.inProcess)),
    s(median(r.kernelStart)), median(r.cellOverhead).toFixed(1), median(r.notebookOverhead).toFixed(0),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...table.map((t) => t[i].length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]) : c.padStart(widths[i]))).join(" | ") + " |";
  console.log(`median of ${runs} runs, one notebook at a time, ${os.cpus().length} cores, load average ${os.loadavg()[0].toFixed(1)}`);
  console.log(line(header));
  console.log("|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|");
  for (const t of table) console.log(line(t));
  const saved = (tool: (r: Row) => number[]) =>
    s(median(rows.map((r) => median(r.nbconvert) - median(tool(r))).filter((x) => !Number.isNaN(x))));
  console.log(`less time than nbconvert per notebook (median): runner CLI ${saved((r) => r.cli)} s, in-process ${saved((r) => r.inProcess)} s; ` +
    `overhead per cell ${median(rows.flatMap((r) => r.cellOverhead)).toFixed(1)} ms (request sent to idle received, minus the kernel's busy→idle)`);
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
