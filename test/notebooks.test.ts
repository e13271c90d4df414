/**
 * The notebook suite: every notebooks/*.ipynb runs in quick mode (QUICK = true) on a real tslab kernel,
 * and its executed copy goes to build/executed/notebooks/. A failure shows the cell, its first source
 * lines and the error. Notebooks import the built lib (node_modules/reti → lib/dist): when that build
 * is missing or older than lib/src, the setup runs `npm run build` first.
 *
 * Determinism of the course's figures (issue 8) shares that run (issue 20: no notebook is executed
 * twice where once suffices): each notebook runs a second time in quick mode on a fresh kernel, up to
 * the first code cell that names a figure (`name: "..."`), and the named figures of that second run
 * must come out byte for byte the same as the same figures of the full run, in the same order. If that
 * prefix shows no named figure, the whole notebook runs again. NOTEBOOK_JOBS (default: the number of
 * cores) kernels run at a time.
 */
import { availableParallelism } from "node:os";
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { executeNotebook, failureReport, readNotebook, sourceText, writeNotebook, type Notebook, type NotebookResult } from "nbconvert-ts-runner";
import { findFigures } from "../scripts/lib/figures";
import { buildLibIfStale, notebooks, root } from "./support/course";

const jobs = Number(process.env.NOTEBOOK_JOBS ?? availableParallelism());

/** Runs at most `jobs` kernels at once (vitest starts the concurrent tests together). */
let running = 0;
const waiting: (() => void)[] = [];
async function slot<T>(work: () => Promise<T>): Promise<T> {
  if (running >= jobs) await new Promise<void>((resolve) => waiting.push(resolve));
  running++;
  try {
    return await work();
  } finally {
    running--;
    waiting.shift()?.();
  }
}

/** The notebook up to the first code cell that names a figure, or null when no cell does. */
function upToFirstNamedFigure(nb: Notebook): Notebook | null {
  const at = nb.cells.findIndex((c) => c.cell_type === "code" && /\bname:\s*["'`][A-Za-z0-9]/.test(sourceText(c.source)));
  return at < 0 ? null : { ...nb, cells: nb.cells.slice(0, at + 1) };
}

/** One quick run of `nb` (the notebook at `file`). */
function quickRun(nb: Notebook, file: string): Promise<NotebookResult> {
  return slot(() => executeNotebook(nb, { path: file, params: { QUICK: true } }));
}

/** Throws with the failing cell when the run failed. */
function passed(run: NotebookResult, file: string): NotebookResult {
  if (!run.ok) throw new Error([`${file} failed:`, ...failureReport(run, file)].join("\n"));
  return run;
}

/** The named figures of a run, as name → spec JSON, in order. */
function figureSpecs(run: NotebookResult): Map<string, string> {
  return new Map(findFigures(run.notebook).figures.map((f) => [f.name, JSON.stringify(f.spec)]));
}

/** Each notebook's full quick run, started once and shared by its two tests. */
const fullRuns = new Map<string, Promise<NotebookResult>>();
function fullRun(name: string): Promise<NotebookResult> {
  let run = fullRuns.get(name);
  if (!run) {
    const file = path.join(root, "notebooks", name);
    run = readNotebook(file).then((nb) => quickRun(nb, file));
    run.catch(() => undefined); // reported by the tests that await it
    fullRuns.set(name, run);
  }
  return run;
}

beforeAll(buildLibIfStale, 300_000);

describe.concurrent("notebooks in quick mode", () => {
  it.each(notebooks)("%s", async (name) => {
    const file = path.join("notebooks", name);
    const result = await fullRun(name);
    await writeNotebook(path.join(root, "build", "executed", file), result.notebook);
    passed(result, file);
  }, 1_200_000);

  it.each(notebooks)("%s: figures are the same bytes on a second run", async (name) => {
    const file = path.join(root, "notebooks", name);
    const relative = path.join("notebooks", name);
    const source = await readNotebook(file);
    const prefix = upToFirstNamedFigure(source);
    let second = prefix ? figureSpecs(passed(await quickRun(prefix, file), relative)) : null;
    if (!second || second.size === 0) second = figureSpecs(passed(await quickRun(source, file), relative));
    const first = figureSpecs(passed(await fullRun(name), relative));
    expect(first.size, `${name} shows no named figure: name one with { name: "..." } so the export finds it`).toBeGreaterThan(0);
    expect(second.size).toBeGreaterThan(0);
    expect([...first.keys()].slice(0, second.size), "the second run's named figures are the full run's first ones").toEqual([...second.keys()]);
    for (const [figure, spec] of second) expect(spec, `figure "${figure}" differs between two runs`).toBe(first.get(figure));
  }, 1_200_000);
});
