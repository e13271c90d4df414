/** Committed notebooks carry no outputs and no execution counts (the runner writes executed copies to build/). */
import { readdirSync } from "node:fs";
import * as path from "node:path";
import { expect, it } from "vitest";
import { readNotebook } from "nbconvert-ts-runner";

const root = path.resolve(__dirname, "..");
const notebooks = readdirSync(path.join(root, "notebooks"), { recursive: true })
  .map(String)
  .filter((f) => f.endsWith(".ipynb") && !f.includes(".ipynb_checkpoints"))
  .sort();

it.each(notebooks)("notebooks/%s is committed without outputs", async (name) => {
  const nb = await readNotebook(path.join(root, "notebooks", name));
  const dirty = nb.cells.flatMap((cell, i) =>
    cell.cell_type === "code" && (cell.outputs.length > 0 || cell.execution_count !== null) ? [i + 1] : [],
  );
  expect(
    dirty,
    `notebooks/${name}: cells ${dirty.join(", ")} carry outputs or execution counts; clear them before committing ` +
      "(JupyterLab: Edit > Clear All Outputs, then save)",
  ).toEqual([]);
});
