/**
 * `npm run test:browser` (issue 19): every course notebook as a student runs it in Debian's classic
 * Jupyter Notebook (6.4, `apt-get install jupyter-notebook`) driven in headless Chromium: open it (quick
 * mode: QUICK = true injected), Run All, then the checks of test/support/browser-checks.ts — every cell
 * ran with no error or stderr, every figure (named ones included) drawn as an interactive plotly plot,
 * each cell's output shown as the cell finished and before the next long cell finished (outputs are not
 * held back), the live training display changing while its cell runs, and the saved notebook reopened
 * in a fresh browser profile with all its plots drawn again. A screenshot of each notebook after its run
 * goes to build/screenshots/classic/. Skipped where jupyter-notebook is not installed, or with RETI_SKIP_BROWSER=1.
 * RETI_BROWSER_NOTEBOOKS=01,05 runs only those.
 */
import { spawnSync } from "node:child_process";
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { prepareNotebook, readNotebook, writeNotebook } from "nbconvert-ts-runner";
import { registerKernel } from "../scripts/lib/kernelspec";
import { runInBrowser, type NotebookFrontEnd } from "./support/browser-checks";
import { classicFrontEnd, launchBrowser, startClassicNotebook, type ClassicServer } from "./support/classic-notebook";
import { buildLibIfStale, notebooks, root } from "./support/course";

const installed = spawnSync("jupyter-notebook", ["--version"], { stdio: "ignore" }).status === 0 && process.env["RETI_SKIP_BROWSER"] !== "1";
const only = process.env["RETI_BROWSER_NOTEBOOKS"]?.split(",").map((s) => s.trim());
const selected = notebooks.filter((n) => !only || only.some((o) => n.startsWith(o)));

/** Where the quick-mode copies live: inside the project, so that they resolve `reti` from its node_modules. */
const work = path.join(root, "build", "browser", "classic");
const shots = path.join(root, "build", "screenshots", "classic");

describe.skipIf(!installed)("the course notebooks in the classic Notebook, in Chromium", () => {
  let server: ClassicServer;
  let browser: Browser;
  let ui: NotebookFrontEnd;
  let jupyterDir: string;

  beforeAll(async () => {
    await buildLibIfStale();
    jupyterDir = await fs.mkdtemp(path.join(os.tmpdir(), "reti-browser-"));
    registerKernel(path.join(jupyterDir, "data"));
    await fs.rm(work, { recursive: true, force: true });
    await fs.mkdir(work, { recursive: true });
    await fs.mkdir(shots, { recursive: true });
    for (const name of selected) {
      const { nb } = prepareNotebook(await readNotebook(path.join(root, "notebooks", name)), { QUICK: true });
      await writeNotebook(path.join(work, name), nb);
    }
    server = await startClassicNotebook(root, jupyterDir);
    browser = await launchBrowser();
    ui = classicFrontEnd(server.url);
  }, 300_000);

  afterAll(async () => {
    await browser?.close();
    await server?.stop();
    if (jupyterDir) await fs.rm(jupyterDir, { recursive: true, force: true });
  });

  it.each(selected)("%s: Run All shows every output in order, draws every figure, and reopens drawn", async (name) => {
    const stem = name.replace(/\.ipynb$/, "");
    const run = await runInBrowser(browser, ui, path.relative(root, path.join(work, name)), {
      screenshot: path.join(shots, `${stem}.png`),
      minNamedFigures: stem.startsWith("00") ? 0 : 1,
    });
    const saved = (await fs.stat(path.join(work, name))).size;
    console.log(`${name}: ${run.cells.length} code cells, ${run.cells.reduce((n, c) => n + c.plots, 0)} plots, Run All ${run.seconds.toFixed(0)} s, saved ${(saved / 1e6).toFixed(2)} MB`);
    expect(run.problems).toEqual([]);
    expect(run.cells.length).toBeGreaterThan(3);
  }, 1_500_000);
});
