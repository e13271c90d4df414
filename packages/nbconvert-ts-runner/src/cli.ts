/**
 * The command line: `nbconvert-ts-runner [notebooks or globs] [options]` executes notebooks on
 * TypeScript (tslab) kernels, like `jupyter nbconvert --to notebook --execute` or papermill, and
 * reports pass/fail per notebook with each kernel's peak memory. Kernels for the next notebooks
 * start while the current ones run (a warm pool). `runCli` takes a configuration so that a project
 * can wrap it (defaults, options of its own, a check before each notebook, a step after).
 */
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { KernelStartError } from "./kernel";
import { NotebookError, readNotebook, writeFileAtomic, writeNotebook, type Notebook } from "./nbformat";
import { KernelPool } from "./pool";
import { longestFirst } from "./schedule";
import {
  cellName,
  executeNotebook,
  failureReport,
  kernelOptions,
  parseParamValue,
  type NotebookResult,
  type ParamValue,
  type RunEvent,
  type RunOptions,
} from "./runner";
import { ServerKernel } from "./server";
import { expandGlobs, formatDuration, isFolder } from "./util";

const OPTIONS = {
  output: { type: "string", short: "o" },
  "output-dir": { type: "string" },
  inplace: { type: "boolean" },
  timeout: { type: "string" },
  "execution-timeout": { type: "string" },
  "notebook-timeout": { type: "string" },
  "startup-timeout": { type: "string" },
  param: { type: "string", multiple: true },
  "allow-errors": { type: "boolean" },
  junit: { type: "string" },
  jobs: { type: "string", short: "j" },
  cwd: { type: "string" },
  memory: { type: "string" },
  "no-pool": { type: "boolean" },
  server: { type: "string" },
  token: { type: "string" },
  kernel: { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

const OPTIONS_USAGE = `  -o, --output NAME        file name of the executed notebook (one notebook only; .ipynb added)
  --output-dir DIR         where executed notebooks go, keeping paths relative to the current folder
                           (default: beside each input, as NAME.nbconvert.ipynb, like nbconvert)
  --inplace                write each executed notebook over its input
  --timeout S              per-cell timeout in seconds (default 300; alias --execution-timeout)
  --notebook-timeout S     per-notebook timeout in seconds, after the kernel start (default: none)
  --startup-timeout S      give up starting a kernel after S seconds (default 120)
  -p NAME VALUE            inject a parameter after the cell tagged "parameters" (papermill style):
                           VALUE is a TypeScript literal (42, true, "s", [1, 2], {a: 1}), else a string
  -r NAME VALUE            inject a parameter as a raw string
  --param NAME=VALUE       the same as -p NAME VALUE
  --allow-errors           run every cell even after failures (the notebook still fails)
  --junit FILE             also write a JUnit XML report (one test case per notebook)
  -j, --jobs N             notebooks run at a time (default: the number of cores); with more than one,
                           the longest start first, by the timings in their previous executed copies
  --cwd DIR                the kernels' working directory (default: each notebook's folder)
  --memory MB              heap limit of each kernel (node --max-old-space-size)
  --no-pool                start each kernel when its notebook starts (no kernels started ahead)
  --server URL             run on a Jupyter server (REST API + kernel WebSocket) instead of local kernels
  --token TOKEN            the server's token (default: $JUPYTER_TOKEN, or ?token= in the URL)
  --kernel NAME            the server's kernelspec (default: the notebook's kernelspec name)
  -h, --help               this help`;

/** A command's own options and what they add to a run. */
export interface CliConfig {
  /** How the command is called, for the usage line and messages (default nbconvert-ts-runner). */
  program?: string;
  /** The notebooks to run when none is named (default: none, a usage error). */
  defaultPatterns?: string[];
  /** The default --output-dir (default: beside each input as NAME.nbconvert.ipynb). */
  defaultOutputDir?: string;
  /** More parseArgs options, and their usage lines. */
  options?: Record<string, { type: "string" | "boolean"; short?: string; multiple?: boolean }>;
  usage?: string;
  /** Called with all parsed values: what the command's own options add to the run. */
  extend?: (values: Record<string, unknown>) => CliExtension | Promise<CliExtension>;
}

/** What a wrapping command adds to a run. */
export interface CliExtension {
  /** Parameters injected before those of -p/--param. */
  params?: Record<string, ParamValue>;
  /** Why a notebook cannot run (checked before its kernel starts), or null. */
  check?: (file: string, nb: Notebook) => Promise<string | null>;
  /** Changes an executed notebook before it is written. */
  transform?: (nb: Notebook) => Promise<Notebook>;
  /** Runs once after the last notebook. */
  finish?: () => Promise<void>;
}

/** The parsed command line. */
interface Cli {
  patterns: string[];
  jobs: number;
  cellTimeoutMs: number;
  notebookTimeoutMs?: number;
  startupTimeoutMs?: number;
  params: Record<string, ParamValue>;
  allowErrors: boolean;
  inplace: boolean;
  output?: string;
  outputDir?: string;
  cwd?: string;
  maxOldSpaceMb?: number;
  junit?: string;
  pool: boolean;
  server?: { url: string; token?: string; kernelName?: string };
  extension: CliExtension;
}

class UsageError extends Error {}

function positiveNumber(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} needs a positive number, got ${JSON.stringify(text)}`);
  return n;
}

const IDENTIFIER = /^[A-Za-z_$][\w$]*$/;

/**
 * papermill's two-value options (`-p NAME VALUE`, `--parameters NAME VALUE`, `-r NAME VALUE`,
 * `--parameters_raw NAME VALUE`) rewritten as `--param NAME=VALUE` / `--param-raw NAME=VALUE`,
 * which parseArgs reads.
 */
export function papermillParams(argv: string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--") {
      out.push(...argv.slice(i));
      break;
    }
    const raw = a === "-r" || a === "--parameters_raw";
    if (a === "-p" || a === "--parameters" || raw) {
      const name = argv[i + 1];
      const value = argv[i + 2];
      if (name === undefined || value === undefined) throw new UsageError(`${a} needs a NAME and a VALUE`);
      out.push(raw ? "--param-raw" : "--param", `${name}=${value}`);
      i += 2;
    } else out.push(a);
  }
  return out;
}

async function parseCli(argv: string[], config: CliConfig): Promise<Cli | "help"> {
  const { values, positionals } = parseArgs({
    args: papermillParams(argv),
    allowPositionals: true,
    options: { ...OPTIONS, "param-raw": { type: "string", multiple: true }, ...config.options },
  });
  if (values.help) return "help";
  const extension = (await config.extend?.(values)) ?? {};
  const params: Record<string, ParamValue> = { ...extension.params };
  const assignments = [
    ...((values.param as string[] | undefined) ?? []).map((a) => ({ a, raw: false })),
    ...((values["param-raw"] as string[] | undefined) ?? []).map((a) => ({ a, raw: true })),
  ];
  for (const { a, raw } of assignments) {
    const eq = a.indexOf("=");
    const name = a.slice(0, eq);
    if (eq < 0 || !IDENTIFIER.test(name)) {
      throw new UsageError(`a parameter needs NAME=VALUE (or -p NAME VALUE) with NAME an identifier, got ${JSON.stringify(a)}`);
    }
    params[name] = raw ? a.slice(eq + 1) : await parseParamValue(a.slice(eq + 1));
  }
  const patterns = positionals.length > 0 ? positionals : config.defaultPatterns ?? [];
  if (patterns.length === 0) throw new UsageError("no notebook given");
  const output = values.output as string | undefined;
  if (output !== undefined && patterns.length !== 1) throw new UsageError("--output names one executed notebook: give one input notebook");
  if (values.inplace && (output !== undefined || values["output-dir"] !== undefined)) {
    throw new UsageError("--inplace writes over the inputs: leave out --output and --output-dir");
  }
  const timeout = (values.timeout ?? values["execution-timeout"]) as string | undefined;
  const notebookTimeout = positiveNumber(values["notebook-timeout"] as string | undefined, "--notebook-timeout");
  const memory = positiveNumber(values.memory as string | undefined, "--memory");
  const startup = positiveNumber(values["startup-timeout"] as string | undefined, "--startup-timeout");
  const server = values.server as string | undefined;
  const token = (values.token as string | undefined) ?? process.env["JUPYTER_TOKEN"];
  if (!server && (values.token !== undefined || values.kernel !== undefined)) throw new UsageError("--token and --kernel go with --server URL");
  const outputDir = (values["output-dir"] as string | undefined) ?? config.defaultOutputDir;
  const cwd = values.cwd as string | undefined;
  if (cwd !== undefined && !(await isFolder(cwd))) {
    throw new UsageError(`--cwd ${cwd}: no such folder (the kernels' working folder must exist)`);
  }
  return {
    patterns,
    jobs: Math.floor(positiveNumber(values.jobs as string | undefined, "--jobs") ?? availableParallelism()),
    cellTimeoutMs: (positiveNumber(timeout, "--timeout") ?? 300) * 1000,
    ...(notebookTimeout ? { notebookTimeoutMs: notebookTimeout * 1000 } : {}),
    params,
    allowErrors: Boolean(values["allow-errors"]),
    inplace: Boolean(values.inplace),
    ...(output !== undefined ? { output } : {}),
    ...(outputDir !== undefined ? { outputDir } : {}),
    ...(cwd !== undefined ? { cwd } : {}),
    ...(memory ? { maxOldSpaceMb: memory } : {}),
    ...(startup ? { startupTimeoutMs: startup * 1000 } : {}),
    ...(values.junit !== undefined ? { junit: values.junit as string } : {}),
    pool: !values["no-pool"] && !server,
    ...(server ? { server: { url: server, ...(token ? { token } : {}), ...(values.kernel ? { kernelName: values.kernel as string } : {}) } } : {}),
    extension,
  };
}

/**
 * Where the executed copy of `file` goes: over it (--inplace); <output-dir>/<path relative to the
 * current folder> (a path outside it: its file name); beside it as NAME.nbconvert.ipynb; --output
 * renames the file in either folder.
 */
export function outputPath(file: string, cli: { inplace?: boolean; output?: string; outputDir?: string }): string {
  if (cli.inplace) return file;
  const rel = path.relative(process.cwd(), path.resolve(file));
  const inDir = cli.outputDir !== undefined
    ? path.join(cli.outputDir, rel.startsWith("..") || path.isAbsolute(rel) ? path.basename(file) : rel)
    : path.join(path.dirname(file), path.basename(file, ".ipynb") + ".nbconvert.ipynb");
  if (cli.output === undefined) return inDir;
  return path.join(path.dirname(inDir), cli.output.endsWith(".ipynb") ? cli.output : `${cli.output}.ipynb`);
}

/** One notebook's outcome: a run, or a one-line reason it could not run. */
type Outcome = { file: string; result: NotebookResult; output: string } | { file: string; problem: string; ms: number };

/** "312 MB" from kB. */
function megabytes(kb: number): string {
  return `${Math.round(kb / 1024)} MB`;
}

/** Progress on stderr: an updating line on a terminal, plain lines otherwise. */
class Progress {
  private readonly running = new Map<string, { started: number; cell: string; cellStarted: number }>();
  private readonly tty = Boolean(process.stderr.isTTY);
  private timer: NodeJS.Timeout | undefined;
  private done = 0;

  constructor(private readonly total: number) {
    if (this.tty) this.timer = setInterval(() => this.draw(), 250);
  }

  event(file: string, event: RunEvent) {
    const now = Date.now();
    if (event.type === "kernel-starting") this.running.set(file, { started: now, cell: "starting kernel", cellStarted: now });
    const state = this.running.get(file);
    if (!state) return;
    if (event.type === "cell-start") {
      state.cell = `cell ${event.cell.codeNumber}/${event.codeCells}`;
      state.cellStarted = now;
      if (!this.tty) process.stderr.write(`${file}: ${state.cell} started (${formatDuration(now - state.started)})\n`);
    }
  }

  finished(file: string) {
    this.running.delete(file);
    this.done++;
  }

  /** Writes a line (to stdout) without mixing it with the progress line. */
  print(line: string) {
    if (this.tty) process.stderr.write("\r\x1b[K");
    process.stdout.write(line + "\n");
    if (this.tty) this.draw();
  }

  private draw() {
    const now = Date.now();
    const parts = [...this.running].map(([file, s]) => `${path.basename(file)} ${s.cell} ${formatDuration(now - s.cellStarted)}`);
    const line = `[${this.done}/${this.total}] ${parts.join(" | ")}`;
    process.stderr.write("\r\x1b[K" + line.slice(0, (process.stderr.columns ?? 120) - 1));
  }

  stop() {
    clearInterval(this.timer);
    if (this.tty) process.stderr.write("\r\x1b[K");
  }
}

function summaryLine(o: Outcome): string {
  if ("problem" in o) return `FAIL  ${o.file}  ${o.problem}`;
  const r = o.result;
  const ran = r.cells.filter((c) => c.status !== "not-run" && c.status !== "skipped").length;
  const memory = r.peakRssKb !== null ? `  peak ${megabytes(r.peakRssKb)}` : "";
  const what = r.failure ? `  ${cellName(r.failure)}: ${r.failure.status}` : "";
  return `${r.ok ? "PASS" : "FAIL"}  ${o.file}  ${formatDuration(r.durationMs)}  ${ran}/${r.cells.length} cells${memory}${what}`;
}

/** The failure details of an outcome (none for a notebook that could not run: its summary line says why). */
function failureDetails(o: Outcome): string[] {
  return "problem" in o ? [] : failureReport(o.result, o.file);
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}

/** JUnit XML: one test case per notebook (its peak kernel memory as a property). */
export function junitXml(outcomes: Outcome[]): string {
  const seconds = (o: Outcome) => ("problem" in o ? o.ms : o.result.durationMs) / 1000;
  const failed = outcomes.filter((o) => "problem" in o || !o.result.ok).length;
  const total = outcomes.reduce((s, o) => s + seconds(o), 0);
  const cases = outcomes.map((o) => {
    const head = `  <testcase classname="notebooks" name="${xml(o.file)}" time="${seconds(o).toFixed(3)}"`;
    if ("problem" in o) return `${head}>\n    <failure message="${xml(o.problem)}"/>\n  </testcase>`;
    const props = o.result.peakRssKb !== null
      ? `\n    <properties><property name="peak_rss_kb" value="${o.result.peakRssKb}"/></properties>`
      : "";
    if (o.result.ok) return props ? `${head}>${props}\n  </testcase>` : `${head}/>`;
    const f = o.result.failure!;
    const message = `${cellName(f)}: ${f.status}: ${(f.error ?? "").split("\n").find((l) => l.trim()) ?? ""}`;
    return `${head}>${props}\n    <failure message="${xml(message)}">${xml(failureDetails(o).join("\n"))}</failure>\n  </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="notebooks" tests="${outcomes.length}" failures="${failed}" time="${total.toFixed(3)}">\n${cases.join("\n")}\n</testsuite>\n`;
}

/** Runs the command line; resolves with the exit status (0 only if every notebook passed, 2 for a usage error). */
export async function runCli(argv: string[], config: CliConfig = {}): Promise<number> {
  const program = config.program ?? "nbconvert-ts-runner";
  const usage = `usage: ${program} [notebooks or globs] [options]\n` +
    (config.defaultPatterns ? `  (default: ${config.defaultPatterns.join(" ")})\n` : "") +
    OPTIONS_USAGE + (config.usage ? `\n${config.usage}` : "") +
    "\nExit status 0 only if every notebook passed.";
  let parsed: Cli | "help";
  try {
    parsed = await parseCli(argv, config);
  } catch (err) {
    process.stderr.write(`${program}: ${(err as Error).message}\n${usage}\n`);
    return 2;
  }
  if (parsed === "help") {
    process.stdout.write(usage + "\n");
    return 0;
  }
  const cli: Cli = parsed;
  const { files, unmatched } = await expandGlobs(cli.patterns);
  const outcomes: Outcome[] = unmatched.map((p) => ({ file: p, problem: "no notebook matches this pattern", ms: 0 }));
  const progress = new Progress(files.length);
  for (const o of outcomes) progress.print(summaryLine(o));
  const jobs = Math.max(1, Math.min(cli.jobs, files.length));
  const pool = cli.pool ? new KernelPool(jobs) : null;
  const runOptions = (file: string): RunOptions => ({
    path: file,
    ...(cli.cwd ? { cwd: cli.cwd } : {}),
    ...(cli.maxOldSpaceMb ? { maxOldSpaceMb: cli.maxOldSpaceMb } : {}),
    ...(cli.startupTimeoutMs ? { kernelStartTimeoutMs: cli.startupTimeoutMs } : {}),
  });
  // Longest first when several run at a time (schedule.ts); one at a time, the order given.
  const queue = jobs > 1 ? await longestFirst(files, (file) => outputPath(file, cli)) : [...files];

  const runOne = async (file: string): Promise<Outcome> => {
    const started = Date.now();
    try {
      const nb = await readNotebook(file);
      const problem = await cli.extension.check?.(file, nb);
      if (problem) return { file, problem: `cannot run: ${problem}`, ms: 0 };
      const options = runOptions(file);
      const server = cli.server;
      const kernelName = server?.kernelName ?? nb.metadata.kernelspec?.name;
      const result = await executeNotebook(nb, {
        ...options,
        cellTimeoutMs: cli.cellTimeoutMs,
        ...(cli.notebookTimeoutMs ? { notebookTimeoutMs: cli.notebookTimeoutMs } : {}),
        allowErrors: cli.allowErrors,
        params: cli.params,
        ...(server
          ? { kernel: () => ServerKernel.start({ ...server, ...(kernelName ? { kernelName } : {}), ...(cli.startupTimeoutMs ? { startTimeoutMs: cli.startupTimeoutMs } : {}) }) }
          : pool ? { kernel: () => pool.take(kernelOptions(options)) } : {}),
        onProgress: (event) => {
          // The next notebook's kernel starts while this one runs.
          if (event.type === "kernel-ready" && pool && queue.length > 0) pool.prewarm(kernelOptions(runOptions(queue[0]!)));
          progress.event(file, event);
        },
      });
      const output = outputPath(file, cli);
      await writeNotebook(output, cli.extension.transform ? await cli.extension.transform(result.notebook) : result.notebook);
      return { file, result, output };
    } catch (err) {
      const message = err instanceof NotebookError ? err.message.slice(file.length + 2)
        : err instanceof KernelStartError ? `no kernel: ${err.message}` : (err as Error).message;
      return { file, problem: message.split("\n")[0]!, ms: Date.now() - started };
    } finally {
      progress.finished(file);
    }
  };

  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const outcome = await runOne(file);
      outcomes.push(outcome);
      progress.print(summaryLine(outcome));
    }
  };
  try {
    await Promise.all(Array.from({ length: jobs }, worker));
  } finally {
    progress.stop();
    await pool?.close();
    await cli.extension.finish?.();
  }

  const details = outcomes.flatMap(failureDetails);
  if (details.length > 0) process.stdout.write(["", "Failures:", ...details, ""].join("\n") + "\n");
  if (cli.junit) await writeFileAtomic(cli.junit, junitXml(outcomes));
  const failed = outcomes.filter((o) => "problem" in o || !o.result.ok).length;
  const peaks = outcomes.flatMap((o) => ("problem" in o || o.result.peakRssKb === null ? [] : [o.result.peakRssKb]));
  const peak = peaks.length > 0 ? `; largest kernel peak memory ${megabytes(Math.max(...peaks))}` : "";
  process.stdout.write(`${outcomes.length - failed} passed, ${failed} failed${peak}\n`);
  return failed === 0 ? 0 : 1;
}

/** Runs the command line as a program: exits with its status; Ctrl-C kills the kernels (kernel.ts's exit hook). */
export function main(argv: string[] = process.argv.slice(2), config: CliConfig = {}): void {
  process.on("SIGINT", () => process.exit(130));
  process.on("SIGTERM", () => process.exit(143));
  runCli(argv, config).then(
    (code) => process.exit(code),
    (err) => {
      process.stderr.write(`${config.program ?? "nbconvert-ts-runner"}: ${(err as Error).stack ?? String(err)}\n`);
      process.exit(1);
    },
  );
}
