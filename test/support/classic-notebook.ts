/**
 * Driving the classic Jupyter Notebook (6.x) in headless Chromium as a student would: open a notebook,
 * Run All, wait for the last cell, and read what every cell shows. Used by the browser tests.
 */
import type { Browser, Page } from "playwright-core";
import { launchChromium } from "../../scripts/lib/render";

/** What one code cell shows after Run All. */
export interface CellView {
  index: number;
  executionCount: number | null;
  /** Output types in order (stream, display_data, execute_result, error). */
  outputs: string[];
  /** The text of its error and stderr outputs. */
  errors: string[];
}

/** Launches headless Chromium (system, else the npm fallback) with the flags that work here; throws ChromiumMissingError without one. */
export async function launchBrowser(): Promise<Browser> {
  return launchChromium();
}

/** Opens `url` (a /notebooks/… page) and waits until its kernel is connected and idle. */
export async function openNotebook(page: Page, url: string, timeoutMs = 120_000): Promise<void> {
  await page.goto(url, { waitUntil: "domcontentloaded" });
  await page.waitForFunction(
    () => {
      const nb = (window as unknown as { Jupyter?: { notebook?: { kernel?: { is_connected(): boolean } } } }).Jupyter?.notebook;
      return nb?.kernel?.is_connected() === true;
    },
    undefined,
    { timeout: timeoutMs, polling: 250 },
  );
}

/** Every code cell's view now. */
export async function cellViews(page: Page): Promise<CellView[]> {
  return page.evaluate(() => {
    type Output = { output_type: string; name?: string; text?: string; ename?: string; evalue?: string };
    type Cell = { cell_type: string; input_prompt_number?: number | string | null; output_area: { outputs: Output[] } };
    const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): Cell[] } } }).Jupyter.notebook.get_cells();
    return cells
      .map((c, index) => ({ c, index }))
      .filter(({ c }) => c.cell_type === "code")
      .map(({ c, index }) => ({
        index,
        executionCount: typeof c.input_prompt_number === "number" ? c.input_prompt_number : null,
        outputs: c.output_area.outputs.map((o) => o.output_type),
        errors: c.output_area.outputs
          .filter((o) => o.output_type === "error" || o.name === "stderr")
          .map((o) => (o.output_type === "error" ? `${o.ename}: ${o.evalue}` : String(o.text))),
      }));
  });
}

/**
 * Cell > Run All, then waits until every code cell has run (an execution count, no `*`) or one shows an
 * error; returns every code cell's view. On a timeout the error lists the cells that had not run and any errors shown.
 */
export async function runAll(page: Page, timeoutMs = 300_000): Promise<CellView[]> {
  await page.evaluate(() => (window as unknown as { Jupyter: { notebook: { execute_all_cells(): void } } }).Jupyter.notebook.execute_all_cells());
  try {
    await page.waitForFunction(
      () => {
        // Done when every code cell has run, or at the first error (the kernel aborts the cells queued after it).
        type Cell = { cell_type: string; input_prompt_number?: number | string | null; output_area: { outputs: { output_type: string; name?: string }[] } };
        const cells = (window as unknown as { Jupyter: { notebook: { get_cells(): Cell[] } } }).Jupyter.notebook.get_cells();
        const failed = cells.some((c) => c.cell_type === "code" && c.output_area.outputs.some((o) => o.output_type === "error" || o.name === "stderr"));
        return failed || cells.every((c) => c.cell_type !== "code" || typeof c.input_prompt_number === "number");
      },
      undefined,
      { timeout: timeoutMs, polling: 500 },
    );
  } catch (e) {
    const views = await cellViews(page);
    const pending = views.filter((v) => v.executionCount === null).map((v) => v.index);
    const errors = views.flatMap((v) => v.errors.map((x) => `cell ${v.index}: ${x.slice(0, 300)}`));
    throw new Error(`Run All did not finish in ${timeoutMs / 1000} s: cells ${pending.join(", ")} had not run; errors shown: ${errors.join(" | ") || "none"}`);
  }
  return cellViews(page);
}

/** How many plotly plots the page has drawn (interactive, not the static fallback). */
export async function drawnPlots(page: Page): Promise<number> {
  return page.evaluate(() => document.querySelectorAll(".js-plotly-plot .main-svg").length);
}
