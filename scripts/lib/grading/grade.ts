/**
 * Grading a class: the reference run, each submission in its own sandbox, the verdict in this
 * process, results written per student as they finish, resumable, in shards. The command line is
 * scripts/grade.ts; `release --validate` uses the same functions. Threat model: docs/grading.md.
 * Serves every lecture's exercises.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { findExercises, hasExercises, MARKERS, nbgraderOf, type Exercises } from "../regions";
import { restoreSubmission, screenSolution, solutionContext } from "../restore";
import { makeStudentNotebook } from "../student-release";
import { asNotebook, NotebookError, readNotebook, sourceText, toLines, writeFileAtomic, type Cell, type Notebook } from "nbconvert-ts-runner";
import { prepareNotebook } from "nbconvert-ts-runner";
import { forgeable, probeHelperCell, referenceHelperCell, referenceTestCode, sitesOf, studentTestCode, type Site } from "./probes";
import { prepareRuntime, runSandboxed, sandboxProblem, type SandboxConfig, type SandboxRun } from "./sandbox";
import { errorFeedback, judgeCell, parseRecords, scrub, decodeValue, type RefRecord } from "./verdict";
import type { WorkerCell } from "./worker";

/** Grading settings. */
export interface GradeOptions {
  /** Folder of the instructor's source notebooks (default notebooks/). */
  notebooksDir?: string;
  /** Where grades.csv, summary.csv, feedback/ and results/ go (default build/grades). */
  outDir?: string;
  /** The grading runtime (a private copy of node_modules; default build/grading-runtime). */
  runtimeDir?: string;
  /** Per-cell time limit (default 120 s). */
  cellTimeoutMs?: number;
  /** Time limit for a whole notebook (default 20 min). */
  notebookTimeoutMs?: number;
  /** Memory of a sandbox: address space per process in MB (default 4096). */
  memoryMb?: number;
  /** Run in quick mode (QUICK = true; default true). */
  quick?: boolean;
  /** Screen solution cells before running them (default true): a first, friendly layer. */
  screen?: boolean;
  /** Sandboxes run side by side (default: the cores). */
  jobs?: number;
  /** Grade without a sandbox (only for submissions you trust). */
  unsafeNoSandbox?: boolean;
  /** Keep the results of students graded by an earlier, interrupted run with the same settings. */
  resume?: boolean;
  /** Grade only shard I of N (1-based): the students whose position in the sorted list is I-1 mod N. */
  shard?: { index: number; count: number };
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
  /** "passed", or why not (written by the grader, never the student's kernel). */
  feedback: string;
}

/** Everything a grading run produced. */
export interface GradeRun {
  grades: ExerciseGrade[];
  /** Per student: the markdown feedback written to feedback/. */
  feedback: Map<string, string>;
  /** Entries of the submissions folder that are not graded folders, with why. */
  odd: { name: string; why: string }[];
  sandboxed: boolean;
  /** Students per minute of this run (graded, not resumed). */
  studentsPerMinute: number;
}

export type ResolvedOptions = Required<Omit<GradeOptions, "log" | "shard">> & { log: (line: string) => void; shard?: { index: number; count: number } };

export function resolveOptions(options: GradeOptions = {}): ResolvedOptions {
  return {
    notebooksDir: path.resolve(options.notebooksDir ?? "notebooks"),
    outDir: path.resolve(options.outDir ?? "build/grades"),
    runtimeDir: path.resolve(options.runtimeDir ?? "build/grading-runtime"),
    cellTimeoutMs: options.cellTimeoutMs ?? 120_000,
    notebookTimeoutMs: options.notebookTimeoutMs ?? 20 * 60_000,
    memoryMb: options.memoryMb ?? 4096,
    quick: options.quick ?? true,
    screen: options.screen ?? true,
    jobs: Math.max(1, options.jobs ?? os.availableParallelism()),
    unsafeNoSandbox: options.unsafeNoSandbox ?? false,
    resume: options.resume ?? false,
    ...(options.shard ? { shard: options.shard } : {}),
    log: options.log ?? (() => undefined),
  };
}

/** The sandbox settings for these options; throws, saying how to fix it, when no sandbox works. */
export async function sandboxFor(opts: ResolvedOptions): Promise<SandboxConfig> {
  const runtimeDir = await prepareRuntime(opts.runtimeDir);
  const config: SandboxConfig = {
    runtimeDir,
    unsafe: opts.unsafeNoSandbox,
    limits: {
      memoryMb: opts.memoryMb,
      cpuSeconds: Math.ceil((opts.notebookTimeoutMs / 1000) * 2) + 60,
      processes: 512,
      fileMb: 256,
      wallMs: opts.notebookTimeoutMs + 30_000,
      outputBytes: 64 << 20,
    },
  };
  if (!config.unsafe) {
    const problem = sandboxProblem(runtimeDir);
    if (problem) throw new Error(`grade: refusing to grade without a sandbox: ${problem}`);
  }
  return config;
}

/** What the reference run of one source notebook gives, for judging every student against it. */
export interface Reference {
  file: string;
  name: string;
  source: Notebook;
  exercises: Exercises;
  sites: Map<string, Site>;
  forcedBool: Set<string>;
  /** Per graded cell index: the records of the reference run, in order. */
  refs: Map<number, RefRecord[]>;
  /** Per graded cell index: the code a student's kernel runs instead. */
  studentCode: Map<number, string>;
  /** Hidden-test lines, scrubbed from every feedback text. */
  secrets: string[];
  /** Checks whose verdict a student's kernel could forge, for release --validate. */
  forgeable: string[];
  /** Cells of the reference run that failed (instructor's problem), as messages. */
  failures: string[];
  run?: SandboxRun;
}

function withCells(nb: Notebook, cells: Cell[]): Notebook {
  return { ...nb, cells };
}

function code(text: string): Cell {
  return { cell_type: "code", source: toLines(text), metadata: {}, execution_count: null, outputs: [] };
}

/** Runs a notebook (helper cell first) in a sandbox; returns the worker cell of each input cell (index -1: the helper). */
async function runNotebook(nb: Notebook, helper: string, config: SandboxConfig, opts: ResolvedOptions, slot: number, stopOnError: boolean, cellTimeoutMs = opts.cellTimeoutMs): Promise<{ run: SandboxRun; byInput: Map<number, WorkerCell> }> {
  const input = withCells(nb, [code(helper), ...nb.cells.map((c) => (c.cell_type === "code" ? c : { ...c, source: "" }))]);
  const prepared = prepareNotebook(input, opts.quick ? { QUICK: true } : {});
  const run = await runSandboxed(config, {
    notebook: prepared.nb,
    cellTimeoutMs,
    firstCellTimeoutMs: 180_000,
    notebookTimeoutMs: opts.notebookTimeoutMs,
    maxOldSpaceMb: Math.max(256, Math.round(opts.memoryMb / 2)),
    stdoutCap: 4 << 20,
    errorCap: 2000,
    stopOnError,
  }, slot, path.join(opts.runtimeDir, "jobs"));
  const byInput = new Map<number, WorkerCell>();
  for (const c of run.result?.cells ?? []) {
    const i = prepared.inputIndex[c.index];
    if (i !== null && i !== undefined) byInput.set(i - 1, c);
  }
  return { run, byInput };
}

function hiddenSecrets(source: Notebook): string[] {
  const out: string[] = [];
  for (const cell of source.cells) {
    if (!nbgraderOf(cell)?.grade) continue;
    let open = false;
    for (const line of sourceText(cell.source).split("\n")) {
      if (line.includes(MARKERS.beginHidden)) open = true;
      else if (line.includes(MARKERS.endHidden)) open = false;
      else if (open && /[A-Za-z0-9]/.test(line)) out.push(line.trim());
    }
  }
  return out.sort((a, b) => b.length - a.length);
}

/** A reference before its run: the sites of every graded cell, and the code the reference kernel runs. */
export function staticReference(file: string, source: Notebook): { ref: Reference; cells: Cell[] } {
  const exercises = findExercises(source);
  const sites = new Map<string, Site>();
  const cells = source.cells.map((c) => ({ ...c }));
  for (const g of exercises.graded) {
    const text = sourceText(source.cells[g.index]!.source);
    for (const s of sitesOf(text, g.index)) sites.set(s.id, s);
    cells[g.index] = { ...cells[g.index]!, source: toLines(referenceTestCode(text, g.index)) };
  }
  const ref: Reference = {
    file, name: path.basename(file), source, exercises, sites, forcedBool: new Set(), refs: new Map(), studentCode: new Map(),
    secrets: [...hiddenSecrets(source), ...[...sites.values()].filter((s) => s.hidden && s.actualText).map((s) => s.actualText!)].sort((a, b) => b.length - a.length),
    forgeable: [], failures: [],
  };
  for (const g of exercises.graded) ref.studentCode.set(g.index, studentTestCode(sourceText(source.cells[g.index]!.source), g.index));
  return { ref, cells };
}

/** The reference run of a source notebook: its own solutions, in a clean sandbox; records expected values. */
export async function prepareReference(file: string, source: Notebook, config: SandboxConfig, opts: ResolvedOptions): Promise<Reference> {
  const { ref, cells } = staticReference(file, source);
  const { exercises, sites } = ref;
  const { run, byInput } = await runNotebook(withCells(source, cells), referenceHelperCell(), config, opts, 0, false, Math.max(opts.cellTimeoutMs, 300_000));
  ref.run = run;
  if (run.failure) ref.failures.push(`the reference run failed: ${run.failure}`);
  for (const [i, c] of byInput) {
    if (c.status !== "ok") ref.failures.push(`${i < 0 ? "the grader's helper cell" : `cell ${i + 1}${nbgraderOf(source.cells[i]!)?.grade_id ? ` (${nbgraderOf(source.cells[i]!)!.grade_id})` : ""}`} fails in the reference run (${c.status}): ${(c.evalue || c.error || "").split("\n")[0]!.slice(0, 300)}`);
  }
  for (const g of exercises.graded) {
    const records = parseRecords<RefRecord>(byInput.get(g.index)?.stdout ?? "");
    ref.refs.set(g.index, records);
    for (const r of records) {
      const s = sites.get(r.site);
      if (s?.form !== "compare" || s.bothSides) continue;
      let b: unknown;
      try {
        b = decodeValue(r.b);
      } catch {
        b = {};
      }
      if (b !== null && typeof b === "object") ref.forcedBool.add(s.id);
    }
    ref.studentCode.set(g.index, studentTestCode(sourceText(source.cells[g.index]!.source), g.index, ref.forcedBool));
    const gradeId = g.gradeId;
    const cellSites = [...sites.values()].filter((s) => s.cell === g.index);
    const solid = cellSites.filter((s) => !forgeable(s, ref.forcedBool.has(s.id)));
    for (const s of cellSites) {
      const why = forgeable(s, ref.forcedBool.has(s.id));
      if (why && s.hidden) ref.forgeable.push(`${gradeId}, line ${s.line} (hidden): \`${s.text.slice(0, 70)}\`: ${why}`);
    }
    if (solid.length === 0) ref.forgeable.push(`${gradeId}: every check could be forged by a student who takes over their kernel: add a hidden checkClose (or ===) against a value the student version does not show`);
  }
  return ref;
}

/** One notebook of one student, graded. */
export interface NotebookGrade {
  grades: ExerciseGrade[];
  /** What the student should know beyond the grades (restored cells, refused solutions, reruns). */
  notes: string[];
  run?: SandboxRun;
}

const MAX_NOTEBOOK_BYTES = 20 << 20;
const MAX_CELL_CHARS = 200_000;
const MAX_NESTING = 300;

/** The deepest bracket nesting of code (strings and comments are not skipped: an upper bound). */
function nesting(text: string): number {
  let depth = 0;
  let max = 0;
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    if (c === 40 || c === 91 || c === 123) max = Math.max(max, ++depth);
    else if (c === 41 || c === 93 || c === 125) depth = Math.max(0, depth - 1);
  }
  return max;
}

/** Reads a submission defensively: size cap, JSON, nbformat shape, cells with string sources only. */
export async function readSubmission(file: string, name: string): Promise<{ nb?: Notebook; problem?: string; notes: string[] }> {
  const notes: string[] = [];
  try {
    const st = await fs.lstat(file);
    if (!st.isFile()) return { problem: `${name} is not a regular file`, notes };
    if (st.size > MAX_NOTEBOOK_BYTES) return { problem: `${name} is ${Math.round(st.size / 1e6)} MB, more than the ${MAX_NOTEBOOK_BYTES >> 20} MB a notebook may have (clear its outputs)`, notes };
    const json = JSON.parse(await fs.readFile(file, "utf8")) as unknown;
    const nb = asNotebook(json, name);
    const cells: Cell[] = [];
    nb.cells.forEach((c, i) => {
      const src = (c as { source?: unknown }).source;
      const okSource = typeof src === "string" || (Array.isArray(src) && src.every((l) => typeof l === "string"));
      const meta = (c as { metadata?: unknown }).metadata;
      const okMeta = meta !== null && typeof meta === "object" && !Array.isArray(meta);
      const nbg = okMeta ? (meta as { nbgrader?: unknown }).nbgrader : undefined;
      const okNbg = nbg === undefined || (nbg !== null && typeof nbg === "object" && typeof (nbg as { grade_id?: unknown }).grade_id === "string");
      if (!okSource || !okMeta || !okNbg) {
        notes.push(`cell ${i + 1} of your notebook is malformed (its ${!okSource ? "source" : "metadata"} is not what Jupyter writes): it was ignored`);
        return;
      }
      cells.push({ ...(c as Cell), metadata: { nbgrader: nbg as never } });
    });
    return { nb: { ...nb, cells }, notes };
  } catch (err) {
    const why = err instanceof NotebookError ? err.message : err instanceof SyntaxError ? `${name}: is not valid JSON` : `${name}: cannot be read`;
    return { problem: why, notes };
  }
}

/**
 * The notebook a student's kernel runs: the source with the student's solution cells (each refused
 * one replaced by its stub, with a note: too long, nested too deep, or, with `screen`, reaching
 * outside its exercise) and every graded cell replaced by its probes. Pure; never throws for what
 * is in the submission.
 */
export function submissionToRun(ref: Reference, submission: Notebook, screen: boolean, notes: string[]): { nb: Notebook; stubs: Notebook; stub: (index: number) => void } {
  const ex = ref.exercises;
  const restored = restoreSubmission(ref.source, submission);
  notes.push(...restored.notes);
  const nb = restored.notebook;
  const stubs = makeStudentNotebook(ref.source);
  const stub = (index: number) => {
    nb.cells[index] = { ...nb.cells[index]!, source: stubs.cells[index]!.source };
  };
  const { outerNames, allowedModules } = solutionContext(ref.source);
  for (const s of ex.solutions) {
    const text = sourceText(nb.cells[s.index]!.source);
    let refused: string | undefined;
    if (text.length > MAX_CELL_CHARS) refused = `it has ${text.length} characters (at most ${MAX_CELL_CHARS})`;
    else if (nesting(text) > MAX_NESTING) refused = `its brackets nest more than ${MAX_NESTING} deep`;
    else if (screen) {
      try {
        const found = screenSolution(text, outerNames, allowedModules);
        if (found.length > 0) refused = found.join("; ");
      } catch {
        refused = "it could not be parsed";
      }
    }
    if (refused) {
      stub(s.index);
      notes.push(`solution cell ${s.gradeId} was not run (graded as not done): ${refused.slice(0, 600)}`);
    }
  }
  for (const g of ex.graded) nb.cells[g.index] = { ...nb.cells[g.index]!, source: toLines(ref.studentCode.get(g.index)!) };
  return { nb, stubs, stub };
}

/**
 * Grades one student's notebook against a reference, in a sandbox (slot picks its uid). When a
 * solution stops the kernel (limit, exit), that solution is graded as not done and the rest is run
 * again without it: a submission gets zero only for what it broke. Never throws for what is in the
 * submission.
 */
export async function gradeNotebook(student: string, ref: Reference, submitted: Notebook | string | undefined, config: SandboxConfig, opts: ResolvedOptions, slot: number): Promise<NotebookGrade> {
  const ex = ref.exercises;
  const grade = (g: { gradeId: string; points: number }, points: number, feedback: string): ExerciseGrade =>
    ({ student, notebook: ref.name, exercise: g.gradeId, points, max: g.points, feedback: scrub(feedback, ref.secrets) });
  if (!submitted) return { grades: ex.graded.map((g) => grade(g, 0, `${ref.name} was not submitted`)), notes: [] };
  let submission: Notebook;
  const notes: string[] = [];
  if (typeof submitted === "string") {
    const r = await readSubmission(submitted, ref.name);
    notes.push(...r.notes);
    if (!r.nb) return { grades: ex.graded.map((g) => grade(g, 0, `your notebook could not be read: ${r.problem}`)), notes };
    submission = r.nb;
  } else submission = submitted;
  const { nb, stub, stubs } = submissionToRun(ref, submission, opts.screen, notes);
  const solutionIds = new Set(ex.solutions.map((s) => s.gradeId));
  const results = new Map<number, ExerciseGrade>();
  let first: SandboxRun | undefined;
  for (let attempt = 1; results.size < ex.graded.length && attempt <= ex.solutions.length + 1; attempt++) {
    const started = Date.now();
    const { run, byInput } = await runNotebook(nb, probeHelperCell(), config, opts, slot, false);
    first ??= run;
    opts.log(`  ${student}/${ref.name}: run ${attempt} took ${((Date.now() - started) / 1000).toFixed(1)} s`);
    if (run.failure || run.result?.startError) {
      const why = run.failure ?? "the kernel did not start";
      for (const g of ex.graded) if (!results.has(g.index)) results.set(g.index, grade(g, 0, why));
      break;
    }
    for (const g of ex.graded) {
      const cell = byInput.get(g.index);
      if (results.has(g.index) || !cell || cell.status === "not-run") continue;
      const v = judgeCell(ref.sites, ref.forcedBool, ref.refs.get(g.index) ?? [], cell, solutionIds);
      results.set(g.index, grade(g, v.passed ? g.points : 0, v.feedback));
    }
    const broke = [...byInput].find(([, c]) => c.status === "timeout" || c.status === "died");
    if (!broke) break;
    const culprit = [...ex.solutions].reverse().find((s) => s.index <= broke[0] && sourceText(nb.cells[s.index]!.source) !== sourceText(stubs.cells[s.index]!.source));
    if (!culprit) break;
    stub(culprit.index);
    notes.push(`solution cell ${culprit.gradeId} stopped the kernel (${errorFeedback(broke[1], solutionIds, false)}): it was graded as not done and the rest was run again without it`);
  }
  const grades = ex.graded.map((g) => results.get(g.index) ?? grade(g, 0, "not run: the kernel had stopped before this test"));
  return { grades, notes: notes.map((n) => scrub(n, ref.secrets)), ...(first ? { run: first } : {}) };
}

/** A notebook file of the student folder, by name, at any depth; neither hidden folders nor links are followed. */
async function findFile(dir: string, name: string, depth = 0): Promise<string | undefined> {
  if (depth > 8) return undefined;
  const entries = await fs.readdir(dir, { withFileTypes: true }).catch(() => []);
  const hit = entries.find((e) => e.isFile() && e.name === name);
  if (hit) return path.join(dir, hit.name);
  for (const e of entries.filter((e) => e.isDirectory() && !e.name.startsWith(".")).sort((a, b) => a.name.localeCompare(b.name))) {
    const found = await findFile(path.join(dir, e.name), name, depth + 1);
    if (found) return found;
  }
  return undefined;
}

/** A CSV field, quoted when needed; text a spreadsheet would run as a formula is prefixed with '. */
export function csvField(value: string | number): string {
  let s = typeof value === "number" ? (Number.isInteger(value) ? value.toFixed(1) : String(value)) : value;
  if (typeof value === "string" && /^[=+\-@\t\r]/.test(s)) s = `'${s}`;
  return /[",\n\r]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

function gradesCsv(grades: readonly ExerciseGrade[]): string {
  return ["student,exercise,points,max", ...grades.map((g) => [g.student, g.exercise, g.points, g.max].map(csvField).join(","))].join("\n") + "\n";
}

/** Per exercise: its max, the mean points, and how many students got full marks and zero. */
export function summaryCsv(grades: readonly ExerciseGrade[]): string {
  const by = new Map<string, ExerciseGrade[]>();
  for (const g of grades) by.set(g.exercise, [...(by.get(g.exercise) ?? []), g]);
  const rows = [...by.keys()].sort().map((ex) => {
    const gs = by.get(ex)!;
    const mean = Math.round((gs.reduce((s, g) => s + g.points, 0) / gs.length) * 100) / 100;
    return [ex, gs[0]!.max, mean, String(gs.filter((g) => g.points === g.max).length), String(gs.filter((g) => g.points === 0).length), String(gs.length)].map(csvField).join(",");
  });
  return ["exercise,max,mean,full_marks,zero,students", ...rows].join("\n") + "\n";
}

function feedbackMarkdown(student: string, grades: ExerciseGrade[], notes: string[]): string {
  const total = grades.reduce((s, g) => s + g.points, 0);
  const max = grades.reduce((s, g) => s + g.max, 0);
  const cellText = (t: string) => t.replace(/\|/g, "\\|").replace(/[\r\n]+/g, " ");
  const lines = [`# Feedback for ${cellText(student)}`, "", `Total: ${total} / ${max}`, "", "| notebook | exercise | points | |", "|---|---|---|---|"];
  for (const g of grades) lines.push(`| ${g.notebook} | ${g.exercise} | ${g.points} / ${g.max} | ${cellText(g.feedback)} |`);
  if (notes.length > 0) lines.push("", "Notes:", ...notes.map((n) => `- ${cellText(n)}`));
  return lines.join("\n") + "\n";
}

/** A file name for a student's results and feedback: readable, safe, and unique per name. */
export function studentKey(name: string): string {
  const safe = name.replace(/[^A-Za-z0-9_-]/g, "_").slice(0, 60) || "_";
  return `${safe}-${createHash("sha256").update(name).digest("hex").slice(0, 8)}`;
}

/** One student's results as stored in results/<key>.json. */
interface StudentResult {
  student: string;
  stamp: string;
  grades: ExerciseGrade[];
  notes: string[];
}

async function readResults(outDir: string): Promise<StudentResult[]> {
  const dir = path.join(outDir, "results");
  const files = (await fs.readdir(dir).catch(() => [] as string[])).filter((f) => f.endsWith(".json")).sort();
  const out: StudentResult[] = [];
  for (const f of files) {
    try {
      out.push(JSON.parse(await fs.readFile(path.join(dir, f), "utf8")) as StudentResult);
    } catch {
      // a partial file cannot exist (atomic writes); anything else is not ours
    }
  }
  return out.sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
}

/** grades.csv, summary.csv and feedback/ from the stored results (atomically, each file). */
async function writeReports(outDir: string, results: StudentResult[]): Promise<{ grades: ExerciseGrade[]; feedback: Map<string, string> }> {
  const grades = results.flatMap((r) => r.grades);
  const feedback = new Map<string, string>();
  for (const r of results) {
    const md = feedbackMarkdown(r.student, r.grades, r.notes);
    feedback.set(r.student, md);
    await writeFileAtomic(path.join(outDir, "feedback", `${studentKey(r.student)}.md`), md);
  }
  await writeFileAtomic(path.join(outDir, "grades.csv"), gradesCsv(grades));
  await writeFileAtomic(path.join(outDir, "summary.csv"), summaryCsv(grades));
  return { grades, feedback };
}

/** Combines the results of shard runs (their output folders) into one set of reports in `outDir`. */
export async function mergeShards(shardDirs: string[], outDir: string): Promise<{ grades: ExerciseGrade[]; feedback: Map<string, string> }> {
  const all = new Map<string, StudentResult>();
  const stamps = new Set<string>();
  for (const dir of shardDirs) {
    for (const r of await readResults(dir)) {
      if (all.has(r.student)) throw new Error(`merge: ${r.student} is in more than one shard`);
      all.set(r.student, r);
      stamps.add(r.stamp);
    }
  }
  if (stamps.size > 1) throw new Error("merge: the shards were graded with different notebooks or settings");
  const results = [...all.values()].sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
  await fs.mkdir(path.join(outDir, "results"), { recursive: true });
  for (const r of results) await writeFileAtomic(path.join(outDir, "results", `${studentKey(r.student)}.json`), JSON.stringify(r));
  return writeReports(outDir, results);
}

async function pool<T>(items: T[], jobs: number, fn: (item: T, slot: number) => Promise<void>): Promise<void> {
  let next = 0;
  await Promise.all(Array.from({ length: Math.min(jobs, items.length) }, async (_, slot) => {
    while (next < items.length) await fn(items[next++]!, slot);
  }));
}

/** The sources with exercises in a folder. */
export async function sourceNotebooks(dir: string): Promise<{ file: string; nb: Notebook }[]> {
  const out: { file: string; nb: Notebook }[] = [];
  for (const f of (await fs.readdir(dir)).filter((f) => f.endsWith(".ipynb")).sort()) {
    const nb = await readNotebook(path.join(dir, f));
    if (hasExercises(nb)) out.push({ file: path.join(dir, f), nb });
  }
  return out;
}

/** Grades every student folder in `submissionsDir` against every source notebook with exercises. */
export async function gradeSubmissions(submissionsDir: string, options: GradeOptions = {}): Promise<GradeRun> {
  const opts = resolveOptions(options);
  const inside = (a: string, b: string) => a === b || a.startsWith(b + path.sep);
  for (const [what, dir] of [["submissions", path.resolve(submissionsDir)], ["notebooks", opts.notebooksDir], ["output", opts.outDir]] as const) {
    if (inside(dir, opts.runtimeDir) || inside(opts.runtimeDir, dir)) throw new Error(`grade: the ${what} folder ${dir} overlaps the grading runtime ${opts.runtimeDir}: use separate folders`);
  }
  const sources = await sourceNotebooks(opts.notebooksDir);
  if (sources.length === 0) throw new Error(`grade: no notebook with exercises in ${opts.notebooksDir}`);
  const entries = await fs.readdir(submissionsDir, { withFileTypes: true }).catch(() => {
    throw new Error(`grade: cannot read the submissions folder ${submissionsDir}: give a folder holding one sub-folder per student`);
  });
  const odd: { name: string; why: string }[] = [];
  const everyone = entries.map((e) => e.name).sort();
  let students = everyone;
  if (opts.shard) students = everyone.filter((_, i) => i % opts.shard!.count === opts.shard!.index - 1);
  if (everyone.length === 0) throw new Error(`grade: ${submissionsDir} has no student folders (expected one sub-folder per student)`);
  const stamp = createHash("sha256")
    .update(JSON.stringify({ quick: opts.quick, cell: opts.cellTimeoutMs, nb: opts.notebookTimeoutMs, mem: opts.memoryMb, screen: opts.screen, unsafe: opts.unsafeNoSandbox }))
    .update(sources.map((s) => JSON.stringify(s.nb)).join("\n"))
    .digest("hex");
  await fs.mkdir(path.join(opts.outDir, "results"), { recursive: true });
  const done = new Map<string, StudentResult>();
  for (const r of await readResults(opts.outDir)) {
    if (opts.resume && r.stamp === stamp && students.includes(r.student)) done.set(r.student, r);
  }
  if (!opts.resume) {
    for (const f of await fs.readdir(path.join(opts.outDir, "results"))) await fs.rm(path.join(opts.outDir, "results", f), { force: true });
  }
  const config = await sandboxFor(opts);
  opts.log(`grading ${students.length} student(s)${opts.shard ? ` (shard ${opts.shard.index}/${opts.shard.count})` : ""}, ${opts.jobs} at a time, ${config.unsafe ? "WITHOUT a sandbox" : "each in a bubblewrap sandbox"}`);
  const refs: Reference[] = [];
  for (const { file, nb } of sources) {
    const ref = await prepareReference(file, nb, config, opts);
    if (ref.failures.length > 0) throw new Error(`grade: ${path.basename(file)}: the instructor's notebook does not pass its own tests in the grader:\n  ${ref.failures.join("\n  ")}`);
    refs.push(ref);
  }
  const todo = students.filter((s) => !done.has(s));
  const started = Date.now();
  let finished = 0;
  // One report write at a time, each atomic: a run stopped at any moment leaves whole files.
  let writing: Promise<{ grades: ExerciseGrade[]; feedback: Map<string, string> }> | undefined;
  const flush = () => {
    const snapshot = [...done.values()].sort((a, b) => (a.student < b.student ? -1 : a.student > b.student ? 1 : 0));
    writing = (writing ?? Promise.resolve(undefined)).then(() => writeReports(opts.outDir, snapshot));
    return writing;
  };
  await pool(todo, opts.jobs, async (student, slot) => {
    const full = path.join(submissionsDir, student);
    const result: StudentResult = { student, stamp, grades: [], notes: [] };
    try {
      const st = await fs.lstat(full);
      let why: string | undefined;
      if (st.isSymbolicLink()) why = "the folder is a symbolic link: not followed, not graded";
      else if (!st.isDirectory()) why = "not a folder: not graded";
      else if (student.startsWith(".")) why = "a hidden folder: not graded (rename it without the leading dot to grade it)";
      if (why) {
        odd.push({ name: student, why });
        for (const ref of refs) for (const g of ref.exercises.graded) result.grades.push({ student, notebook: ref.name, exercise: g.gradeId, points: 0, max: g.points, feedback: why });
      } else {
        opts.log(`grading ${JSON.stringify(student)}`);
        for (const ref of refs) {
          const file = await findFile(full, ref.name);
          const r = await gradeNotebook(student, ref, file, config, opts, slot);
          result.grades.push(...r.grades);
          result.notes.push(...r.notes.map((n) => `${ref.name}: ${n}`));
        }
      }
    } catch (err) {
      for (const ref of refs) for (const g of ref.exercises.graded) {
        if (!result.grades.some((x) => x.notebook === ref.name && x.exercise === g.gradeId)) {
          result.grades.push({ student, notebook: ref.name, exercise: g.gradeId, points: 0, max: g.points, feedback: "the grader could not grade this submission" });
        }
      }
      opts.log(`  ${student}: grader error: ${(err as Error).message}`);
    }
    await writeFileAtomic(path.join(opts.outDir, "results", `${studentKey(student)}.json`), JSON.stringify(result));
    done.set(student, result);
    finished++;
    await flush();
  });
  const { grades, feedback } = await flush();
  const minutes = (Date.now() - started) / 60_000;
  return { grades, feedback, odd, sandboxed: !config.unsafe, studentsPerMinute: finished > 0 ? finished / minutes : 0 };
}
