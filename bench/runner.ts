/**
 * Benchmark (not a test) of nbconvert-ts-runner against Debian's `jupyter nbconvert --to notebook
 * --execute` on the same notebooks with the same kernel: the course's own kernelspec (`npm run lab`'s,
 * i.e. tslab with the runner's kernel preload), registered in a temporary JUPYTER_PATH.
 *
 *   npm run bench:runner -- [--runs 3] [--before DIR] [notebooks...]
 *
 * Measured side by side in one run, median of `runs`, wall time and CPU time (user + system of the
 * tool and its kernels, from /usr/bin/time: the fairer figure on a busy machine):
 * - each notebook alone: `nbconvert-ts-runner NB` (the installed bin) against `jupyter nbconvert NB`;
 * - all notebooks in one command: one at a time, the runner with its warm kernel pool (the next
 *   notebook's kernel starts while the current one runs), the runner with --no-pool, and nbconvert;
 *   and the runner as a user runs it, its default `--jobs` (one notebook per core, pool included).
 * `--before DIR`: also the previous runner, `tsx DIR/scripts/notebooks.ts` (a checkout of the
 * previous main whose node_modules resolve). Default notebooks: the passing fixtures of the runner
 * package and every notebooks/*.ipynb; those with a `parameters` cell run in quick mode (QUICK = true
 * injected into copies under build/bench/, a folder that resolves `reti`).
 */
import { existsSync, promises as fs, readdirSync } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { prepareNotebook, readNotebook, writeNotebook } from "nbconvert-ts-runner";
import { kernelSpec } from "../scripts/lab";
import { libBuildProblem } from "../scripts/lib/command";
import { median, timed, type Sample } from "./command-time";

const root = path.resolve(__dirname, "..");
const NBCONVERT = "/usr/bin/jupyter-nbconvert";
const RUNNER_BIN = path.join(root, "packages", "nbconvert-ts-runner", "bin", "nbconvert-ts-runner.js");
const TSX = path.join(root, "node_modules", "tsx", "dist", "cli.mjs");
const FIXTURES = ["pass", "params", "raises", "skip", "display"].map((n) => `packages/nbconvert-ts-runner/test/fixtures/${n}.ipynb`);
const KERNEL = "reti-bench";

/** Writes the course's kernelspec (tslab + the runner's preload) into a fresh folder; returns the JUPYTER_PATH that finds it. */
async function installKernelspec(): Promise<string> {
  const dir = path.join(os.tmpdir(), `reti-bench-jupyter-${process.pid}`);
  await fs.mkdir(path.join(dir, "kernels", KERNEL), { recursive: true });
  await fs.writeFile(path.join(dir, "kernels", KERNEL, "kernel.json"), JSON.stringify(kernelSpec()));
  return dir;
}

type Tool = "nbconvert" | "runner" | "runner --no-pool" | "runner --jobs cores" | "before";

function command(tool: Tool, files: string[], outDir: string, before?: string): [string, string[]] {
  switch (tool) {
    case "nbconvert":
      return [NBCONVERT, ["--to", "notebook", "--execute", `--ExecutePreprocessor.kernel_name=${KERNEL}`, "--ExecutePreprocessor.timeout=600",
        "--output-dir", path.join(outDir, "nbconvert"), ...files]];
    case "runner":
    case "runner --no-pool":
      return [process.execPath, [RUNNER_BIN, ...files, "--jobs", "1", "--output-dir", path.join(outDir, "runner"), ...(tool === "runner" ? [] : ["--no-pool"])]];
    case "runner --jobs cores":
      return [process.execPath, [RUNNER_BIN, ...files, "--output-dir", path.join(outDir, "runner")]];
    case "before":
      return [process.execPath, [TSX, path.join(before!, "scripts", "notebooks.ts"), ...files, "--jobs", "1", "--output-dir", path.join(outDir, "before")]];
  }
}

async function main() {
  const { values, positionals } = parseArgs({ allowPositionals: true, options: { runs: { type: "string" }, before: { type: "string" } } });
  const runs = Number(values.runs ?? 3);
  const before = values.before ? path.resolve(values.before) : undefined;
  const course = readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort().map((f) => `notebooks/${f}`);
  const inputs = positionals.length > 0 ? positionals : [...FIXTURES, ...course];
  if (!existsSync(NBCONVERT)) throw new Error(`${NBCONVERT} is missing: the reference this bench measures against is Debian's nbconvert (apt-get install jupyter-nbconvert)`);
  const problem = await libBuildProblem(root);
  if (problem && inputs.some((f) => f.startsWith("notebooks/"))) throw new Error(problem);

  const jupyterPath = await installKernelspec();
  const env = { ...process.env, JUPYTER_PATH: jupyterPath };
  const outDir = path.join(root, "build", "bench", "out");
  const files: { input: string; file: string; quick: boolean }[] = [];
  for (const input of inputs) {
    const nb = await readNotebook(path.join(root, input));
    const quick = nb.cells.some((c) => c.metadata.tags?.includes("parameters"));
    // Runner fixtures go beside the course notebooks' copies, so every copy resolves `reti` the same way.
    const file = path.join("build", "bench", input.startsWith("notebooks/") ? input : path.join("fixtures", path.basename(input)));
    await writeNotebook(path.join(root, file), prepareNotebook(nb, quick ? { QUICK: true } : undefined).nb);
    files.push({ input, file, quick });
  }
  const tools: Tool[] = ["nbconvert", "runner", ...(before ? (["before"] as const) : [])];
  const single = new Map<string, Map<Tool, Sample[]>>();
  const batch = new Map<Tool, Sample[]>();
  for (let run = 0; run < runs; run++) {
    for (const { input, file } of files) {
      const row = single.get(input) ?? new Map<Tool, Sample[]>();
      single.set(input, row);
      for (const tool of tools) {
        try {
          const [cmd, args] = command(tool, [file], outDir, before);
          row.set(tool, [...(row.get(tool) ?? []), timed(cmd, args, root, env)]);
        } catch (err) {
          process.stderr.write(`${input} with ${tool}: failed: ${(err as Error).message.split("\n").slice(0, 4).join(" | ")}\n`);
        }
      }
      process.stderr.write(`run ${run + 1}/${runs}: ${input} done\n`);
    }
    for (const group of [files.filter((f) => !f.input.startsWith("notebooks/")), files.filter((f) => f.input.startsWith("notebooks/"))]) {
      if (group.length < 2) continue;
      for (const tool of [...tools, "runner --no-pool", "runner --jobs cores"] as Tool[]) {
        const key = `${tool}|${group[0]!.input.startsWith("notebooks/") ? "course" : "fixtures"}`;
        try {
          const [cmd, args] = command(tool, group.map((f) => f.file), outDir, before);
          batch.set(key as Tool, [...(batch.get(key as Tool) ?? []), timed(cmd, args, root, env)]);
        } catch (err) {
          process.stderr.write(`batch with ${tool}: failed: ${(err as Error).message.split("\n").slice(0, 4).join(" | ")}\n`);
        }
      }
    }
  }
  await fs.rm(jupyterPath, { recursive: true, force: true });

  const s = (x: number) => (Number.isNaN(x) ? "-" : x.toFixed(2));
  const ratio = (a: number, b: number) => (Number.isNaN(a) || Number.isNaN(b) ? "-" : `${(a / b).toFixed(2)}×`);
  const med = (samples: Sample[] | undefined, k: keyof Sample) => median((samples ?? []).map((x) => x[k]));
  console.log(`median of ${runs} runs, ${os.cpus().length} cores, load average ${os.loadavg()[0]!.toFixed(1)}; wall and CPU (user+sys, kernels included) in seconds`);
  const header = ["notebook", "nbconvert wall", "runner wall", "runner/nbconvert wall", "nbconvert CPU", "runner CPU", "runner/nbconvert CPU",
    ...(before ? ["previous runner wall", "previous/nbconvert wall", "previous CPU", "previous/nbconvert CPU"] : [])];
  const rows: string[][] = [];
  for (const { input, quick } of files) {
    const row = single.get(input)!;
    const [nw, rw, bw] = (["nbconvert", "runner", "before"] as Tool[]).map((t) => med(row.get(t), "wall"));
    const [nc, rc, bc] = (["nbconvert", "runner", "before"] as Tool[]).map((t) => med(row.get(t), "cpu"));
    rows.push([input.replace("packages/nbconvert-ts-runner/test/", "") + (quick ? " (quick)" : ""), s(nw!), s(rw!), ratio(rw!, nw!), s(nc!), s(rc!), ratio(rc!, nc!),
      ...(before ? [s(bw!), ratio(bw!, nw!), s(bc!), ratio(bc!, nc!)] : [])]);
  }
  for (const group of ["fixtures", "course"]) {
    const get = (t: string, k: keyof Sample) => med(batch.get(`${t}|${group}` as Tool), k);
    if (Number.isNaN(get("nbconvert", "wall"))) continue;
    for (const tool of ["runner", "runner --no-pool", "runner --jobs cores", ...(before ? ["before"] : [])]) {
      rows.push([`all ${group} in one command: ${tool === "before" ? "previous runner" : tool}`, s(get("nbconvert", "wall")), s(get(tool, "wall")),
        ratio(get(tool, "wall"), get("nbconvert", "wall")), s(get("nbconvert", "cpu")), s(get(tool, "cpu")), ratio(get(tool, "cpu"), get("nbconvert", "cpu")),
        ...(before ? ["", "", "", ""] : [])]);
    }
  }
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i]!.length)));
  const line = (cells: string[]) => "| " + cells.map((c, i) => (i === 0 ? c.padEnd(widths[i]!) : c.padStart(widths[i]!))).join(" | ") + " |";
  console.log(line(header));
  console.log("|" + widths.map((w, i) => (i === 0 ? "-".repeat(w + 2) : "-".repeat(w + 1) + ":")).join("|") + "|");
  for (const r of rows) console.log(line(r));
}

main().catch((err) => {
  console.error((err as Error).message);
  process.exit(1);
});
