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
import { buildLab, labBuilt, labPython } from "../scripts/lib/jupyterlab";
import { browserSuite } from "./support/browser-suite";
import { notebooks, root } from "./support/course";
import { labFrontEnd, startLab } from "./support/jupyterlab";

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

/** The course notebooks `names` in the course's JupyterLab with the plugins `disabled`, screenshots in build/screenshots/<variant>/. */
function labSuite(title: string, variant: string, names: string[], disabled: string[]): void {
  browserSuite({
    title,
    variant,
    names,
    installed,
    async start(jupyterDir) {
      if (!labBuilt()) buildLab({ quiet: true });
      const server = await startLab(root, jupyterDir, { disabled });
      // Closing a JupyterLab tab leaves its kernel running: one kernel at a time.
      return { ui: labFrontEnd(server), stop: () => server.stop(), afterEach: () => server.shutdownKernels() };
    },
    setupTimeoutMs: 600_000,
  });
}

labSuite("the course notebooks in JupyterLab 3.6, in Chromium", "lab", selected, []);
labSuite(
  "00_setup in JupyterLab 3.6 without plotly's renderer (figures from their HTML), in Chromium",
  "lab-html",
  selected.filter((n) => n.startsWith("00")),
  ["@jupyterlab/plotly-extension:factory"],
);
