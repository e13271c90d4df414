/** What the notebook-level tests share: the project root, the course notebooks, a fresh lib build. */
import { spawnSync } from "node:child_process";
import { readdirSync } from "node:fs";
import * as path from "node:path";
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
