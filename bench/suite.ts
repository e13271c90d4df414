/**
 * Benchmark (not a test) of `npm test` against its budget of 4 minutes (issue 20): runs the quick project once
 * under /usr/bin/time and reports its wall time, its CPU time (user + system, kernels included) and the floor
 * that CPU sets on this machine's cores (CPU / cores: no scheduling makes the suite shorter), the longest test
 * files, each notebook's quick mode (the sum of its cells' times in the executed copy the run wrote) and what a
 * kernel costs before its first cell: a TypeScript kernel with no declarations loaded ahead, and one that loads
 * the course's (`reti`'s, ≈ 800 declaration files TypeScript parses and binds at every kernel start).
 *
 *   npm run bench:suite -- [--project quick|integration]
 *
 * Writes the report to build/bench/suite.md too.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { readNotebook, writeNotebook, type Notebook } from "nbconvert-ts-runner";
import { timed } from "./command-time";

const root = path.resolve(__dirname, "..");
const BUDGET_S = 240;
const VITEST = path.join(root, "node_modules", "vitest", "vitest.mjs");
const RUNNER_BIN = path.join(root, "packages", "nbconvert-ts-runner", "bin", "nbconvert-ts-runner.js");

interface VitestReport {
  numPassedTests: number;
  numFailedTests: number;
  testResults: { name: string; startTime: number; endTime: number; status: string; assertionResults: unknown[] }[];
}

/** The summed cell times of an executed notebook, in seconds (nbclient's timings in each cell's metadata). */
function cellSeconds(nb: Notebook): number {
  let total = 0;
  for (const cell of nb.cells) {
    const t = (cell.metadata as { execution?: Record<string, string> }).execution;
    const start = Date.parse(t?.["iopub.execute_input"] ?? "");
    const end = Date.parse(t?.["shell.execute_reply"] ?? "");
    if (Number.isFinite(start) && Number.isFinite(end)) total += (end - start) / 1000;
  }
  return total;
}

/** CPU and wall seconds of one kernel running a one-cell notebook, with or without the course's declarations. */
async function kernelCost(withTypes: boolean): Promise<{ wall: number; cpu: number }> {
  const dir = path.join(root, "build", "bench", "kernel-cost");
  const source = withTypes ? 'import { tf } from "reti";\ntf.getBackend();' : "1 + 1;";
  const nb: Notebook = {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "tslab", display_name: "TypeScript", language: "typescript" } },
    cells: [{ cell_type: "code", id: "only", metadata: {}, source, outputs: [], execution_count: null }],
  };
  const file = path.join(dir, withTypes ? "course-types.ipynb" : "no-types.ipynb");
  await writeNotebook(file, nb);
  // The course's declarations load ahead only where package.json names them: build/bench resolves the root's.
  const env = { ...process.env, NBCONVERT_TS_RUNNER_TYPES: withTypes ? "reti" : "" };
  const samples = [0, 1, 2].map(() => timed(process.execPath, [RUNNER_BIN, file, "--output-dir", path.join(dir, "out")], root, env));
  const best = samples.reduce((a, b) => (b.cpu < a.cpu ? b : a));
  return { wall: best.wall, cpu: best.cpu };
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { project: { type: "string", default: "quick" } } });
  const project = values.project!;
  const cores = os.availableParallelism();
  const jsonFile = path.join(root, "build", "bench", `suite-${project}.json`);
  await fs.mkdir(path.dirname(jsonFile), { recursive: true });
  process.stderr.write(`running vitest --project ${project} (several minutes)…\n`);
  const startLoad = os.loadavg()[0]!;
  const run = timed(process.execPath, [VITEST, "run", "--project", project, "--reporter=json", `--outputFile=${jsonFile}`], root);
  const report = JSON.parse(await fs.readFile(jsonFile, "utf8")) as VitestReport;
  process.stderr.write("measuring a kernel's start…\n");
  const bare = await kernelCost(false);
  const typed = await kernelCost(true);

  const lines: string[] = [];
  const say = (s = "") => lines.push(s);
  say(`# npm test (vitest project ${project}) on ${cores} cores, load average ${startLoad.toFixed(1)} at the start`);
  say();
  say(`- wall **${run.wall.toFixed(0)} s** against a budget of ${BUDGET_S} s (${(run.wall / BUDGET_S).toFixed(2)}× the budget); ${report.numPassedTests} tests passed, ${report.numFailedTests} failed`);
  say(`- CPU (user + system, kernels included) ${run.cpu.toFixed(0)} s: on ${cores} cores no schedule finishes in less than **${(run.cpu / cores).toFixed(0)} s**`);
  say(`- a kernel's start and one cell: ${bare.cpu.toFixed(1)} s CPU (${bare.wall.toFixed(1)} s wall) bare, ${typed.cpu.toFixed(1)} s CPU (${typed.wall.toFixed(1)} s wall) with the course's declarations loaded ahead (best of 3)`);
  say();
  say("| test file | wall s | tests |");
  say("|---|---:|---:|");
  const files = report.testResults
    .map((t) => ({ file: path.relative(root, t.name), seconds: (t.endTime - t.startTime) / 1000, tests: t.assertionResults.length }))
    .sort((a, b) => b.seconds - a.seconds);
  for (const f of files.slice(0, 12)) say(`| ${f.file} | ${f.seconds.toFixed(1)} | ${f.tests} |`);
  const rest = files.slice(12);
  say(`| ${rest.length} other files | ${rest.reduce((a, f) => a + f.seconds, 0).toFixed(1)} | ${rest.reduce((a, f) => a + f.tests, 0)} |`);
  const executedDir = path.join(root, "build", "executed", "notebooks");
  const executed = (await fs.readdir(executedDir).catch(() => [] as string[])).filter((f) => f.endsWith(".ipynb")).sort();
  if (executed.length > 0) {
    say();
    say("| notebook (quick mode, in this run) | cells s |");
    say("|---|---:|");
    let total = 0;
    for (const name of executed) {
      const seconds = cellSeconds(await readNotebook(path.join(executedDir, name)));
      total += seconds;
      say(`| ${name} | ${seconds.toFixed(1)} |`);
    }
    say(`| all | ${total.toFixed(1)} |`);
  }
  const text = lines.join("\n") + "\n";
  await fs.writeFile(path.join(root, "build", "bench", `suite-${project}.md`), text);
  process.stdout.write(text);
  if (report.numFailedTests > 0) process.exitCode = 1;
}

main().catch((error) => {
  console.error(error);
  process.exit(1);
});
