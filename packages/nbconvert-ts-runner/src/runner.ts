/**
 * The runner's core: executes a notebook on a TypeScript (tslab) kernel and returns the executed
 * notebook plus one result per code cell. The command line (cli.ts) builds on it, and so can any tool.
 *
 *   import { executeNotebook, readNotebook } from "nbconvert-ts-runner";
 *   const nb = await readNotebook("notebooks/intro.ipynb");
 *   const run = await executeNotebook(nb, {
 *     path: "notebooks/intro.ipynb",               // for messages; its folder is the default kernel cwd
 *     cwd: "/tmp/sandbox",                         // kernel working directory (default: the notebook's folder)
 *     env: { MY_FLAG: "1" },                       // extra environment for the kernel
 *     maxOldSpaceMb: 2048,                         // kernel heap limit (node --max-old-space-size)
 *     nodeArgs: ["--experimental-permission"],     // more node options for the kernel; tslabDir: another tslab
 *     cellTimeoutMs: 60_000,                       // per cell (default 300 s)
 *     notebookTimeoutMs: 600_000,                  // all cells together, after the kernel start (default none)
 *     allowErrors: true,                           // go on after failing cells (default: stop at the first)
 *     params: { QUICK: true, SEED: 1 },            // injected after the `parameters` cell
 *     kernel: () => pool.take(options),            // where the kernel comes from (default: a new local one)
 *     onProgress: (event) => console.log(event.type),
 *   });
 *   run.ok;          // true when every code cell is "ok" or "skipped"
 *   run.notebook;    // the executed notebook (outputs, execution counts, metadata.execution timings)
 *   run.cells;       // CellResult per code cell: status ok | error | timeout | died | skipped | not-run,
 *                    // error text, execution count, duration, the cell's position in input and output
 *   run.failure;     // the first cell that failed the notebook, if any
 *   run.peakRssKb;   // the kernel process's peak resident memory (local kernels on Linux)
 *
 * Semantics (papermill/nbclient-like): a `parameters`-tagged cell gets an `injected-parameters` cell
 * after it (top of the notebook if none; an existing injected cell is replaced) that assigns each
 * param declared with `let`/`var` there and declares the others with `let`; `raises-exception` cells
 * must fail; `skip-execution` cells are skipped. A failing cell (reply status other than ok) records
 * an `error` output built from the stderr text tslab prints. A timeout kills the kernel; a kernel
 * death (process.exit, crash, out of memory) ends the run; cells after either are "not-run".
 * executeNotebook throws NotebookError (nbformat.ts) only for a notebook it cannot run at all
 * (kernel not TypeScript) and KernelStartError when no kernel starts.
 */
import * as path from "node:path";
import type * as TS from "typescript";
import {
  Kernel,
  KernelDiedError,
  KernelTimeoutError,
  type JupyterMessage,
  type KernelExit,
  type KernelOptions,
  type MessageKernel,
} from "./kernel";
import { formatDuration } from "./util";
import { NotebookError, sourceText, toLines, type Cell, type CodeCell, type Notebook, type Output } from "./nbformat";

/** A parameter value: anything a TypeScript literal can spell (rendered by `tsLiteral`). */
export type ParamValue = string | number | boolean | null | ParamValue[] | { [key: string]: ParamValue };

/** How to run a notebook. Every field is optional. */
export interface RunOptions {
  /** The notebook's file, used in messages and as the default working directory (its folder). */
  path?: string;
  /** The kernel's working directory; default: the folder of `path`, else process.cwd(). */
  cwd?: string;
  /** Extra environment variables for the kernel. */
  env?: Record<string, string>;
  /** Heap limit of the kernel process in MB (node --max-old-space-size). */
  maxOldSpaceMb?: number;
  /** Extra node options for the kernel process (e.g. `--experimental-permission ...`). */
  nodeArgs?: string[];
  /** The tslab package folder to run; default: this project's node_modules/tslab. */
  tslabDir?: string;
  /** Give up starting a local kernel after this long in ms (default 120 000). */
  kernelStartTimeoutMs?: number;
  /** Per-cell timeout in ms (default 300 000). */
  cellTimeoutMs?: number;
  /** Timeout for all cells together in ms, counted once the kernel is ready (default: none; the start has its own limit, kernelStartTimeoutMs). */
  notebookTimeoutMs?: number;
  /** Run every cell even after failures (default false: stop at the first failing cell). */
  allowErrors?: boolean;
  /** Values injected after the `parameters` cell, e.g. `{ QUICK: true }`. */
  params?: Record<string, ParamValue>;
  /**
   * Where the kernel comes from: a function returning a started kernel (e.g. a warm one from a
   * KernelPool, or a Jupyter server's via ServerKernel.start). The run shuts it down at its end.
   * Default: a new local tslab kernel started with cwd, env, maxOldSpaceMb, nodeArgs and tslabDir.
   */
  kernel?: () => Promise<MessageKernel>;
  /** Called as the run progresses. */
  onProgress?: (event: RunEvent) => void;
}

/** Progress of a run. */
export type RunEvent =
  | { type: "kernel-starting" }
  | { type: "kernel-ready"; startMs: number }
  | { type: "cell-start"; cell: CellResult; codeCells: number }
  | { type: "cell-end"; cell: CellResult; codeCells: number };

/**
 * What happened to a code cell:
 * - ok: it ran and succeeded (or, tagged raises-exception, failed as it must);
 * - error: it failed (or, tagged raises-exception, succeeded);
 * - timeout: it exceeded the cell or notebook timeout and the kernel was killed;
 * - died: the kernel process ended while it ran (process.exit, crash, out of memory);
 * - skipped: tagged skip-execution;
 * - not-run: not executed because an earlier cell failed or the kernel is gone (see `error`).
 */
export type CellStatus = "ok" | "error" | "timeout" | "died" | "skipped" | "not-run";

/** The result of one code cell. */
export interface CellResult {
  /** Position among all cells of the executed notebook (0-based). */
  index: number;
  /** Position among all cells of the input notebook (0-based); null for the injected parameters cell. */
  inputIndex: number | null;
  /** Ordinal among the code cells of the executed notebook (1-based), as progress shows it. */
  codeNumber: number;
  /** The cell's nbformat id, if it has one. */
  id?: string;
  status: CellStatus;
  /** For every status but ok and skipped: what went wrong, in words (stderr error text, timeout, exit). */
  error?: string;
  /** Tagged raises-exception: the cell must fail. */
  expectsError: boolean;
  executionCount: number | null;
  /** Wall time from sending the request to the kernel going idle (0 when not run). */
  durationMs: number;
  source: string;
}

/** The result of a run. */
export interface NotebookResult {
  /** True when every code cell is ok or skipped. */
  ok: boolean;
  /** The executed notebook: outputs, execution counts and nbclient-style timing metadata. */
  notebook: Notebook;
  /** One result per code cell, in order (the injected parameters cell included). */
  cells: CellResult[];
  /** The first cell whose status failed the notebook. */
  failure?: CellResult;
  /** Wall time of the whole run, kernel start included. */
  durationMs: number;
  /** Time to start the kernel (spawn to first kernel_info reply), however long ago that was. */
  kernelStartMs: number;
  /** Time this run waited for its kernel (less than kernelStartMs for a kernel started ahead). */
  kernelWaitMs: number;
  /** Peak resident memory of the kernel process in kB (Linux VmHWM), or null when unknown (remote kernels). */
  peakRssKb: number | null;
  /** How the kernel ended when it died or was killed during the run. */
  kernelExit?: KernelExit;
}

const DEFAULT_CELL_TIMEOUT_MS = 300_000;
const INJECTED_TAG = "injected-parameters";

/** The TypeScript literal that spells `value` (JSON, plus NaN and ±Infinity). */
export function tsLiteral(value: ParamValue): string {
  if (typeof value === "number" && !Number.isFinite(value)) return String(value);
  if (Array.isArray(value)) return `[${value.map(tsLiteral).join(", ")}]`;
  if (value !== null && typeof value === "object") {
    return `{ ${Object.entries(value).map(([k, v]) => `${JSON.stringify(k)}: ${tsLiteral(v)}`).join(", ")} }`;
  }
  return JSON.stringify(value);
}

/**
 * The value of a command-line parameter: a TypeScript literal (`42`, `-1e-3`, `true`, `null`, `"s"`,
 * `'s'`, `[1, 2]`, `{ a: 1 }`) gives its value; anything else (e.g. a bare word) is taken as a string.
 */
export async function parseParamValue(text: string): Promise<ParamValue> {
  // Loaded on demand: the compiler takes ~0.3 s to load and only --param needs it.
  const ts = (await import("typescript")).default;
  const file = ts.createSourceFile("param.ts", `(${text});`, ts.ScriptTarget.ES2022, false, ts.ScriptKind.TS);
  const diagnostics = (file as unknown as { parseDiagnostics?: unknown[] }).parseDiagnostics ?? [];
  const statement = file.statements[0];
  if (diagnostics.length > 0 || file.statements.length !== 1 || !statement || !ts.isExpressionStatement(statement)) {
    return text;
  }
  const value = literalValue(ts, (statement.expression as TS.ParenthesizedExpression).expression);
  return value === undefined ? text : value;
}

/** The value of a literal expression, or undefined when it is not a literal. */
function literalValue(ts: typeof TS, node: TS.Expression): ParamValue | undefined {
  if (ts.isStringLiteral(node) || ts.isNoSubstitutionTemplateLiteral(node)) return node.text;
  if (ts.isNumericLiteral(node)) return Number(node.text);
  if (node.kind === ts.SyntaxKind.TrueKeyword) return true;
  if (node.kind === ts.SyntaxKind.FalseKeyword) return false;
  if (node.kind === ts.SyntaxKind.NullKeyword) return null;
  if (ts.isIdentifier(node) && (node.text === "NaN" || node.text === "Infinity")) return Number(node.text);
  if (ts.isPrefixUnaryExpression(node) && (node.operator === ts.SyntaxKind.MinusToken || node.operator === ts.SyntaxKind.PlusToken)) {
    const inner = literalValue(ts, node.operand);
    if (typeof inner !== "number") return undefined;
    return node.operator === ts.SyntaxKind.MinusToken ? -inner : inner;
  }
  if (ts.isArrayLiteralExpression(node)) {
    const items = node.elements.map((e) => literalValue(ts, e));
    return items.every((v) => v !== undefined) ? (items as ParamValue[]) : undefined;
  }
  if (ts.isObjectLiteralExpression(node)) {
    const result: Record<string, ParamValue> = {};
    for (const prop of node.properties) {
      if (!ts.isPropertyAssignment(prop)) return undefined;
      const key = ts.isIdentifier(prop.name) || ts.isStringLiteral(prop.name) || ts.isNumericLiteral(prop.name)
        ? prop.name.text
        : undefined;
      const value = literalValue(ts, prop.initializer);
      if (key === undefined || value === undefined) return undefined;
      result[key] = value;
    }
    return result;
  }
  return undefined;
}

/** Whether the notebook's metadata names a TypeScript kernel; throws NotebookError if it names another. */
export function checkTypeScriptKernel(nb: Notebook, file: string): void {
  const spec = nb.metadata.kernelspec;
  const infoName = typeof nb.metadata.language_info?.name === "string" ? nb.metadata.language_info.name : undefined;
  const language = spec?.language ?? infoName;
  const typescript = language !== undefined
    ? language.toLowerCase() === "typescript"
    : spec === undefined || /tslab|typescript/i.test(spec.name);
  if (!typescript) {
    const which = spec ? `kernel "${spec.name}"${language ? ` (language ${language})` : ""}` : `language ${language}`;
    throw new NotebookError(file, `its ${which} is not TypeScript: the runner only runs tslab notebooks (set metadata.kernelspec to {"name": "tslab", "display_name": "TypeScript", "language": "typescript"})`);
  }
}

function tags(cell: Cell): string[] {
  return Array.isArray(cell.metadata.tags) ? cell.metadata.tags : [];
}

/** The cell that sets `params`: assigns names the parameters cell declares with let/var, declares the rest. */
function injectedParametersCell(params: Record<string, ParamValue>, parametersSource: string): CodeCell {
  const lines = ["// Parameters injected by nbconvert-ts-runner."];
  for (const [name, value] of Object.entries(params)) {
    if (!/^[A-Za-z_$][\w$]*$/.test(name)) {
      throw new Error(`parameter name ${JSON.stringify(name)} is not a TypeScript identifier`);
    }
    const declaredMutable = new RegExp(`\\b(let|var)\\s+(?:[\\w$]+\\s*(?::[^=,;]*)?=[^,;]*,\\s*)*${name.replace("$", "\\$")}\\b`).test(parametersSource);
    lines.push(declaredMutable ? `${name} = ${tsLiteral(value)};` : `let ${name} = ${tsLiteral(value)};`);
  }
  return {
    cell_type: "code",
    id: INJECTED_TAG,
    source: toLines(lines.join("\n")),
    metadata: { tags: [INJECTED_TAG] },
    execution_count: null,
    outputs: [],
  };
}

/**
 * A copy of the notebook ready to run: outputs, execution counts and timings cleared, and the
 * `injected-parameters` cell in place when `params` has any; `inputIndex` maps each cell to its
 * position in `nb` (null for the injected cell).
 */
export function prepareNotebook(nb: Notebook, params?: Record<string, ParamValue>): { nb: Notebook; inputIndex: (number | null)[] } {
  const out: Notebook = structuredClone(nb);
  const inputIndex: (number | null)[] = out.cells.map((_, i) => i);
  if (params && Object.keys(params).length > 0) {
    const old = out.cells.findIndex((c) => tags(c).includes(INJECTED_TAG));
    if (old >= 0) {
      out.cells.splice(old, 1);
      inputIndex.splice(old, 1);
    }
    const at = out.cells.findIndex((c) => c.cell_type === "code" && tags(c).includes("parameters"));
    const cell = injectedParametersCell(params, at >= 0 ? sourceText(out.cells[at].source) : "");
    out.cells.splice(at + 1, 0, cell);
    inputIndex.splice(at + 1, 0, null);
  }
  for (const cell of out.cells) {
    if (cell.cell_type !== "code") continue;
    cell.outputs = [];
    cell.execution_count = null;
    delete cell.metadata.execution;
  }
  return { nb: out, inputIndex };
}

const ERROR_LINE = /^((?:[A-Za-z_$][\w$]*)?(?:Error|Exception))(?::\s?(.*))?$/;

/** The name and value of a failure, from the stderr text tslab prints for it. */
export function parseErrorText(text: string): { ename: string; evalue: string } {
  const lines = text.split("\n");
  for (const line of lines) {
    const m = ERROR_LINE.exec(line);
    if (m) return { ename: m[1], evalue: m[2] ?? "" };
  }
  const first = lines.find((l) => l.trim() !== "") ?? "the cell failed without an error message";
  // tslab's compile errors look like "3:7 - Cannot find name 'x'."
  return /^\d+:\d+ - /.test(first) ? { ename: "CompileError", evalue: first } : { ename: "Error", evalue: first };
}

/** The error text without the stack frames of tslab and node internals. */
function withoutInternalFrames(text: string): string[] {
  return text
    .replace(/\n+$/, "")
    .split("\n")
    .filter((l) => !/^\s+at .*(node_modules[/\\]tslab|node:vm|node:internal|sigintHandlersWrap)/.test(l));
}

/** The error as the report shows it: the "Name: message" line and its stack first, then the code excerpt. */
function reportedError(text: string): string {
  const lines = withoutInternalFrames(text);
  const at = lines.findIndex((l) => ERROR_LINE.test(l));
  const ordered = at > 0 ? [...lines.slice(at), ...lines.slice(0, at)] : lines;
  return ordered.join("\n").trim();
}

/** Records a cell's iopub messages as nbformat outputs, the way nbclient does. */
class OutputRecorder {
  /** Outputs carrying each display_id, across cells, so update_display_data can reach them. */
  private readonly displays = new Map<string, Output[]>();
  private clearOnNext = false;

  constructor(private cell: CodeCell) {}

  setCell(cell: CodeCell) {
    this.cell = cell;
    this.clearOnNext = false;
  }

  handle(msg: JupyterMessage) {
    const c = msg.content;
    const type = msg.header.msg_type;
    if (type === "clear_output") {
      if (c.wait) this.clearOnNext = true;
      else this.cell.outputs = [];
      return;
    }
    if (type === "update_display_data") {
      const id = (c.transient as { display_id?: string } | undefined)?.display_id;
      for (const out of (id && this.displays.get(id)) || []) {
        if (out.output_type === "display_data" || out.output_type === "execute_result") {
          out.data = c.data as Record<string, unknown>;
          out.metadata = (c.metadata as Record<string, unknown>) ?? {};
        }
      }
      return;
    }
    const output = this.toOutput(type, c);
    if (!output) return;
    if (this.clearOnNext) {
      this.cell.outputs = [];
      this.clearOnNext = false;
    }
    const last = this.cell.outputs.at(-1);
    if (output.output_type === "stream" && last?.output_type === "stream" && last.name === output.name) {
      last.text = String(last.text) + String(output.text);
      return;
    }
    this.cell.outputs.push(output);
    const id = (c.transient as { display_id?: string } | undefined)?.display_id;
    if (id && (output.output_type === "display_data" || output.output_type === "execute_result")) {
      this.displays.set(id, [...(this.displays.get(id) ?? []), output]);
    }
  }

  private toOutput(type: string, c: Record<string, unknown>): Output | null {
    switch (type) {
      case "stream":
        return { output_type: "stream", name: c.name === "stderr" ? "stderr" : "stdout", text: String(c.text) };
      case "display_data":
        return { output_type: "display_data", data: c.data as Record<string, unknown>, metadata: (c.metadata as Record<string, unknown>) ?? {} };
      case "execute_result":
        return {
          output_type: "execute_result",
          execution_count: typeof c.execution_count === "number" ? c.execution_count : null,
          data: c.data as Record<string, unknown>,
          metadata: (c.metadata as Record<string, unknown>) ?? {},
        };
      case "error":
        return { output_type: "error", ename: String(c.ename), evalue: String(c.evalue), traceback: (c.traceback as string[]) ?? [] };
      default:
        return null;
    }
  }

  /**
   * The error of the failed cell: the kernel's error output if it sent one, else one built from the
   * cell's last stderr text (which then leaves the stream outputs). Returns the error text.
   */
  recordFailure(): string {
    const outputs = this.cell.outputs;
    const sent = outputs.find((o) => o.output_type === "error");
    if (sent?.output_type === "error") return [`${sent.ename}: ${sent.evalue}`, ...sent.traceback].join("\n");
    const last = outputs.at(-1);
    const text = last?.output_type === "stream" && last.name === "stderr" ? String(last.text) : "";
    if (text) outputs.pop();
    const { ename, evalue } = parseErrorText(text);
    outputs.push({ output_type: "error", ename, evalue, traceback: text ? withoutInternalFrames(text) : [] });
    return text ? reportedError(text) : `${ename}: ${evalue}`;
  }

  /** Streams stored as nbformat stores them (lists of lines). */
  finish() {
    for (const out of this.cell.outputs) if (out.output_type === "stream") out.text = toLines(String(out.text));
  }
}

/** The options of a local kernel for a run: the notebook's folder as cwd unless told otherwise. */
export function kernelOptions(options: RunOptions): KernelOptions {
  return {
    cwd: options.cwd ?? (options.path ? path.dirname(path.resolve(options.path)) : process.cwd()),
    ...(options.env ? { env: options.env } : {}),
    ...(options.maxOldSpaceMb ? { maxOldSpaceMb: options.maxOldSpaceMb } : {}),
    ...(options.nodeArgs ? { nodeArgs: options.nodeArgs } : {}),
    ...(options.tslabDir ? { tslabDir: options.tslabDir } : {}),
    ...(options.kernelStartTimeoutMs ? { startTimeoutMs: options.kernelStartTimeoutMs } : {}),
  };
}

/** Executes a notebook on a fresh tslab kernel. See the module comment for the options and results. */
export async function executeNotebook(input: Notebook, options: RunOptions = {}): Promise<NotebookResult> {
  const started = Date.now();
  const file = options.path ?? "notebook";
  checkTypeScriptKernel(input, file);
  const { nb, inputIndex } = prepareNotebook(input, options.params);
  const cellTimeoutMs = options.cellTimeoutMs ?? DEFAULT_CELL_TIMEOUT_MS;
  const codeCells = nb.cells.flatMap((cell, index) => (cell.cell_type === "code" ? [{ cell, index }] : []));
  const results: CellResult[] = codeCells.map(({ cell, index }, k) => ({
    index,
    inputIndex: inputIndex[index],
    codeNumber: k + 1,
    ...(cell.id ? { id: cell.id } : {}),
    status: "not-run",
    expectsError: tags(cell).includes("raises-exception"),
    executionCount: null,
    durationMs: 0,
    source: sourceText(cell.source),
  }));
  const emit = (event: RunEvent) => options.onProgress?.(event);

  emit({ type: "kernel-starting" });
  const waitStarted = Date.now();
  const kernel = options.kernel ? await options.kernel() : await Kernel.start(kernelOptions(options));
  const kernelWaitMs = Date.now() - waitStarted;
  const deadline = options.notebookTimeoutMs === undefined ? Infinity : Date.now() + options.notebookTimeoutMs;
  const kernelStartMs = kernel.startMs;
  emit({ type: "kernel-ready", startMs: kernelStartMs });
  const info = kernel.info.language_info;
  if (info && typeof info === "object") nb.metadata.language_info = info as Record<string, unknown>;

  let kernelExit: KernelExit | undefined;
  let peakRssKb: number | null = null;
  let stopReason: string | null = null;
  const recorder = new OutputRecorder(codeCells[0]?.cell as CodeCell);
  try {
    for (const [k, { cell }] of codeCells.entries()) {
      const result = results[k];
      const code = cell as CodeCell;
      if (stopReason) {
        result.error = stopReason;
        continue;
      }
      if (tags(cell).includes("skip-execution")) {
        result.status = "skipped";
        continue;
      }
      emit({ type: "cell-start", cell: result, codeCells: codeCells.length });
      recorder.setCell(code);
      const timeoutMs = Math.min(cellTimeoutMs, deadline - Date.now());
      const byNotebook = timeoutMs < cellTimeoutMs;
      const t0 = Date.now();
      try {
        const reply = await kernel.execute(result.source, { timeoutMs: Math.max(0, timeoutMs), onIopub: (m) => recorder.handle(m) });
        code.execution_count = reply.executionCount;
        result.executionCount = reply.executionCount;
        code.metadata.execution = {
          "iopub.status.busy": reply.busyAt,
          "iopub.execute_input": reply.executeInputAt,
          "shell.execute_reply": reply.replyAt,
          "iopub.status.idle": reply.idleAt,
        };
        if (reply.status === "ok") {
          result.status = result.expectsError ? "error" : "ok";
          if (result.expectsError) result.error = "the cell is tagged raises-exception but ran without error";
        } else {
          const text = reply.status === "abort" ? "the kernel kept aborting the request" : recorder.recordFailure();
          result.status = result.expectsError ? "ok" : "error";
          if (!result.expectsError) result.error = text;
        }
      } catch (err) {
        if (err instanceof KernelTimeoutError) {
          const answers = await kernel.heartbeatAnswers();
          result.status = "timeout";
          result.error = `${byNotebook ? `notebook timeout (${formatDuration(options.notebookTimeoutMs!)})` : `cell timeout (${formatDuration(cellTimeoutMs)})`} reached: ` +
            (answers === false ? "the kernel was busy (a long or endless synchronous computation)"
              : answers === true ? "the kernel was waiting (a promise that never settled?)" : "the kernel did not finish the cell") +
            "; kernel stopped";
          kernelExit = await kernel.kill();
          stopReason = "not run: the kernel was stopped after a timeout";
        } else if (err instanceof KernelDiedError) {
          result.status = "died";
          result.error = err.message;
          kernelExit = err.exit;
          stopReason = `not run: the ${err.message.replace(/:.*/, "")}`;
        } else {
          throw err;
        }
      } finally {
        result.durationMs = Date.now() - t0;
        recorder.finish();
      }
      if (result.status !== "ok" && !options.allowErrors && !stopReason) stopReason = "not run: an earlier cell failed";
      emit({ type: "cell-end", cell: result, codeCells: codeCells.length });
    }
  } finally {
    peakRssKb = kernel.peakRssKb();
    if (!kernelExit) await kernel.shutdown();
    else await kernel.kill();
    peakRssKb = kernel.peakRssKb() ?? peakRssKb;
  }
  const failure = results.find((r) => r.status !== "ok" && r.status !== "skipped");
  return {
    ok: failure === undefined,
    notebook: nb,
    cells: results,
    ...(failure ? { failure } : {}),
    durationMs: Date.now() - started,
    kernelStartMs,
    kernelWaitMs,
    peakRssKb,
    ...(kernelExit ? { kernelExit } : {}),
  };
}

/** "cell 4 (code cell 3)" (positions in the input notebook, 1-based), or "the injected parameters cell". */
export function cellName(cell: CellResult): string {
  if (cell.inputIndex === null) return "the injected parameters cell";
  return `cell ${cell.inputIndex + 1} (code cell ${cell.codeNumber})`;
}

/**
 * The failure details of a run, as lines: for each failed cell the notebook, the cell, the first
 * lines of its source and the error. Empty when the run passed.
 */
export function failureReport(result: NotebookResult, file: string): string[] {
  const lines: string[] = [];
  for (const cell of result.cells) {
    if (cell.status === "ok" || cell.status === "skipped" || cell.status === "not-run") continue;
    lines.push(`--- ${file}, ${cellName(cell)}: ${cell.status}`);
    const src = cell.source.split("\n");
    lines.push(...src.slice(0, 4).map((l) => `    | ${l}`), ...(src.length > 4 ? ["    | ..."] : []));
    const error = (cell.error ?? "").split("\n");
    lines.push(...error.slice(0, 12).map((l) => `    ${l}`), ...(error.length > 12 ? ["    ..."] : []));
  }
  return lines;
}
