/**
 * Autograding: `npm run grade -- <submissions folder> [--notebooks DIR] [--out DIR] [--full]
 * [--cell-timeout S] [--memory MB]`. The folder holds one sub-folder per student with their
 * notebook(s) (found by file name, at any depth). Writes build/grades/grades.csv (student, exercise,
 * points, max), summary.csv (one row per exercise), feedback/<student>.md and executed/ (the graded
 * runs, for the instructor only). Serves every lecture's exercises.
 *
 * How a submission is graded, and why it cannot award itself points:
 * - Restored: only its solution cells are taken (matched by grade_id); every other cell, hidden
 *   tests included, comes from the instructor's source (exercises.ts restoreSubmission).
 * - Screened: a solution cell that reaches outside its exercise (process, require, globalThis,
 *   eval, prototypes, assignments to names it does not declare, other imports, redefinitions of
 *   notebook names such as `check`) is replaced by its stub and the feedback says why
 *   (exercises.ts screenSolution).
 * - Hardened: a first cell, run before any student code, freezes the check module and the
 *   intrinsics checks rely on (Math, JSON, Object, Array, Number, String and their prototypes).
 *   Each graded cell first re-imports the names it uses (e.g. `check`) from their modules.
 * - Scored by the kernel, not by text: a graded cell earns its points only if the kernel's reply
 *   status is ok AND the cell printed a per-run secret token that the grader appended as its last
 *   statement (so a cell that did not run to its end, a dead kernel, or a forged "✓" earns nothing).
 * - Isolated: each submission runs in a fresh folder under a runtime copy of node_modules
 *   (hard links; the `reti` workspace link replaced by a real folder, so no link leads back to the
 *   project) holding only its restored notebook; HOME and TMPDIR point there; per-cell time and
 *   memory limits; the kernel is asked to run under Node's permission model (reads limited to the
 *   runtime folder, no writes, no child processes, no code generation from strings). tslab, tfjs
 *   (wasm) and nodejs-polars work under it; zeromq needs --allow-addons, so native code could still
 *   bypass it (Node's documented limit, like symbolic links, which is why the runtime has none
 *   leading out). Environment variables other than PATH, LANG, LC_ALL, TZ and RETI_BACKEND are blanked.
 */
import { execFile } from "node:child_process";
import { randomBytes } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { promisify } from "node:util";
import pl from "nodejs-polars";
import {
  findExercises,
  hasExercises,
  makeStudentNotebook,
  nbgraderOf,
  notDoneMessage,
  reimportsFor,
  restoreSubmission,
  screenSolution,
  solutionContext,
} from "./lib/exercises";
import { NotebookError, readNotebook, sourceText, toLines, writeNotebook, type Cell, type Notebook } from "nbconvert-ts-runner";
import { executeNotebook, parseErrorText, type CellResult, type NotebookResult, type RunOptions } from "nbconvert-ts-runner";

const projectRoot = path.resolve(__dirname, "..");

/** Grading settings. */
export interface GradeOptions {
  /** Folder of the instructor's source notebooks (default notebooks/). */
  notebooksDir?: string;
  /** Where grades.csv, summary.csv, feedback/ and executed/ go (default build/grades). */
  outDir?: string;
  /** Where the kernel runtime and the per-submission folders are made (default build/grading). */
  runtimeDir?: string;
  /** Per-cell time limit (default 120 s). */
  cellTimeoutMs?: number;
  /** Time limit for a whole notebook (default 20 min). */
  notebookTimeoutMs?: number;
  /** Kernel heap limit in MB (default 2048). */
  maxOldSpaceMb?: number;
  /** Run in quick mode (QUICK = true; default true). */
  quick?: boolean;
  /**
   * Screen solution cells before running them (default true). Turn it off only to test the other
   * layers of the grader's defences.
   */
  screen?: boolean;
  /** Progress messages (default: none). */
  log?: (line: string) => void;
}

/** One row of grades.csv, with the feedback line behind it. */
export interface ExerciseGrade {
  student: string;
  notebook: string;
  exercise: string;
  points: number;
  max: number;
  /** "passed", or why the check failed (the check's message, never the test code). */
  feedback: string;
}

/** Everything a grading run produced. */
export interface GradeRun {
  grades: ExerciseGrade[];
  /** Per student: the markdown feedback written to feedback/<student>.md. */
  feedback: Map<string, string>;
  /** Whether the kernel's file access was restricted by Node's permission model in every run. */
  fsRestricted: boolean;
}

const exec = promisify(execFile);

/**
 * The kernel runtime: node_modules hard-linked into `dir`, with the `reti` workspace link replaced by
 * a real folder (so no symbolic link leads from the runtime back into the project, which Node's
 * permission model would follow). Throws if any other link leads outside.
 */
export async function prepareRuntime(dir: string): Promise<void> {
  await fs.rm(dir, { recursive: true, force: true });
  await fs.mkdir(path.join(dir, "work"), { recursive: true });
  const modules = path.join(dir, "node_modules");
  await exec("cp", ["-a", "-l", path.join(projectRoot, "node_modules"), modules]);
  const reti = path.join(modules, "reti");
  await fs.rm(reti, { force: true });
  // The runner package's workspace link: the kernel needs none of it (the runner lets it read its preload).
  await fs.rm(path.join(modules, "nbconvert-ts-runner"), { force: true });
  await fs.mkdir(reti);
  await exec("cp", ["-a", "-l", path.join(projectRoot, "lib", "dist"), path.join(reti, "dist")]);
  await fs.link(path.join(projectRoot, "lib", "package.json"), path.join(reti, "package.json"));
  const { stdout } = await exec("find", [modules, "-type", "l"], { maxBuffer: 16 << 20 });
  for (const link of stdout.split("\n").filter(Boolean)) {
    const target = path.resolve(path.dirname(link), await fs.readlink(link));
    if (!target.startsWith(modules + path.sep)) {
      throw new Error(`grade: ${link} links to ${target}, outside the grading runtime: the kernel could read the project through it`);
    }
  }
}

/** Environment variables the kernel keeps; every other one is blanked (the runner adds to this process's environment). */
const KEPT_ENV = new Set(["PATH", "LANG", "LC_ALL", "TZ", "RETI_BACKEND"]);

/** This process's environment variables, other than KEPT_ENV, set to "" so student code does not see the instructor's. */
function scrubbedEnv(): Record<string, string> {
  return Object.fromEntries(Object.keys(process.env).filter((k) => !KEPT_ENV.has(k)).map((k) => [k, ""]));
}

/** Node flags for the kernel: the permission model limited to the runtime folder. */
export function kernelNodeArgs(runtimeDir: string): string[] {
  return [
    "--experimental-permission",
    "--allow-addons", // zeromq (the kernel's own sockets) is a native addon
    `--allow-fs-read=${runtimeDir}${path.sep}`,
    "--allow-fs-read=/etc/alpine-release", // zeromq's loader probes it
    `--allow-fs-read=${path.join(os.tmpdir(), `reti-kernel-${process.pid}-`)}*`, // its connection file (kernel.ts names it so)
    "--disallow-code-generation-from-strings",
  ];
}

/** The grader's first cell: freezes what checks rely on, then reports whether file access is restricted. */
export function hardeningCell(token: string): Cell {
  const code = [
    "// Added by the grader: runs before any student code.",
    "{",
    "  const req = require as NodeRequire;",
    '  req("reti");',
    "  for (const [file, mod] of Object.entries(req.cache)) {",
    "    if (/[\\\\/]node_modules[\\\\/]reti[\\\\/]dist[\\\\/]/.test(file) && mod) Object.freeze(mod.exports);",
    "  }",
    "  for (const o of [Math, JSON, Reflect, Object, Array, Number, String, Boolean, Array.prototype, Number.prototype, String.prototype, Boolean.prototype]) Object.freeze(o);",
    "  let fsRestricted = false;",
    '  try { req("fs").readFileSync("/etc/passwd"); } catch (e) { fsRestricted = (e as { code?: string }).code === "ERR_ACCESS_DENIED"; }',
    `  console.log(${JSON.stringify(token)} + JSON.stringify({ fsRestricted }));`,
    "}",
  ].join("\n");
  return { cell_type: "code", source: toLines(code), metadata: { grader: "hardening" }, execution_count: null, outputs: [] };
}

function stdoutOf(nb: Notebook, index: number): string {
  const cell = nb.cells[index];
  if (cell?.cell_type !== "code") return "";
  return cell.outputs.map((o) => (o.output_type === "stream" && o.name === "stdout" ? sourceText(o.text) : "")).join("");
}

/** Why a graded cell earned nothing, in words for the student: the check's message, never the test code. */
export function failureFeedback(cell: CellResult | undefined, cellTimeoutMs: number): string {
  if (!cell) return "not run";
  const text = cell.error ?? "";
  if (text.includes(notDoneMessage(""))) return `not done yet: ${/exercise not done yet: ([^\s"']+)/.exec(text)?.[1] ?? "a solution"} still has the stub`;
  switch (cell.status) {
    case "timeout":
      return `stopped: the run took longer than the limit (${cellTimeoutMs / 1000} s per cell) — look for an endless loop`;
    case "died":
      return `the kernel stopped while the tests ran (${/out of memory|heap/i.test(text) ? "out of memory" : "the process ended"})`;
    case "not-run":
      return "not run: the kernel had stopped before this test (see the first failure above)";
    case "ok":
      return "the test did not run to its end";
    default: {
      const { ename, evalue } = parseErrorText(text);
      return ename === "CompileError" ? `does not compile: ${evalue}` : `${ename}: ${evalue}`;
    }
  }
}

/** One notebook of one student, graded. */
export interface NotebookGrade {
  grades: ExerciseGrade[];
  /** What the student should know beyond the grades (restored cells, refused solutions, reruns). */
  notes: string[];
  /** Whether the kernel's file access was restricted (undefined: no kernel ran). */
  fsRestricted: boolean | undefined;
  /** The first kernel run; its notebook starts with the grader's hardening cell (input index 0). */
  firstRun?: NotebookResult;
}

/** The notebook the kernel runs: the hardening cell, then the restored notebook with each graded cell re-importing what it uses and ending with its token. */
function runnable(source: Notebook, restored: Notebook, statusToken: string, tokens: Map<number, string>): Notebook {
  const cells = restored.cells.map((cell, i) => {
    const token = tokens.get(i);
    if (token === undefined) return cell;
    const code = sourceText(cell.source);
    return { ...cell, source: toLines(`${reimportsFor(source, code)}\n${code}\n;console.log(${JSON.stringify(token)});`) };
  });
  return { ...restored, cells: [hardeningCell(statusToken), ...cells] };
}

/**
 * Grades one student's notebook (a file, or already read) for one source notebook, in a folder of its own under the runtime
 * (see withRuntime). When a solution stops the kernel (timeout, out of memory, exit), the graded
 * cells that ran before keep their result, that solution cell is replaced by its stub, and the rest
 * is run again: a submission gets zero only for what it broke.
 */
export async function gradeNotebook(
  student: string,
  sourceFile: string,
  source: Notebook,
  submitted: string | Notebook | undefined,
  opts: ResolvedOptions,
): Promise<NotebookGrade> {
  const name = path.basename(sourceFile);
  const ex = findExercises(source);
  const grade = (g: { gradeId: string; points: number }, points: number, feedback: string): ExerciseGrade =>
    ({ student, notebook: name, exercise: g.gradeId, points, max: g.points, feedback });
  if (!submitted) return { grades: ex.graded.map((g) => grade(g, 0, `${name} was not submitted`)), notes: [], fsRestricted: undefined };
  let submission: Notebook;
  try {
    submission = typeof submitted === "string" ? await readNotebook(submitted) : submitted;
  } catch (err) {
    const why = err instanceof NotebookError ? err.message.replace(String(submitted), name) : String(err);
    return { grades: ex.graded.map((g) => grade(g, 0, `your notebook could not be read: ${why}`)), notes: [], fsRestricted: undefined };
  }
  const { notebook: restored, notes } = restoreSubmission(source, submission);
  const stubs = makeStudentNotebook(source);
  const stub = (index: number) => {
    restored.cells[index] = { ...restored.cells[index]!, source: stubs.cells[index]!.source };
  };
  if (opts.screen) {
    const { outerNames, allowedModules } = solutionContext(source);
    for (const s of ex.solutions) {
      const found = screenSolution(sourceText(restored.cells[s.index]!.source), outerNames, allowedModules);
      if (found.length > 0) {
        stub(s.index);
        notes.push(`solution cell ${s.gradeId} was not run (graded as not done): ${found.join("; ")}`);
      }
    }
  }
  const results = new Map<number, ExerciseGrade>();
  let fsRestricted: boolean | undefined;
  let firstRun: NotebookResult | undefined;
  const sandbox = await fs.mkdtemp(path.join(opts.runtimeDir, "work", "submission-"));
  try {
    const nbFile = path.join(sandbox, name);
    await writeNotebook(nbFile, restored);
    for (let attempt = 1; results.size < ex.graded.length; attempt++) {
      const statusToken = `grader-${randomBytes(16).toString("hex")}:`;
      const tokens = new Map(ex.graded.map((g) => [g.index, `passed-${randomBytes(16).toString("hex")}`]));
      const runOptions: RunOptions = {
        path: nbFile,
        cwd: sandbox,
        env: { ...scrubbedEnv(), HOME: sandbox, TMPDIR: sandbox, USERPROFILE: sandbox },
        maxOldSpaceMb: opts.maxOldSpaceMb,
        cellTimeoutMs: opts.cellTimeoutMs,
        notebookTimeoutMs: opts.notebookTimeoutMs,
        allowErrors: true,
        params: opts.quick ? { QUICK: true } : {},
        nodeArgs: kernelNodeArgs(opts.runtimeDir),
        tslabDir: path.join(opts.runtimeDir, "node_modules", "tslab"),
      };
      const started = Date.now();
      const result = await executeNotebook(runnable(source, restored, statusToken, tokens), runOptions);
      opts.log(`  ${student}/${name}: run ${attempt} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
      if (attempt === 1) {
        firstRun = result;
        await writeNotebook(path.join(opts.outDir, "executed", student, name), result.notebook);
      }
      // Input index i of `restored` is i + 1 in the run (the hardening cell comes first).
      const byInput = new Map(result.cells.filter((c) => c.inputIndex !== null).map((c) => [c.inputIndex! - 1, c]));
      const status = new RegExp(`${statusToken}(\\{.*\\})`).exec(stdoutOf(result.notebook, byInput.get(-1)?.index ?? -1));
      if (status && fsRestricted === undefined) fsRestricted = (JSON.parse(status[1]!) as { fsRestricted: boolean }).fsRestricted;
      for (const g of ex.graded) {
        const cell = byInput.get(g.index);
        if (results.has(g.index) || !cell || cell.status === "not-run") continue;
        const passed = cell.status === "ok" && stdoutOf(result.notebook, cell.index).includes(tokens.get(g.index)!);
        results.set(g.index, grade(g, passed ? g.points : 0, passed ? "passed" : failureFeedback(cell, opts.cellTimeoutMs)));
      }
      const broke = result.cells.find((c) => c.status === "timeout" || c.status === "died");
      if (!broke || broke.inputIndex === null) break;
      const culprit = [...ex.solutions].reverse().find((s) => s.index <= broke.inputIndex! - 1 && sourceText(restored.cells[s.index]!.source) !== sourceText(stubs.cells[s.index]!.source));
      if (!culprit) break;
      stub(culprit.index);
      notes.push(`solution cell ${culprit.gradeId} stopped the kernel (${failureFeedback(broke, opts.cellTimeoutMs)}): it was graded as not done and the rest was run again without it`);
    }
    const grades = ex.graded.map((g) => results.get(g.index) ?? grade(g, 0, failureFeedback(undefined, opts.cellTimeoutMs)));
    return { grades, notes, fsRestricted, firstRun };
  } finally {
    await fs.rm(sandbox, { recursive: true, force: true });
  }
}

async function findFile(dir: string, name: string): Promise<string | undefined> {
  const entries = await fs.readdir(dir, { withFileTypes: true });
  const hit = entries.find((e) => e.isFile() && e.name === name);
  if (hit) return path.join(dir, hit.name);
  for (const e of entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).sort((a, b) => a.name.localeCompare(b.name))) {
    const found = await findFile(path.join(dir, e.name), name);
    if (found) return found;
  }
  return undefined;
}

function feedbackMarkdown(student: string, grades: ExerciseGrade[], notes: string[]): string {
  const total = grades.reduce((s, g) => s + g.points, 0);
  const max = grades.reduce((s, g) => s + g.max, 0);
  const lines = [`# Feedback for ${student}`, "", `Total: ${total} / ${max}`, "", "| notebook | exercise | points | |", "|---|---|---|---|"];
  for (const g of grades) lines.push(`| ${g.notebook} | ${g.exercise} | ${g.points} / ${g.max} | ${g.feedback.replace(/\|/g, "\\|").replace(/\n/g, " ")} |`);
  if (notes.length > 0) lines.push("", "Notes:", ...notes.map((n) => `- ${n}`));
  return lines.join("\n") + "\n";
}

/** Grading settings with every default filled in. */
export type ResolvedOptions = Required<Omit<GradeOptions, "log">> & { log: (line: string) => void };

/** The settings with their defaults. */
export function resolveOptions(options: GradeOptions = {}): ResolvedOptions {
  return {
    notebooksDir: path.resolve(options.notebooksDir ?? "notebooks"),
    outDir: path.resolve(options.outDir ?? "build/grades"),
    runtimeDir: path.resolve(options.runtimeDir ?? "build/grading"),
    cellTimeoutMs: options.cellTimeoutMs ?? 120_000,
    notebookTimeoutMs: options.notebookTimeoutMs ?? 20 * 60_000,
    maxOldSpaceMb: options.maxOldSpaceMb ?? 2048,
    quick: options.quick ?? true,
    screen: options.screen ?? true,
    log: options.log ?? (() => undefined),
  };
}

/** Runs `fn` with a fresh kernel runtime (prepareRuntime), removed afterwards. */
export async function withRuntime<T>(opts: ResolvedOptions, fn: () => Promise<T>): Promise<T> {
  await prepareRuntime(opts.runtimeDir);
  try {
    return await fn();
  } finally {
    await fs.rm(opts.runtimeDir, { recursive: true, force: true });
  }
}

/** Grades every student folder in `submissionsDir` against every source notebook with exercises. */
export async function gradeSubmissions(submissionsDir: string, options: GradeOptions = {}): Promise<GradeRun> {
  const opts = resolveOptions(options);
  const inside = (a: string, b: string) => a === b || a.startsWith(b + path.sep);
  for (const [what, dir] of [["submissions", path.resolve(submissionsDir)], ["notebooks", opts.notebooksDir], ["output", opts.outDir]] as const) {
    if (inside(dir, opts.runtimeDir) || inside(opts.runtimeDir, dir)) throw new Error(`grade: the ${what} folder ${dir} overlaps the grading runtime ${opts.runtimeDir}: use separate folders`);
  }
  const sources: { file: string; nb: Notebook }[] = [];
  for (const f of (await fs.readdir(opts.notebooksDir)).filter((f) => f.endsWith(".ipynb")).sort()) {
    const nb = await readNotebook(path.join(opts.notebooksDir, f));
    if (hasExercises(nb)) sources.push({ file: path.join(opts.notebooksDir, f), nb });
  }
  if (sources.length === 0) throw new Error(`grade: no notebook with exercises in ${opts.notebooksDir}`);
  const entries = await fs.readdir(submissionsDir, { withFileTypes: true }).catch(() => {
    throw new Error(`grade: cannot read the submissions folder ${submissionsDir}: give a folder holding one sub-folder per student`);
  });
  const students = entries
    .filter((e) => e.isDirectory() && !e.name.startsWith("."))
    .map((e) => e.name)
    .sort();
  if (students.length === 0) throw new Error(`grade: ${submissionsDir} has no student folders (expected one sub-folder per student)`);
  for (const old of ["feedback", "executed", "grades.csv", "summary.csv"]) await fs.rm(path.join(opts.outDir, old), { recursive: true, force: true });
  await fs.mkdir(opts.outDir, { recursive: true });
  const grades: ExerciseGrade[] = [];
  const feedback = new Map<string, string>();
  let fsRestricted = true;
  await withRuntime(opts, async () => {
    for (const student of students) {
      opts.log(`grading ${student}`);
      const mine: ExerciseGrade[] = [];
      const notes: string[] = [];
      for (const { file, nb } of sources) {
        const submitted = await findFile(path.join(submissionsDir, student), path.basename(file));
        const r = await gradeNotebook(student, file, nb, submitted, opts);
        mine.push(...r.grades);
        notes.push(...r.notes.map((n) => `${path.basename(file)}: ${n}`));
        if (r.fsRestricted === false) fsRestricted = false;
      }
      grades.push(...mine);
      const md = feedbackMarkdown(student, mine, notes);
      feedback.set(student, md);
      await fs.mkdir(path.join(opts.outDir, "feedback"), { recursive: true });
      await fs.writeFile(path.join(opts.outDir, "feedback", `${student}.md`), md);
    }
  });
  const df = pl.DataFrame({
    student: grades.map((g) => g.student),
    exercise: grades.map((g) => g.exercise),
    points: grades.map((g) => g.points),
    max: grades.map((g) => g.max),
  });
  df.writeCSV(path.join(opts.outDir, "grades.csv"));
  summaryTable(df).writeCSV(path.join(opts.outDir, "summary.csv"));
  return { grades, feedback, fsRestricted };
}

/** Per exercise: its max, the mean points, and how many students got full marks and zero. */
export function summaryTable(grades: pl.DataFrame): pl.DataFrame {
  return grades
    .groupBy("exercise")
    .agg(
      pl.col("max").first().alias("max"),
      pl.col("points").mean().round(2).alias("mean"),
      pl.col("points").eq(pl.col("max")).sum().alias("full_marks"),
      pl.col("points").eq(0).sum().alias("zero"),
      pl.col("student").count().alias("students"),
    )
    .sort("exercise");
}

function parseArgs(argv: string[]): { dir?: string; options: GradeOptions; error?: string } {
  const options: GradeOptions = { log: (l) => console.log(l) };
  let dir: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const value = () => {
      const v = argv[++i];
      if (v === undefined) throw new Error(`${a} needs a value`);
      return v;
    };
    const number = () => {
      const v = Number(value());
      if (!(v > 0)) throw new Error(`${a} needs a positive number`);
      return v;
    };
    if (a === "--notebooks") options.notebooksDir = value();
    else if (a === "--out") options.outDir = value();
    else if (a === "--full") options.quick = false;
    else if (a === "--cell-timeout") options.cellTimeoutMs = number() * 1000;
    else if (a === "--memory") options.maxOldSpaceMb = number();
    else if (a.startsWith("--")) return { options, error: `unknown option ${a}` };
    else if (dir) return { options, error: `one submissions folder only (got ${dir} and ${a})` };
    else dir = a;
  }
  return { dir, options };
}

async function main(argv: string[]): Promise<number> {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs(argv);
  } catch (err) {
    parsed = { options: {}, error: (err as Error).message };
  }
  if (parsed.error || !parsed.dir) {
    console.error(`grade: ${parsed.error ?? "no submissions folder"}: use npm run grade -- <submissions folder> [--notebooks DIR] [--out DIR] [--full] [--cell-timeout S] [--memory MB]`);
    return 2;
  }
  const run = await gradeSubmissions(parsed.dir, parsed.options);
  const out = path.resolve(parsed.options.outDir ?? "build/grades");
  console.log(summaryTable(pl.readCSV(path.join(out, "grades.csv"))).toString());
  if (!run.fsRestricted) console.log("WARNING: the kernel's file access was not restricted by Node's permission model: submissions ran in their own folder with a scrubbed environment only.");
  console.log(`grades: ${path.join(out, "grades.csv")}; feedback: ${path.join(out, "feedback")}/`);
  return 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error((err as Error).message);
      process.exit(1);
    },
  );
}
