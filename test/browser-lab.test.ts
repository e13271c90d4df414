/**
 * `npm run test:browser:lab` (issue 22): every course notebook as a student runs it in JupyterLab — the
 * course's own JupyterLab 3.6 (lab/, built from npm, served by Debian's python3-jupyterlab-server),
 * driven in headless Chromium: open it (quick mode: QUICK = true injected), Run All, then the checks of
 * test/support/browser-checks.ts, the same as in the classic Notebook — every cell ran with no error or
 * stderr, every figure (named ones included) drawn as an interactive plotly plot, each cell's output
 * shown as the cell finished, the live training display changing while its cell runs, and the saved
 * notebook reopened in a fresh browser profile with all its plots drawn again. A screenshot of each
 * notebook after its run goes to build/screenshots/lab/. Then the same for 00_setup in JupyterLab
 * without plotly's renderer (as `pip install jupyterlab` alone gives it): the figures are drawn by their
 * own HTML and scripts, plotly.js loaded once per page from the kernelspec folder (kernelspecs/reti/: no nbextensions are served) (screenshot build/screenshots/lab-html/).
 * Builds lab/ first when it is not built (`.ci/run` builds it before the suite); skipped where
 * jupyterlab_server is not installed, or with RETI_SKIP_BROWSER=1. In the whole suite with a CI-sized
 * selection of notebooks (see `wanted`).
 */
import { promises as fs } from "node:fs";
import * as os from "node:os";
import * as path from "node:path";
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Browser } from "playwright-core";
import { prepareNotebook, readNotebook, writeNotebook } from "nbconvert-ts-runner";
import { buildLab, labBuilt, labPython } from "../scripts/lib/jupyterlab";
import { registerKernel } from "../scripts/lib/kernelspec";
import { runInBrowser, type NotebookFrontEnd } from "./support/browser-checks";
import { launchBrowser } from "./support/classic-notebook";
import { buildLibIfStale, notebooks, root } from "./support/course";
import { labFrontEnd, startLab, type LabServer } from "./support/jupyterlab";

const installed = labPython() !== null && process.env["RETI_SKIP_BROWSER"] !== "1";
/**
 * Which notebooks: every one under `npm run test:browser:lab`; RETI_BROWSER_NOTEBOOKS=00,05 (or `all`)
 * chooses. Inside the whole suite (`npm run test:all`, CI), where the classic browser test already runs all ten
 * notebooks (≈ 12 min), JupyterLab gets `SUITE`:
 * - 00_setup: the set-up every student runs first, its live training display right after the page's
 *   first figure (the plotly.js load stall), a named figure per kind (line chart, image grid, confusion
 *   matrix, decision regions), reopened drawn; and once more without plotly's renderer (figures drawn
 *   by their own HTML, plotly.js loaded from the kernelspec folder: JupyterLab as `pip install
 *   jupyterlab` alone gives it).
 * - 02_mlp: two live trainings well after plotly.js is loaded (live curves under plotly's renderer,
 *   which is what used to freeze at the first frame), 14 figures with decision regions and heatmaps,
 *   MNIST, reopened drawn; under a minute of Run All in quick mode.
 */
const SUITE = "00,02";
const wanted = process.env["RETI_BROWSER_NOTEBOOKS"] ?? (process.env["npm_lifecycle_event"] === "test:browser:lab" ? "all" : SUITE);
const only = wanted === "all" ? null : wanted.split(",").map((s) => s.trim()).filter((s) => s !== "");
const selected = notebooks.filter((n) => !only || only.some((o) => n.startsWith(o)));

// The quick-mode copies live in build/browser/<variant>/: inside the project, so that they resolve `reti`.
/** The course notebooks `names` in the course's JupyterLab with the plugins `disabled`, screenshots in build/screenshots/<variant>/. */
function labSuite(title: string, variant: string, names: string[], disabled: string[]): void {
  const work = path.join(root, "build", "browser", variant);
  const shots = path.join(root, "build", "screenshots", variant);
  describe.skipIf(!installed || names.length === 0)(title, () => {
    let server: LabServer;
    let browser: Browser;
    let ui: NotebookFrontEnd;
    let jupyterDir: string;

    beforeAll(async () => {
      await buildLibIfStale();
      if (!labBuilt()) buildLab({ quiet: true });
      jupyterDir = await fs.mkdtemp(path.join(os.tmpdir(), "reti-browser-lab-"));
      registerKernel(path.join(jupyterDir, "data"));
      await fs.rm(work, { recursive: true, force: true });
      await fs.mkdir(work, { recursive: true });
      await fs.mkdir(shots, { recursive: true });
      for (const name of names) {
        const { nb } = prepareNotebook(await readNotebook(path.join(root, "notebooks", name)), { QUICK: true });
        await writeNotebook(path.join(work, name), nb);
      }
      server = await startLab(root, jupyterDir, { disabled });
      browser = await launchBrowser();
      ui = labFrontEnd(server);
    }, 600_000);

    afterEach(async () => {
      // Closing a JupyterLab tab leaves its kernel running: one kernel at a time.
      await server?.shutdownKernels();
    });

    afterAll(async () => {
      await browser?.close();
      await server?.stop();
      if (jupyterDir) await fs.rm(jupyterDir, { recursive: true, force: true });
    });

    it.each(names)("%s: Run All shows every output in order, draws every figure, and reopens drawn", async (name) => {
      const stem = name.replace(/\.ipynb$/, "");
      const run = await runInBrowser(browser, ui, path.relative(root, path.join(work, name)), {
        screenshot: path.join(shots, `${stem}.png`),
        minNamedFigures: stem.startsWith("00") ? 0 : 1,
      });
      const saved = (await fs.stat(path.join(work, name))).size;
      console.log(`${variant} ${name}: ${run.cells.length} code cells, ${run.cells.reduce((n, c) => n + c.plots, 0)} plots, Run All ${run.seconds.toFixed(0)} s, saved ${(saved / 1e6).toFixed(2)} MB`);
      if (process.env["RETI_DEBUG"]) console.log(JSON.stringify({ stalls: run.stalls, cells: run.timeline.map((t, i) => ({ i, ...t, progress: run.cells[i]?.progress })) }));
      expect(run.problems).toEqual([]);
      expect(run.cells.length).toBeGreaterThan(3);
    }, 900_000);
  });
}

labSuite("the course notebooks in JupyterLab 3.6, in Chromium", "lab", selected, []);
labSuite(
  "00_setup in JupyterLab 3.6 without plotly's renderer (figures from their HTML), in Chromium",
  "lab-html",
  selected.filter((n) => n.startsWith("00")),
  ["@jupyterlab/plotly-extension:factory"],
);
