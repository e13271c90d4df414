/**
 * Determinism of the course's figures (issue 8): every notebook in notebooks/ is run twice in quick
 * mode on real tslab kernels and its named figures must come out byte for byte the same. To keep the
 * cost down, each run stops after the first code cell that names a figure (`name: "..."`), so at
 * least one figure per notebook is compared; if that prefix shows no named figure, the whole
 * notebook runs. The two runs of a notebook go in parallel (one kernel per core).
 */
import * as path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { readNotebook, sourceText, type Notebook, executeNotebook, failureReport } from "nbconvert-ts-runner";
import { findFigures } from "../scripts/lib/figures";
import { buildLibIfStale, notebooks, root } from "./support/course";


/** The notebook up to the first code cell that names a figure, or null when no cell does. */
function upToFirstNamedFigure(nb: Notebook): Notebook | null {
  const at = nb.cells.findIndex((c) => c.cell_type === "code" && /\bname:\s*["'`][A-Za-z0-9]/.test(sourceText(c.source)));
  return at < 0 ? null : { ...nb, cells: nb.cells.slice(0, at + 1) };
}

/** The named figures of one quick run, as name → spec JSON. */
async function figureSpecs(nb: Notebook, file: string): Promise<Map<string, string>> {
  const run = await executeNotebook(nb, { path: file, params: { QUICK: true } });
  if (!run.ok) throw new Error([`${file} failed:`, ...failureReport(run, file)].join("\n"));
  return new Map(findFigures(run.notebook).figures.map((f) => [f.name, JSON.stringify(f.spec)]));
}

beforeAll(buildLibIfStale, 300_000);

describe("figures are the same bytes on every run (quick mode, two runs per notebook)", () => {
  it.each(notebooks)("%s", async (name) => {
    const file = path.join(root, "notebooks", name);
    const source = await readNotebook(file);
    const prefix = upToFirstNamedFigure(source);
    let runs = prefix ? await Promise.all([figureSpecs(prefix, file), figureSpecs(prefix, file)]) : null;
    if (!runs || runs[0].size === 0) runs = await Promise.all([figureSpecs(source, file), figureSpecs(source, file)]);
    const [first, second] = runs;
    expect(first.size, `${name} shows no named figure: name one with { name: "..." } so the export finds it`).toBeGreaterThan(0);
    expect([...second.keys()]).toEqual([...first.keys()]);
    for (const [figure, spec] of first) expect(second.get(figure), `figure "${figure}" differs between two runs`).toBe(spec);
  }, 900_000);
});
