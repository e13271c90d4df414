/**
 * The browser test's skeleton, shared by the classic Notebook (test/browser.test.ts) and JupyterLab
 * (test/browser-lab.test.ts): quick-mode copies (QUICK = true injected) of the chosen course notebooks in
 * build/browser/<variant>/ (inside the project, so that they resolve `reti`), the course kernelspec in a
 * temporary Jupyter data folder, one Jupyter server and one headless Chromium for the suite, then for each
 * notebook Run All and the checks of `runInBrowser`, a screenshot in build/screenshots/<variant>/; at the end,
 * no kernel of the suite is left running.
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { prepareNotebook, readNotebook, writeNotebook } from "nbconvert-ts-runner";
import { registerKernel } from "../../scripts/lib/kernelspec";
import { runInBrowser, type NotebookFrontEnd } from "./browser-checks";
import { killLeftoverKernels, launchBrowser } from "./classic-notebook";
import { buildLibIfStale, root } from "./course";

/** A front end's server, started for a suite. */
export interface FrontEndServer {
  /** How the checks drive this front end. */
  ui: NotebookFrontEnd;
  /** Stops the server and its kernels. */
  stop(): Promise<void>;
  /** Runs after each notebook (JupyterLab: closing a tab leaves its kernel running). */
  afterEach?(): Promise<void>;
}

/** How one browser suite runs. */
export interface BrowserSuite {
  /** The describe block's title. */
  title: string;
  /** Names the folders build/browser/<variant>/ and build/screenshots/<variant>/. */
  variant: string;
  /** Course notebooks (file names in notebooks/) to run. */
  names: string[];
  /** False where the front end is not installed: the suite is skipped. */
  installed: boolean;
  /** Starts the front end's server with the Jupyter data folder `jupyterDir` (the course kernelspec in it). */
  start(jupyterDir: string): Promise<FrontEndServer>;
  /** Milliseconds for the set-up (default 300 s) and for each notebook (default 900 s). */
  setupTimeoutMs?: number;
  notebookTimeoutMs?: number;
}

/** Declares the suite: one test per notebook, "Run All shows every output in order, draws every figure, and reopens drawn". */
export function browserSuite(suite: BrowserSuite): void {
  const work = path.join(root, "build", "browser", suite.variant);
  const shots = path.join(root, "build", "screenshots", suite.variant);
  describe.skipIf(!suite.installed || suite.names.length === 0)(suite.title, () => {
    let server: FrontEndServer | undefined;
    let browser: Browser | undefined;
    let jupyterDir: string | undefined;

    beforeAll(async () => {
      await buildLibIfStale();
      jupyterDir = await fs.mkdtemp(path.join(os.tmpdir(), `reti-browser-${suite.variant}-`));
      registerKernel(path.join(jupyterDir, "data"));
      await fs.rm(work, { recursive: true, force: true });
      await fs.mkdir(work, { recursive: true });
      await fs.mkdir(shots, { recursive: true });
      for (const name of suite.names) {
        const { nb } = prepareNotebook(await readNotebook(path.join(root, "notebooks", name)), { QUICK: true });
        await writeNotebook(path.join(work, name), nb);
      }
      server = await suite.start(jupyterDir);
      browser = await launchBrowser();
    }, suite.setupTimeoutMs ?? 300_000);

    afterEach(async () => {
      await server?.afterEach?.();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      if (jupyterDir) {
        const left = killLeftoverKernels(jupyterDir);
        if (left > 0) console.warn(`${suite.variant}: killed ${left} kernel(s) left running after the server stopped`);
        await fs.rm(jupyterDir, { recursive: true, force: true });
      }
    });

    it.each(suite.names)("%s: Run All shows every output in order, draws every figure, and reopens drawn", async (name) => {
      const stem = name.replace(/\.ipynb$/, "");
      const run = await runInBrowser(browser!, server!.ui, path.relative(root, path.join(work, name)), {
        screenshot: path.join(shots, `${stem}.png`),
        minNamedFigures: stem.startsWith("00") ? 0 : 1,
      });
      const saved = (await fs.stat(path.join(work, name))).size;
      console.log(`${suite.variant} ${name}: ${run.cells.length} code cells, ${run.cells.reduce((n, c) => n + c.plots, 0)} plots, Run All ${run.seconds.toFixed(0)} s, saved ${(saved / 1e6).toFixed(2)} MB`);
      if (process.env["RETI_DEBUG"]) console.log(JSON.stringify({ stalls: run.stalls, cells: run.timeline.map((t, i) => ({ i, ...t, progress: run.cells[i]?.progress })) }));
      expect(run.problems).toEqual([]);
      expect(run.cells.length).toBeGreaterThan(3);
    }, suite.notebookTimeoutMs ?? 900_000);
  });
}
