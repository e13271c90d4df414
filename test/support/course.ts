/** What the notebook-level tests share: the project root, the course notebooks, a fresh lib build. */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";
import type { Notebook } from "nbconvert-ts-runner";
import { libBuildProblem } from "../../scripts/lib/command";

/** The project's root folder. */
export const root = path.resolve(__dirname, "..", "..");

/** The course notebooks' file names in notebooks/, in lecture order. */
export const notebooks = readdirSync(path.join(root, "notebooks")).filter((f) => f.endsWith(".ipynb")).sort();

/** Builds lib/dist when it is missing or older than lib/src (notebooks import the built `reti`). */
export async function buildLibIfStale(): Promise<void> {
  const problem = await libBuildProblem(root);
  if (!problem) return;
  const build = spawnSync("npm", ["run", "build"], { cwd: root, encoding: "utf8" });
  if (build.status !== 0) throw new Error(`${problem}; building it failed:\n${build.stdout}${build.stderr}`);
}

/** The course's notebooks folder: kernels started there resolve `reti` like the course's notebooks do. */
export const NOTEBOOKS = path.join(root, "notebooks");

/** A notebook on the course kernel made of the given code cells (for tests that run small snippets on a real kernel). */
export function codeNotebook(...sources: string[]): Notebook {
  return {
    nbformat: 4,
    nbformat_minor: 5,
    metadata: { kernelspec: { name: "reti", display_name: "TypeScript (reti)", language: "typescript" } },
    cells: sources.map((source, i) => ({ cell_type: "code", id: `c${i}`, metadata: {}, source, outputs: [], execution_count: null })),
  } as Notebook;
}
