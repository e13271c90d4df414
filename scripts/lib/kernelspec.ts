/**
 * The course's Jupyter kernelspec "TypeScript (reti)": the project's tslab with the runner package's
 * kernel preload, written where Jupyter looks for kernels. Used by `npm run lab` and `npm run hub`.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { homedir } from "node:os";
import { join } from "node:path";
import { tslabKernelSpec } from "nbconvert-ts-runner";
import { installPlotlyAsset, KERNEL_NAME } from "../../lib/src/display/display";
import { ROOT } from "./command";

const TSLAB_DIR = join(ROOT, "node_modules", "tslab");
const TSLAB = join(TSLAB_DIR, "bin", "tslab");

/**
 * The kernelspec: node (this one, by absolute path) running the project's tslab with the runner
 * package's kernel preload and polling file watcher (the kernel fixes, docs/runner.md).
 */
export function kernelSpec(node = process.execPath): object {
  return tslabKernelSpec("TypeScript (reti)", { node, tslabDir: TSLAB_DIR });
}

/** Jupyter's per-user data directory (as `jupyter --data-dir` computes it, without Python). */
export function jupyterDataDir(env: NodeJS.ProcessEnv = process.env, platform = process.platform, home = homedir()): string {
  if (env.JUPYTER_DATA_DIR) return env.JUPYTER_DATA_DIR;
  if (platform === "darwin") return join(home, "Library", "Jupyter");
  if (platform === "win32") return join(env.APPDATA ?? join(home, "AppData", "Roaming"), "jupyter");
  return join(env.XDG_DATA_HOME || join(home, ".local", "share"), "jupyter");
}

/**
 * Writes `<data dir>/kernels/reti/kernel.json` and the plotly.js that figures load from the server
 * (`<data dir>/nbextensions/reti/plotly-<version>.min.js`); returns the kernelspec's path.
 */
export function registerKernel(dataDir = jupyterDataDir()): string {
  if (!existsSync(TSLAB)) {
    throw new Error(`tslab is not installed at ${TSLAB}: run \`npm ci\` (or \`npm install\`) in ${ROOT} first`);
  }
  const dir = join(dataDir, "kernels", KERNEL_NAME);
  mkdirSync(dir, { recursive: true });
  const file = join(dir, "kernel.json");
  writeFileSync(file, `${JSON.stringify(kernelSpec(), null, 2)}\n`);
  installPlotlyAsset(dataDir);
  return file;
}


/**
 * The course's front-end settings for the classic Notebook, in a Jupyter config folder of the project
 * (build/jupyter-config/nbconfig/notebook.json) that `npm run lab` and the browser test put first on
 * JUPYTER_CONFIG_PATH, so the user's own config is left alone: long code lines wrap instead of being cut
 * off at the cell's edge (issue 19). Returns the folder.
 */
export function courseJupyterConfig(dir = join(ROOT, "build", "jupyter-config")): string {
  mkdirSync(join(dir, "nbconfig"), { recursive: true });
  writeFileSync(join(dir, "nbconfig", "notebook.json"), `${JSON.stringify({ CodeCell: { cm_config: { lineWrapping: true } } }, null, 2)}\n`);
  return dir;
}

/** `env` with the course's config folder first on JUPYTER_CONFIG_PATH. */
export function withCourseConfig(env: NodeJS.ProcessEnv): NodeJS.ProcessEnv {
  const path = [courseJupyterConfig(), env.JUPYTER_CONFIG_PATH].filter(Boolean).join(":");
  return { ...env, JUPYTER_CONFIG_PATH: path };
}
