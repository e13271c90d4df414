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
import { browserSuite } from "./support/browser-suite";
import { classicFrontEnd, startClassicNotebook } from "./support/classic-notebook";
import { notebooks, root } from "./support/course";

const installed = spawnSync("jupyter-notebook", ["--version"], { stdio: "ignore" }).status === 0 && process.env["RETI_SKIP_BROWSER"] !== "1";
const only = process.env["RETI_BROWSER_NOTEBOOKS"]?.split(",").map((s) => s.trim());

browserSuite({
  title: "the course notebooks in the classic Notebook, in Chromium",
  variant: "classic",
  names: notebooks.filter((n) => !only || only.some((o) => n.startsWith(o))),
  installed,
  async start(jupyterDir) {
    const server = await startClassicNotebook(root, jupyterDir);
    return { ui: classicFrontEnd(server.url), stop: () => server.stop() };
  },
  notebookTimeoutMs: 1_500_000,
});
