/**
 * The students' notebooks: the student release (build/release/student, solutions stubbed and hidden
 * tests removed) where a notebook has exercises, else the notebook itself. Used by the hub (every
 * student's starting folder) and by `npm run lab -- --student` (build/student-workspace/).
 */
import { spawnSync } from "node:child_process";
import { existsSync, promises as fs } from "node:fs";
import * as path from "node:path";

/** The project root. */
const ROOT = path.resolve(__dirname, "..", "..");

/** Where `npm run lab -- --student` keeps the student's notebooks. */
export const STUDENT_WORKSPACE = path.join(ROOT, "build", "student-workspace");

/** The workspace's hidden folder holding the course's last copy of each notebook (Jupyter does not list it). */
export const COURSE_COPIES = ".course";

/** A course update of a notebook the student has worked on goes beside it under this suffix. */
export const UPDATED_SUFFIX = ".updated.ipynb";

/** Options of prepareWorkspace; the defaults are the course's folders. */
export interface WorkspaceOptions {
  /** The course notebooks (default notebooks/). */
  notebooks?: string;
  /** The student release (default build/release/student; made with `npm run release` when missing). */
  release?: string;
  /** Replace notebooks already in `dir` (the hub's template does); false keeps a student's work. */
  overwrite?: boolean;
}

/**
 * The students' starting notebooks in `dir`: each notebook's student release where it has exercises,
 * else the notebook itself. Releases (`npm run release`) the course notebooks whose release is missing
 * or older than the notebook. Never copies a notebook with solutions. Without `overwrite` a student's
 * notebook is never replaced once changed: when the course updates it, the new version is written beside
 * it as `NN_name.updated.ipynb` (an untouched one is simply replaced). Returns the names of the notebooks
 * written (all of them when `overwrite`, else the new, replaced and `.updated` ones).
 */
export async function prepareWorkspace(dir: string, options: WorkspaceOptions = {}): Promise<string[]> {
  const notebooks = options.notebooks ?? path.join(ROOT, "notebooks");
  const release = options.release ?? path.join(ROOT, "build", "release", "student");
  const overwrite = options.overwrite ?? true;
  const names = (await fs.readdir(notebooks)).filter((f) => f.endsWith(".ipynb")).sort();
  if (options.release === undefined) {
    // The course's own release: (re)make it for every notebook with exercises whose release is missing or older.
    const stale: string[] = [];
    for (const name of names) {
      const source = path.join(notebooks, name);
      const released = path.join(release, name);
      if (!(await fs.readFile(source, "utf8")).includes("BEGIN SOLUTION")) continue;
      if (!existsSync(released) || (await fs.stat(released)).mtimeMs < (await fs.stat(source)).mtimeMs) stale.push(source);
    }
    if (stale.length > 0) {
      const r = spawnSync("npx", ["tsx", path.join(ROOT, "scripts", "release.ts"), ...stale], { cwd: ROOT, stdio: "inherit" });
      if (r.status !== 0) throw new Error("`npm run release` failed: fix the defects it prints, then try again");
    }
  }
  await fs.mkdir(dir, { recursive: true });
  // What the course gave last time, per notebook: tells a course update from the student's own edits.
  const given = path.join(dir, COURSE_COPIES);
  await fs.mkdir(given, { recursive: true });
  const written: string[] = [];
  for (const name of names) {
    const target = path.join(dir, name);
    const released = path.join(release, name);
    const text = await fs.readFile(existsSync(released) ? released : path.join(notebooks, name), "utf8");
    if (!existsSync(released) && text.includes("BEGIN SOLUTION")) {
      throw new Error(`${name} has exercises but no student release in ${release}: run \`npm run release\``);
    }
    const previous = await fs.readFile(path.join(given, name), "utf8").catch(() => undefined);
    await fs.writeFile(path.join(given, name), text);
    if (!overwrite && existsSync(target)) {
      // The student's own work. A course update of it: replace it if the student never changed it (saved
      // unchanged by the course's tools counts as changed, to be safe), else put it beside as NAME.updated.ipynb.
      if (previous === undefined || previous === text) continue;
      if ((await fs.readFile(target, "utf8")) === previous) {
        await fs.writeFile(target, text);
        written.push(name);
      } else {
        const beside = name.replace(/\.ipynb$/, UPDATED_SUFFIX);
        await fs.writeFile(path.join(dir, beside), text);
        written.push(beside);
      }
      continue;
    }
    await fs.writeFile(target, text);
    written.push(name);
  }
  return written;
}
