/**
 * `npm run notebooks -- [paths or globs] [options]`: executes notebooks headlessly on real tslab
 * kernels (the course's nbconvert --execute / papermill) and reports pass/fail per notebook.
 * The core is scripts/lib/runner.ts; this file is the command line, the progress display and the report.
 */
import { availableParallelism } from "node:os";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { parseArgs } from "node:util";
import { NotebookError, readNotebook, sourceText, writeFileAtomic, writeNotebook, type Notebook } from "./lib/nbformat";
import {
  cellName,
  executeNotebook,
  failureReport,
  libBuildProblem,
  parseParamValue,
  type CellResult,
  type NotebookResult,
  type ParamValue,
  type RunEvent,
} from "./lib/runner";

const USAGE = `usage: npm run notebooks -- [paths or globs] [options]
  (default: notebooks/*.ipynb)
  --jobs N               notebooks run in parallel (default: the number of cores)
  --timeout S            per-cell timeout in seconds (default 300)
  --notebook-timeout S   per-notebook timeout in seconds (default: none)
  --param NAME=VALUE     inject a parameter (a TypeScript literal; other text is a string); repeatable
  --quick                shorthand for --param QUICK=true
  --allow-errors         run every cell even after failures (the notebook still fails)
  --inplace              write the executed notebook over the input instead of build/executed/
  --output-dir DIR       where executed notebooks go (default build/executed), keeping relative paths
  --memory MB            heap limit of each kernel (node --max-old-space-size)
  --junit FILE           also write a JUnit XML report
  --static               add a static PNG to every plot output (reads where scripts don't run; needs Chromium)
Exit status 0 only if every notebook passed.`;

/** The parsed command line. */
interface Cli {
  patterns: string[];
  jobs: number;
  cellTimeoutMs: number;
  notebookTimeoutMs?: number;
  params: Record<string, ParamValue>;
  allowErrors: boolean;
  inplace: boolean;
  outputDir: string;
  maxOldSpaceMb?: number;
  junit?: string;
  static: boolean;
}

class UsageError extends Error {}

function positiveNumber(text: string | undefined, option: string): number | undefined {
  if (text === undefined) return undefined;
  const n = Number(text);
  if (!Number.isFinite(n) || n <= 0) throw new UsageError(`${option} needs a positive number, got ${JSON.stringify(text)}`);
  return n;
}

async function parseCli(argv: string[]): Promise<Cli | "help"> {
  const { values, positionals } = parseArgs({
    args: argv,
    allowPositionals: true,
    options: {
      jobs: { type: "string" },
      timeout: { type: "string" },
      "notebook-timeout": { type: "string" },
      param: { type: "string", multiple: true },
      quick: { type: "boolean" },
      "allow-errors": { type: "boolean" },
      inplace: { type: "boolean" },
      "output-dir": { type: "string" },
      memory: { type: "string" },
      junit: { type: "string" },
      static: { type: "boolean" },
      help: { type: "boolean", short: "h" },
    },
  });
  if (values.help) return "help";
  const params: Record<string, ParamValue> = values.quick ? { QUICK: true } : {};
  for (const assignment of values.param ?? []) {
    const eq = assignment.indexOf("=");
    const name = assignment.slice(0, eq);
    if (eq < 0 || !/^[A-Za-z_$][\w$]*$/.test(name)) {
      throw new UsageError(`--param needs NAME=VALUE with NAME an identifier, got ${JSON.stringify(assignment)}`);
    }
    params[name] = await parseParamValue(assignment.slice(eq + 1));
  }
  const notebookTimeout = positiveNumber(values["notebook-timeout"], "--notebook-timeout");
  return {
    patterns: positionals.length > 0 ? positionals : ["notebooks/*.ipynb"],
    jobs: Math.floor(positiveNumber(values.jobs, "--jobs") ?? availableParallelism()),
    cellTimeoutMs: (positiveNumber(values.timeout, "--timeout") ?? 300) * 1000,
    ...(notebookTimeout ? { notebookTimeoutMs: notebookTimeout * 1000 } : {}),
    params,
    allowErrors: values["allow-errors"] ?? false,
    inplace: values.inplace ?? false,
    outputDir: values["output-dir"] ?? path.join("build", "executed"),
    ...(values.memory ? { maxOldSpaceMb: positiveNumber(values.memory, "--memory") } : {}),
    ...(values.junit ? { junit: values.junit } : {}),
    static: values.static ?? false,
  };
}

/** Files matching a path or a glob (`*`, `?`, `**`), sorted; a plain path is returned as is. */
async function expand(pattern: string): Promise<string[]> {
  if (!/[*?[]/.test(pattern)) return [pattern];
  const parts = pattern.split(/[/\\]/);
  const firstGlob = parts.findIndex((p) => /[*?[]/.test(p));
  const base = parts.slice(0, firstGlob).join("/") || ".";
  const rest = parts.slice(firstGlob).join("/");
  const regex = new RegExp(
    "^" +
      rest
        .replace(/[.+^${}()|\\]/g, "\\$&")
        .replace(/\*\*\//g, "\u0000")
        .replace(/\*\*/g, ".*")
        .replace(/\*/g, "[^/]*")
        .replace(/\?/g, "[^/]")
        .replace(/\u0000/g, "(?:.*/)?") +
      "$",
  );
  let entries: string[];
  try {
    entries = (await fs.readdir(base, { recursive: true })).map((e) => e.split(path.sep).join("/"));
  } catch {
    return [];
  }
  return entries
    .filter((e) => regex.test(e) && !e.split("/").includes(".ipynb_checkpoints"))
    .map((e) => (base === "." ? e : `${base}/${e}`))
    .sort();
}

/** Where the executed copy of `file` goes: <outputDir>/<path relative to the current folder>. */
function outputPath(file: string, cli: Cli): string {
  if (cli.inplace) return file;
  const rel = path.relative(process.cwd(), path.resolve(file));
  return path.join(cli.outputDir, rel.startsWith("..") || path.isAbsolute(rel) ? path.basename(file) : rel);
}

/** One notebook's outcome: a run, or a one-line reason it could not run. */
type Outcome = { file: string; result: NotebookResult; output: string } | { file: string; problem: string; seconds: number };

function seconds(ms: number): string {
  return `${(ms / 1000).toFixed(1)} s`;
}

function usesLib(nb: Notebook): boolean {
  return nb.cells.some((c) => c.cell_type === "code" && /\bfrom\s+["']reti["']|require\(\s*["']reti["']\s*\)/.test(sourceText(c.source)));
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
      if (!this.tty) process.stderr.write(`${file}: ${state.cell} started (${seconds(now - state.started)})\n`);
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
    const parts = [...this.running].map(([file, s]) => `${path.basename(file)} ${s.cell} ${seconds(now - s.cellStarted)}`);
    const line = `[${this.done}/${this.total}] ${parts.join(" | ")}`;
    process.stderr.write("\r\x1b[K" + line.slice(0, (process.stderr.columns ?? 120) - 1));
  }

  stop() {
    clearInterval(this.timer);
    if (this.tty) process.stderr.write("\r\x1b[K");
  }
}

async function runOne(file: string, cli: Cli, progress: Progress): Promise<Outcome> {
  const started = Date.now();
  try {
    const nb = await readNotebook(file);
    if (usesLib(nb)) {
      const problem = await libBuildProblem();
      if (problem) return { file, problem: `cannot run: ${problem}`, seconds: 0 };
    }
    const result = await executeNotebook(nb, {
      path: file,
      cellTimeoutMs: cli.cellTimeoutMs,
      ...(cli.notebookTimeoutMs ? { notebookTimeoutMs: cli.notebookTimeoutMs } : {}),
      ...(cli.maxOldSpaceMb ? { maxOldSpaceMb: cli.maxOldSpaceMb } : {}),
      allowErrors: cli.allowErrors,
      params: cli.params,
      onProgress: (event) => progress.event(file, event),
    });
    const output = outputPath(file, cli);
    // Loaded on demand: the renderer (Chromium, playwright) takes ~0.5 s to load and only --static needs it.
    await writeNotebook(output, cli.static ? await (await import("./lib/figures")).withStaticImages(result.notebook) : result.notebook);
    return { file, result, output };
  } catch (err) {
    const message = err instanceof NotebookError ? err.message.slice(file.length + 2) : (err as Error).message;
    return { file, problem: message.split("\n")[0], seconds: (Date.now() - started) / 1000 };
  } finally {
    progress.finished(file);
  }
}

function summaryLine(o: Outcome): string {
  if ("problem" in o) return `FAIL  ${o.file}  ${o.problem}`;
  const r = o.result;
  const ran = r.cells.filter((c) => c.status !== "not-run" && c.status !== "skipped").length;
  const what = r.failure ? `  ${cellName(r.failure)}: ${r.failure.status}` : "";
  return `${r.ok ? "PASS" : "FAIL"}  ${o.file}  ${seconds(r.durationMs)}  ${ran}/${r.cells.length} cells${what}`;
}

/** The failure details of an outcome (none for a notebook that could not run: its summary line says why). */
function failureDetails(o: Outcome): string[] {
  return "problem" in o ? [] : failureReport(o.result, o.file);
}

function xml(text: string): string {
  return text.replace(/[<>&"']/g, (c) => `&#${c.charCodeAt(0)};`).replace(/[\u0000-\u0008\u000b\u000c\u000e-\u001f]/g, "");
}

/** JUnit XML: one test case per notebook. */
function junitXml(outcomes: Outcome[]): string {
  const failed = outcomes.filter((o) => "problem" in o || !o.result.ok).length;
  const total = outcomes.reduce((s, o) => s + ("problem" in o ? o.seconds : o.result.durationMs / 1000), 0);
  const cases = outcomes.map((o) => {
    const time = "problem" in o ? o.seconds : o.result.durationMs / 1000;
    const head = `  <testcase classname="notebooks" name="${xml(o.file)}" time="${time.toFixed(3)}"`;
    if ("problem" in o) return `${head}>\n    <failure message="${xml(o.problem)}"/>\n  </testcase>`;
    if (o.result.ok) return `${head}/>`;
    const f = o.result.failure!;
    const message = `${cellName(f)}: ${f.status}: ${(f.error ?? "").split("\n").find((l) => l.trim()) ?? ""}`;
    return `${head}>\n    <failure message="${xml(message)}">${xml(failureDetails(o).join("\n"))}</failure>\n  </testcase>`;
  });
  return `<?xml version="1.0" encoding="UTF-8"?>\n<testsuite name="notebooks" tests="${outcomes.length}" failures="${failed}" time="${total.toFixed(3)}">\n${cases.join("\n")}\n</testsuite>\n`;
}

async function main(argv: string[]): Promise<number> {
  let parsed: Cli | "help";
  try {
    parsed = await parseCli(argv);
  } catch (err) {
    process.stderr.write(`notebooks: ${(err as Error).message}\n${USAGE}\n`);
    return 2;
  }
  if (parsed === "help") {
    process.stdout.write(USAGE + "\n");
    return 0;
  }
  const cli: Cli = parsed;
  const files: string[] = [];
  const outcomes: Outcome[] = [];
  for (const pattern of cli.patterns) {
    const matched = await expand(pattern);
    if (matched.length === 0) outcomes.push({ file: pattern, problem: "no notebook matches this pattern", seconds: 0 });
    for (const f of matched) if (!files.includes(f)) files.push(f);
  }
  const progress = new Progress(files.length);
  for (const o of outcomes) progress.print(summaryLine(o));
  const queue = [...files];
  const worker = async () => {
    for (let file = queue.shift(); file !== undefined; file = queue.shift()) {
      const outcome = await runOne(file, cli, progress);
      outcomes.push(outcome);
      progress.print(summaryLine(outcome));
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(cli.jobs, files.length)) }, worker));
  progress.stop();
  if (cli.static) await (await import("./lib/render")).closeSharedRenderer();

  const details = outcomes.flatMap(failureDetails);
  if (details.length > 0) process.stdout.write(["", "Failures:", ...details, ""].join("\n") + "\n");
  if (cli.junit) await writeFileAtomic(cli.junit, junitXml(outcomes));
  const failed = outcomes.filter((o) => "problem" in o || !o.result.ok).length;
  process.stdout.write(`${outcomes.length - failed} passed, ${failed} failed\n`);
  return failed === 0 ? 0 : 1;
}

// Exiting runs kernel.ts's exit hook, which kills the kernels still running.
process.on("SIGINT", () => process.exit(130));
process.on("SIGTERM", () => process.exit(143));

main(process.argv.slice(2)).then(
  (code) => process.exit(code),
  (err) => {
    process.stderr.write(`notebooks: ${(err as Error).stack ?? String(err)}\n`);
    process.exit(1);
  },
);
