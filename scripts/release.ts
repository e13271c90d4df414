/**
 * The student release: `npm run release [-- notebooks...] [--validate] [--full]`.
 *
 * For every notebook with exercises (default: notebooks/*.ipynb) writes its student version to
 * build/release/student/ (solutions stubbed, hidden tests removed, outputs cleared, checksums
 * recorded), checks that the stubs keep the notebook type-correct under tslab's TypeScript, that the
 * instructor's own solutions pass the grader's screening, that the source is left untouched, and
 * runs the leak check on the written files. `--validate` also runs both versions on the kernel
 * (quick mode unless `--full`): the grader must give the source full marks (in its sandbox, so
 * a notebook that needs files beside it is caught); in the student version every graded cell must
 * fail, every solution cell must still compile and run, and every cell that is not an exercise must
 * still run. Exits with 1 on any defect. Serves every lecture's exercises.
 */
import { createHash } from "node:crypto";
import { promises as fs } from "node:fs";
import * as path from "node:path";
import {
  findExercises,
  findLeaks,
  hasExercises,
  makeStudentNotebook,
  nbgraderOf,
  notDoneMessage,
  screenSolution,
  solutionContext,
  stubTypeErrors,
} from "./lib/exercises";
import { executeNotebook, readNotebook, sourceText, writeNotebook, type CellResult, type Notebook } from "nbconvert-ts-runner";
import { gradeNotebook, prepareReference, resolveOptions, sandboxFor, type GradeOptions } from "./lib/grading/grade";
import { WASM_ADDRESS_SPACE_MB } from "./lib/grading/sandbox";

/** Where the student notebooks go. */
export const RELEASE_DIR = "build/release/student";

/** What release found for one notebook. */
export interface ReleaseReport {
  file: string;
  /** The student notebook written, if any. */
  output?: string;
  exercises: number;
  /** Defects that fail the release (each names the cell and the problem). */
  defects: string[];
  /** Remarks that do not fail it. */
  notes: string[];
}

async function fileHash(file: string): Promise<string> {
  return createHash("sha256").update(await fs.readFile(file)).digest("hex");
}

/** Releases one notebook (without kernel runs): returns the report; writes the student version when it has no defect. */
export async function releaseNotebook(file: string, outDir = RELEASE_DIR): Promise<ReleaseReport & { source?: Notebook; student?: Notebook }> {
  const report: ReleaseReport & { source?: Notebook; student?: Notebook } = { file, exercises: 0, defects: [], notes: [] };
  const before = await fileHash(file);
  const source = await readNotebook(file);
  if (!hasExercises(source)) return report;
  let student: Notebook;
  try {
    const ex = findExercises(source);
    report.exercises = ex.graded.length;
    student = makeStudentNotebook(source);
    const { outerNames, allowedModules } = solutionContext(source);
    for (const s of ex.solutions) {
      for (const v of screenSolution(sourceText(source.cells[s.index]!.source), outerNames, allowedModules)) {
        report.defects.push(`cell ${s.index + 1} (${s.gradeId}): the instructor's solution would be refused by the grader: ${v}`);
      }
    }
  } catch (err) {
    report.defects.push((err as Error).message);
    return report;
  }
  for (const e of stubTypeErrors(source, student, path.dirname(path.resolve(file)))) {
    report.defects.push(`cell ${e.cell}${e.gradeId ? ` (${e.gradeId})` : ""}: the student version does not type-check: ${e.message}`);
  }
  if (report.defects.length > 0) return report;
  const output = path.join(outDir, path.basename(file));
  await writeNotebook(output, student);
  const written = await readNotebook(output);
  for (const leak of findLeaks(source, written)) {
    report.defects.push(`LEAK in ${output}: cell ${leak.cell} ${leak.part} holds ${leak.kind} text: ${JSON.stringify(leak.text)}`);
  }
  if ((await fileHash(file)) !== before) report.defects.push(`${file} changed during the release`);
  if (report.defects.length > 0) {
    await fs.rm(output, { force: true });
    return report;
  }
  return { ...report, output, source, student: written };
}

const firstLine = (c: CellResult) => (c.error ?? "").split("\n").find((l) => l.trim() !== "") ?? c.status;
const COMPILE_ERROR = /^\d+:\d+ - /m;

/**
 * Runs a released notebook both ways on the kernel and adds every defect to the report. The source
 * runs through the grader: its reference run (the instructor's solutions in a clean sandbox) must
 * pass every cell, and the instructor's solutions submitted as a student's must get full marks from
 * the grader's verdict; the checks whose verdict a student's kernel could forge are flagged as notes.
 * The student version runs as a student would, where every graded cell must fail (a graded cell
 * passing on the stub is reported), no cell may fail to compile, and every solution and
 * non-exercise cell must still run.
 */
export async function validateNotebook(report: ReleaseReport, source: Notebook, student: Notebook, quick: boolean, options: GradeOptions = {}): Promise<void> {
  const ex = findExercises(source);
  // A runtime made from the same sources is shared (it is read-only once made).
  // The instructor's own notebooks (source and stubs made here) are trusted: give the sandbox room for
  // TensorFlow.js's wasm backend, which trains several times faster than cpu.
  const opts = resolveOptions({ quick, cellTimeoutMs: 600_000, memoryMb: WASM_ADDRESS_SPACE_MB, ...options });
  const config = await sandboxFor(opts);
  const t0 = Date.now();
  const ref = await prepareReference(report.file, source, config, opts);
  report.defects.push(...ref.failures);
  for (const f of ref.forgeable) report.notes.push(`FORGEABLE: ${f}`);
  const refMs = Date.now() - t0;
  if (ref.failures.length === 0) {
    const graded = await gradeNotebook("instructor", ref, source, config, opts, 0);
    for (const g of graded.grades) {
      if (g.points < g.max) report.defects.push(`${g.exercise}: the grader gives the instructor's solution ${g.points}/${g.max}: ${g.feedback}`);
    }
  }
  const run = await executeNotebook(student, { path: report.file, allowErrors: true, params: quick ? { QUICK: true } : {}, cellTimeoutMs: 600_000 });
  for (const cell of run.cells) {
    if (cell.inputIndex === null) continue;
    const meta = nbgraderOf(source.cells[cell.inputIndex]!);
    const where = `cell ${cell.inputIndex + 1}${meta ? ` (${meta.grade_id})` : ""}`;
    const failed = cell.status !== "ok" && cell.status !== "skipped";
    if (meta?.grade) {
      if (!failed) report.defects.push(`${where}: passes on the stub: its tests do not exercise the solution`);
      else if (COMPILE_ERROR.test(cell.error ?? "")) report.defects.push(`${where}: does not compile in the student version: ${firstLine(cell)}`);
      else if (!(cell.error ?? "").includes(notDoneMessage(""))) report.notes.push(`${where}: fails on the stub with ${firstLine(cell)} (not the stub's error)`);
    } else if (failed) {
      report.defects.push(`${where}: ${meta?.solution ? "the stub" : "a cell outside the exercises"} fails in the student version (${cell.status}): ${firstLine(cell)}`);
    }
  }
  const secs = (ms: number) => (ms / 1000).toFixed(1);
  report.notes.push(`validated ${ex.graded.length} graded cells: reference run ${secs(refMs)} s, graded run ${secs(Date.now() - t0 - refMs)} s, student run ${secs(run.durationMs)} s`);
}

async function main(argv: string[]): Promise<number> {
  const validate = argv.includes("--validate");
  const quick = !argv.includes("--full");
  const unknown = argv.filter((a) => a.startsWith("--") && !["--validate", "--full"].includes(a));
  if (unknown.length > 0) {
    console.error(`release: unknown option ${unknown.join(" ")}: use [notebooks...] [--validate] [--full]`);
    return 2;
  }
  let files = argv.filter((a) => !a.startsWith("--"));
  if (files.length === 0) files = (await fs.readdir("notebooks")).filter((f) => f.endsWith(".ipynb")).sort().map((f) => path.join("notebooks", f));
  let defects = 0;
  let released = 0;
  for (const file of files) {
    const report = await releaseNotebook(file);
    if (report.exercises === 0 && report.defects.length === 0) {
      console.log(`${file}: no exercises, skipped`);
      continue;
    }
    if (validate && report.source && report.student) await validateNotebook(report, report.source, report.student, quick);
    if (report.output) released++;
    console.log(`${file}: ${report.exercises} graded cells${report.output ? ` -> ${report.output}` : ", not released"}`);
    for (const n of report.notes) console.log(`  note: ${n}`);
    for (const d of report.defects) console.log(`  DEFECT: ${d}`);
    defects += report.defects.length;
  }
  console.log(`${released} notebook(s) released to ${RELEASE_DIR}${validate ? ", validated" : ""}; ${defects} defect(s)`);
  return defects > 0 ? 1 : 0;
}

if (require.main === module) {
  main(process.argv.slice(2)).then(
    (code) => process.exit(code),
    (err) => {
      console.error(`release: ${(err as Error).message}`);
      process.exit(1);
    },
  );
}
