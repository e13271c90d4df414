/**
 * Benchmark (not a test) of `npm test` against its budget of 4 minutes (issue 20): runs `npm test`'s projects once
 * under /usr/bin/time and reports its wall time, its CPU time (user + system, kernels included) and the floor
 * that CPU sets on this machine's cores (CPU / cores: no scheduling makes the suite shorter), the longest test
 * files, each notebook's quick mode (the sum of its cells' times in the executed copy the run wrote) and what a
 * kernel costs before its first cell: a TypeScript kernel with no declarations loaded ahead, and one that loads
 * the course's (`reti`'s, ≈ 800 declaration files TypeScript parses and binds at every kernel start); and what
 * a one-line cell costs in such a kernel, with the kernel preload's builder state reuse and without.
 *
 *   npm run bench:suite -- [--project quick|integration] [--kernels-only]
 *
 * `--project quick` (the default) is `npm test`: the projects `unit` and `quick`.
 *
 * `--kernels-only`: only the kernel start and the cell costs (a minute instead of the whole suite).
 *
 * Writes the report to build/bench/suite-PROJECT.md (kernel-costs.md with --kernels-only) too.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { readNotebook, writeNotebook, type Notebook } from "nbconvert-ts-runner";
import { median, timed } from "./command-time";

const root = path.resolve(__dirname, "..");
const BUDGET_S = 240;
const VITEST = path.join(root, "node_modules", "vitest", "vitest.mjs");
const RUNNER_BIN = path.join(root, "packages", "nbconvert-ts-runner", "bin", "nbconvert-ts-runner.js");

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; startTime: number; endTime: number; status: string; assertionResults: unknown[] }[];
}

/** Each code cell's time of an executed notebook, in seconds (nbclient's timings in the cell's metadata). */
function cellTimes(nb: Notebook): number[] {
  const times: number[] = [];
  for (const cell of nb.cells) {
    const t = (cell.metadata as { execution?: Record<string, string> }).execution;
    const start = Date.parse(t?.["iopub.execute_input"] ?? "");
    const end = Date.parse(t?.["shell.execute_reply"] ?? "");
    if (Number.isFinite(start) && Number.isFinite(end)) times.push((end - start) / 1000);
  }
  return times;
}

/** A TypeScript notebook of code cells with these sources. */
function codeNotebook(sources: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: sources.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, source, outputs: [], execution_count: null })),
  };
}

/** CPU and wall seconds of one kernel running a one-cell notebook, with or without the course's declarations. */
async function kernelCost(withTypes: boolean): Promise<{ wall: number; cpu: number }> {
  const dir = path.join(root, "build", "bench", "kernel-cost");
  const source = withTypes ? 'import { tf } from "reti";\ntf.getBackend();' : "1 + 1;";
  const file = path.join(dir, withTypes ? "course-types.ipynb" : "no-types.ipynb");
  await writeNotebook(file, codeNotebook([source]));
  // The course's declarations load ahead only where package.json names them: build/bench resolves the root's.
  const env = { ...process.env, NBCONVERT_TS_RUNNER_TYPES: withTypes ? "reti" : "" };
  const samples = [0, 1, 2].map(() => timed(process.execPath, [RUNNER_BIN, file, "--output-dir", path.join(dir, "out")], root, env));
  const best = samples.reduce((a, b) => (b.cpu < a.cpu ? b : a));
  return { wall: best.wall, cpu: best.cpu };
}

/**
 * A cell's compile cost in a kernel with the course's declarations: the import cell and 20 one-line cells,
 * with the kernel preload's builder state reuse (fix 8) on and off, interleaved, 3 runs each; the medians.
 */
async function cellCost(): Promise<Record<"on" | "off", { cpu: number; importCell: number; smallCell: number }>> {
  const dir = path.join(root, "build", "bench", "cell-cost");
  const sources = ['import { tf, seed } from "reti";\nseed(1);', ...Array.from({ length: 20 }, (_, i) => `const x${i} = ${i} * 2;\nx${i}`)];
  const file = path.join(dir, "cells.ipynb");
  await writeNotebook(file, codeNotebook(sources));
  const runs: Record<"on" | "off", { cpu: number[]; importCell: number[]; smallCell: number[] }> = {
    on: { cpu: [], importCell: [], smallCell: [] },
    off: { cpu: [], importCell: [], smallCell: [] },
  };
  for (let i = 0; i < 3; i++) {
    for (const mode of ["off", "on"] as const) {
      const out = path.join(dir, mode);
      const env = { ...process.env, NBCONVERT_TS_RUNNER_TYPES: "reti", NBCONVERT_TS_RUNNER_BUILDER_REUSE: mode };
      const sample = timed(process.execPath, [RUNNER_BIN, file, "--output-dir", out], root, env);
      const times = cellTimes(await readNotebook(path.join(out, path.relative(root, file))));
      runs[mode].cpu.push(sample.cpu);
      runs[mode].importCell.push(times[0]!);
      runs[mode].smallCell.push(median(times.slice(1)));
    }
  }
  const summary = (m: "on" | "off") => ({ cpu: median(runs[m].cpu), importCell: median(runs[m].importCell), smallCell: median(runs[m].smallCell) });
  return { on: summary("on"), off: summary("off") };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { project: { type: "string", default: "quick" }, "kernels-only": { type: "boolean", default: false } } });
  const project = values.project!;
  const cores = os.availableParallelism();
  const jsonFile = path.join(root, "build", "bench", `suite-${project}.json`);
  await fs.mkdir(path.dirname(jsonFile), { recursive: true });
  const startLoad = os.loadavg()[0]!;
  // `npm test` is two projects: the unit tests (`unit`) and the files that start kernels (`quick`).
  const projects = project === "quick" ? ["unit", "quick"] : [project];
  const projectArgs = projects.flatMap((p) => ["--project", p]);
  let suite: { run: { wall: number; cpu: number }; report: VitestReport } | null = null;
  if (!values["kernels-only"]) {
    process.stderr.write(`running vitest ${projectArgs.join(" ")} (several minutes)…\n`);
    const run = timed(process.execPath, [VITEST, "run", ...projectArgs, "--reporter=json", `--outputFile=${jsonFile}`], root);
    suite = { run, report: JSON.parse(await fs.readFile(jsonFile, "utf8")) as VitestReport };
  }
  process.stderr.write("measuring a kernel's start…\n");
  const bare = await kernelCost(false);
  const typed = await kernelCost(true);
  process.stderr.write("measuring a cell's compile cost…\n");
  const cells = await cellCost();

  const lines: string[] = [];
  const say = (s = "") => lines.push(s);
  say(`# ${suite ? `npm test (vitest ${projectArgs.join(" ")})` : "kernel costs"} on ${cores} cores, load average ${startLoad.toFixed(1)} at the start`);
  say();
  if (suite) {
    const { run, report } = suite;
    say(`- wall **${run.wall.toFixed(0)} s** against a budget of ${BUDGET_S} s (${(run.wall / BUDGET_S).toFixed(2)}× the budget); ${report.numPassedTests} tests passed, ${report.numFailedTests} failed`);
    say(`- CPU (user + system, kernels included) ${run.cpu.toFixed(0)} s: on ${cores} cores no schedule finishes in less than **${(run.cpu / cores).toFixed(0)} s**`);
  }
  say(`- a kernel's start and one cell: ${bare.cpu.toFixed(1)} s CPU (${bare.wall.toFixed(1)} s wall) bare, ${typed.cpu.toFixed(1)} s CPU (${typed.wall.toFixed(1)} s wall) with the course's declarations loaded ahead (best of 3)`);
  const { on, off } = cells;
  say(
    `- a one-line cell after the import, with the course's declarations (median of 20 cells, 3 runs): ${(1000 * on.smallCell).toFixed(0)} ms wall with the builder state reuse, ` +
      `${(1000 * off.smallCell).toFixed(0)} ms without (${(on.smallCell / off.smallCell).toFixed(2)}×); the import cell ${on.importCell.toFixed(2)} s against ${off.importCell.toFixed(2)} s; ` +
      `the whole 21-cell notebook ${on.cpu.toFixed(1)} s CPU against ${off.cpu.toFixed(1)} s (${(on.cpu / off.cpu).toFixed(2)}×)`,
  );
  if (suite) {
    say();
    say("| test file | wall s | tests |");
    say("|---|---:|---:|");
    const files = suite.report.testResults
      .map((t) => ({ file: path.relative(root, t.name), seconds: (t.endTime - t.startTime) / 1000, tests: t.assertionResults.length }))
      .sort((a, b) => b.seconds - a.seconds);
    for (const f of files.slice(0, 12)) say(`| ${f.file} | ${f.seconds.toFixed(1)} | ${f.tests} |`);
    const rest = files.slice(12);
    say(`| ${rest.length} other files | ${rest.reduce((a, f) => a + f.seconds, 0).toFixed(1)} | ${rest.reduce((a, f) => a + f.tests, 0)} |`);
  }
  const executedDir = path.join(root, "build", "executed", "notebooks");
  const executed = (await fs.readdir(executedDir).catch(() => [] as string[])).filter((f) => f.endsWith(".ipynb")).sort();
  if (suite && executed.length > 0) {
    say();
    say("| notebook (quick mode, in this run) | cells s |");
    say("|---|---:|");
    let total = 0;
    for (const name of executed) {
      const seconds = cellTimes(await readNotebook(path.join(executedDir, name))).reduce((a, b) => a + b, 0);
      total += seconds;
      say(`| ${name} | ${seconds.toFixed(1)} |`);
    }
    say(`| all | ${total.toFixed(1)} |`);
  }
  const text = lines.join("\n") + "\n";
  await fs.writeFile(path.join(root, "build", "bench", suite ? `suite-${project}.md` : "kernel-costs.md"), text);
  process.stdout.write(text);
  if (suite && suite.report.numFailedTests > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
