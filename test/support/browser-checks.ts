/**
 * What a student must see when a course notebook runs in a real browser, whatever the front end
 * (issue 19): the classic Notebook adapter is in classic-notebook.ts; a JupyterLab one implements the
 * same `NotebookFrontEnd` and reuses everything here.
 *
 * A front end installs `window.__retiCells()` in the page: one `CellProbe` per code cell, read from its
 * own model and DOM. `startRecorder` then samples it every 100 ms inside the page (no round trips), so
 * the checks can say when each cell's first output appeared, when each cell finished, and whether the
 * live training display changed while its cell ran. Each check returns the problems it found (empty
 * when all is well), so a failure names the notebook, the cell and what was wrong.
 */
import type { Browser, Page } from "playwright-core";

/** One code cell as the front end shows it now (computed in the page). */
export interface CellProbe {
  /** Its execution count once it has run, null while queued, running or never run. */
  count: number | null;
  /** Queued or running (the classic `In [*]`, JupyterLab's `[*]`). */
  busy: boolean;
  /** How many outputs its model holds. */
  outputs: number;
  /** Error outputs and stderr text. */
  errors: string[];
  /** Outputs that hold a plotly figure (the plotly MIME type or a reti figure div). */
  figureOutputs: number;
  /** Names of its named figures (output metadata reti.figure). */
  figureNames: string[];
  /** Interactive plots drawn in its output area (plotly graph divs with an SVG). */
  plots: number;
  /** Figure placeholders still showing their "not drawn" text. */
  undrawn: string[];
  /** The texts of its live progress lines (.reti-progress). */
  progress: string[];
  /**
   * Where the front end can tell (JupyterLab: its output model's change signal), every distinct progress
   * line the cell's output held while it ran, recorded as each update was applied rather than sampled.
   */
  progressUpdates?: string[];
}

/** What the recorder saw of one code cell during the run (ms since the recorder started). */
export interface CellTimeline {
  firstOutputAt: number | null;
  doneAt: number | null;
  /** Distinct progress texts seen while the cell was busy. */
  progressWhileBusy: string[];
  /** The cell's CellProbe.progressUpdates, where the front end records them. */
  progressUpdates?: string[];
}

/** A main-thread stall of the page of 300 ms or more: when it began (ms since the recorder started) and how long it lasted. */
export interface PageStall {
  at: number;
  ms: number;
}

/** The front-end specific part: how to open, run, save a notebook and probe its cells. */
export interface NotebookFrontEnd {
  /** "classic" or "lab": the screenshots go to build/screenshots/<name>/. */
  name: string;
  /** The server's URL (no trailing slash), for its REST API (sessions). */
  baseUrl: string;
  /** The page URL of a notebook given its path relative to the server's root folder. */
  notebookUrl(relativePath: string): string;
  /** Loads the notebook page and waits until its kernel is connected and idle (`withKernel`), or only until it is rendered. */
  open(page: Page, url: string, withKernel: boolean): Promise<void>;
  /** Defines `window.__retiCells()` in the page (returns CellProbe[]). */
  installProbe(page: Page): Promise<void>;
  /** Starts Run All (returns at once). */
  runAll(page: Page): Promise<void>;
  /** Saves the notebook and waits until the server has it. */
  save(page: Page): Promise<void>;
  /** A PNG of the whole notebook (every cell, not only the visible part). */
  screenshot(page: Page, file: string): Promise<void>;
}

/** Every code cell's probe now. */
export async function probe(page: Page): Promise<CellProbe[]> {
  return page.evaluate(() => (window as unknown as { __retiCells(): CellProbe[] }).__retiCells());
}

/** Starts sampling the probe every 100 ms inside the page. */
export async function startRecorder(page: Page): Promise<void> {
  await page.evaluate(() => {
    type Probe = { count: number | null; busy: boolean; outputs: number; progress: string[]; progressUpdates?: string[] };
    type Rec = { firstOutputAt: number | null; doneAt: number | null; progressWhileBusy: string[]; progressUpdates?: string[] };
    const w = window as unknown as { __retiCells(): Probe[]; __retiTimeline?: Rec[]; __retiTimer?: number };
    const t0 = performance.now();
    const timeline: Rec[] = [];
    w.__retiTimeline = timeline;
    const sample = (): void => {
      const now = Math.round(performance.now() - t0);
      w.__retiCells().forEach((c, i) => {
        const rec = (timeline[i] ??= { firstOutputAt: null, doneAt: null, progressWhileBusy: [] });
        if (rec.firstOutputAt === null && c.outputs > 0) rec.firstOutputAt = now;
        if (rec.doneAt === null && c.count !== null && !c.busy) rec.doneAt = now;
        if (c.busy) for (const p of c.progress.map((x) => x.trim())) if (!rec.progressWhileBusy.includes(p)) rec.progressWhileBusy.push(p);
        rec.progressUpdates = c.progressUpdates;
      });
    };
    sample();
    w.__retiTimer = window.setInterval(sample, 100);
    // The page's main-thread stalls (what delays outputs and live updates), for RETI_DEBUG.
    const stalls: PageStall[] = [];
    (w as unknown as { __retiStalls: typeof stalls }).__retiStalls = stalls;
    try {
      new PerformanceObserver((list) => {
        for (const e of list.getEntries()) if (e.duration >= 300) stalls.push({ at: Math.round(e.startTime - t0), ms: Math.round(e.duration) });
      }).observe({ type: "longtask" });
    } catch {
      // No long-task timing in this browser.
    }
  });
}

/** The page's main-thread stalls of 300 ms or more since the recorder started (ms since then, and how long). */
export async function pageStalls(page: Page): Promise<PageStall[]> {
  return page.evaluate(() => (window as unknown as { __retiStalls?: PageStall[] }).__retiStalls ?? []);
}

/** Stops the recorder and returns what it saw. */
export async function stopRecorder(page: Page): Promise<CellTimeline[]> {
  return page.evaluate(() => {
    const w = window as unknown as { __retiTimeline?: CellTimeline[]; __retiTimer?: number };
    if (w.__retiTimer !== undefined) clearInterval(w.__retiTimer);
    return w.__retiTimeline ?? [];
  });
}

/** Waits until every code cell has run, or one shows an error; throws with the cells still pending on a timeout. */
export async function waitForRun(page: Page, timeoutMs: number): Promise<CellProbe[]> {
  try {
    await page.waitForFunction(
      () => {
        const cells = (window as unknown as { __retiCells(): { count: number | null; busy: boolean; errors: string[] }[] }).__retiCells();
        return cells.some((c) => c.errors.length > 0) || cells.every((c) => c.count !== null && !c.busy);
      },
      undefined,
      { timeout: timeoutMs, polling: 250 },
    );
  } catch {
    const cells = await probe(page);
    const pending = cells.flatMap((c, i) => (c.count === null || c.busy ? [i] : []));
    throw new Error(`Run All did not finish in ${timeoutMs / 1000} s: code cells ${pending.join(", ")} had not run`);
  }
  return probe(page);
}

/** Waits until every figure output is drawn (after a reload); returns the probes then, drawn or not. */
export async function waitForPlots(page: Page, timeoutMs: number): Promise<CellProbe[]> {
  await page
    .waitForFunction(
      () => (window as unknown as { __retiCells(): { figureOutputs: number; plots: number }[] }).__retiCells().every((c) => c.plots >= c.figureOutputs),
      undefined,
      { timeout: timeoutMs, polling: 250 },
    )
    .catch(() => {});
  return probe(page);
}

// ---------------------------------------------------------------------------------------------
// The checks: each returns the problems found.

/** Every code cell ran, and none shows an error or stderr. */
export function errorProblems(cells: CellProbe[]): string[] {
  return cells.flatMap((c, i) => [
    ...(c.count === null ? [`code cell ${i} did not run`] : []),
    ...c.errors.map((e) => `code cell ${i} shows an error: ${e.slice(0, 400)}`),
  ]);
}

/** Every figure output (named ones included) is drawn as an interactive plot; `minNamed` named figures at least. */
export function figureProblems(cells: CellProbe[], minNamed = 1): string[] {
  const problems = cells.flatMap((c, i) => [
    ...(c.plots < c.figureOutputs ? [`code cell ${i}: ${c.figureOutputs - c.plots} of ${c.figureOutputs} figures not drawn (${c.figureNames.join(", ") || "unnamed"})`] : []),
    ...c.undrawn.map((t) => `code cell ${i}: placeholder shown: ${t.slice(0, 200)}`),
  ]);
  const named = cells.reduce((n, c) => n + c.figureNames.length, 0);
  if (named < minNamed) problems.push(`${named} named figures, expected at least ${minNamed}`);
  return problems;
}

/**
 * Outputs reach the page as their cell finishes, not later (issue 19, item 1): a cell's first output
 * shows at most `slackMs` after the cell is marked done, and, when the next cell runs longer than
 * `slackMs`, before that next cell is done.
 */
export function orderProblems(timeline: CellTimeline[], slackMs = 5_000): string[] {
  const problems: string[] = [];
  timeline.forEach((t, i) => {
    if (t.firstOutputAt === null || t.doneAt === null) return;
    if (t.firstOutputAt > t.doneAt + slackMs) {
      problems.push(`code cell ${i}: first output ${((t.firstOutputAt - t.doneAt) / 1000).toFixed(1)} s after the cell finished`);
    }
    const next = timeline[i + 1];
    if (next?.doneAt != null && next.doneAt - t.doneAt > slackMs && t.firstOutputAt >= next.doneAt) {
      problems.push(`code cell ${i}: output appeared only when code cell ${i + 1} had finished (${(next.doneAt - t.doneAt) / 1000} s later)`);
    }
  });
  return problems;
}

/**
 * A training shorter than this cannot be watched: its display updates every 250 ms, the page samples every
 * 100 ms, and the page's own hiccups last a few hundred ms (a 0.7 s training in 03 was seen with one line).
 */
const WATCHABLE_S = 1.5;

/**
 * Where a live training display is shown, it changed while its cell ran: ≥ 2 distinct progress lines seen
 * in some live cell long enough to watch. A cell is too short to watch when its display's final line
 * (`done: N epochs · 0.7 s · …`) says it trained under WATCHABLE_S, or when the page saw it busy for a
 * moment under WATCHABLE_S (a 0.8 s training in 03 was seen so, with one line); with no cell left there
 * is nothing to judge. A cell that ran mostly inside a main-thread stall of the page (`stalls`: the one
 * when plotly.js is first evaluated lasts seconds on a loaded machine; nothing can be seen then; on a
 * quiet machine a one-second training can run whole inside it, and is seen only as done) counts as
 * updated when the front end applied ≥ 2 distinct intermediate progress lines to its output while it
 * ran (CellProbe.progressUpdates: the updates reached the output in place, one by one).
 */
export function liveProblems(cells: CellProbe[], timeline: CellTimeline[], stalls: PageStall[] = []): string[] {
  /** From the page seeing the cell before done to seeing this one done (ms since the recorder started). */
  const seenWindow = (i: number): { from: number; to: number } | null => {
    const from = timeline[i - 1]?.doneAt;
    const to = timeline[i]?.doneAt;
    return from == null || to == null ? null : { from, to };
  };
  const trainedSeconds = (c: CellProbe): number | null => {
    const m = /^done: \d+ epochs? · (\d+(?:\.\d+)?) s\b/.exec(c.progress.find((p) => p.startsWith("done")) ?? "");
    return m === null ? null : Number(m[1]);
  };
  const tooShortToWatch = (i: number): boolean => {
    const trained = trainedSeconds(cells[i]!);
    const seen = seenWindow(i);
    return (trained !== null && trained < WATCHABLE_S) || (seen !== null && seen.to > seen.from && seen.to - seen.from < WATCHABLE_S * 1000);
  };
  const live = cells.flatMap((c, i) => (c.progress.length > 0 && !tooShortToWatch(i) ? [i] : []));
  if (live.length === 0) return [];
  const stalled = (i: number): boolean => {
    const seen = seenWindow(i);
    if (seen === null) return false;
    // The cell may have started before the page saw the previous one done: when a stall ended up to 1 s
    // before that, the kernel ran both meanwhile, so the cell's run counts from that stall's start.
    const { to } = seen;
    const from = Math.min(seen.from, ...stalls.filter((s) => s.at + s.ms >= seen.from - 1_000 && s.at <= to).map((s) => s.at));
    const covered = stalls.reduce((ms, s) => ms + Math.max(0, Math.min(to, s.at + s.ms) - Math.max(from, s.at)), 0);
    return to > from && covered >= 0.5 * (to - from);
  };
  const intermediate = (i: number): number => (timeline[i]?.progressUpdates ?? []).filter((p) => !p.startsWith("done")).length;
  const updated = live.filter((i) => (timeline[i]?.progressWhileBusy.length ?? 0) >= 2 || (stalled(i) && intermediate(i) >= 2));
  if (updated.length > 0) return [];
  const seen = live.map((i) => {
    const window = seenWindow(i);
    const ran = window ? ` in ≈ ${((window.to - window.from) / 1000).toFixed(1)} s (seen done at ${window.to} ms, the cell before at ${window.from} ms)` : "";
    const lines = timeline[i]?.progressWhileBusy ?? [];
    return `cell ${i}: ${lines.length} distinct lines while busy${ran}${stalled(i) ? `, inside a page stall, ${intermediate(i)} intermediate updates applied` : ""} (${JSON.stringify(lines).slice(0, 300)})`;
  });
  return [`live displays never changed while their cell ran: ${seen.join("; ")} [page stalls (at, ms): ${JSON.stringify(stalls.map((x) => [x.at, x.ms]))}]`];
}

/** The run's figures drawn again after a reload in a fresh profile: same number of plots, no placeholder. */
export function reopenProblems(before: CellProbe[], after: CellProbe[]): string[] {
  const count = (cells: CellProbe[]): number => cells.reduce((n, c) => n + c.figureOutputs, 0);
  const problems = figureProblems(after, 0);
  if (count(after) !== count(before)) problems.push(`${count(before)} figure outputs before saving, ${count(after)} after reopening`);
  return problems;
}

/**
 * Shuts down the kernels of the notebook at `relativePath` through the server's REST API (the same in the
 * classic Notebook and jupyter_server): closing a page leaves its kernel running, and ten idle course
 * kernels hold gigabytes.
 */
export async function shutdownSessions(baseUrl: string, relativePath: string): Promise<void> {
  const sessions = (await fetch(`${baseUrl}/api/sessions`).then((r) => r.json())) as { id: string; path: string }[];
  for (const s of sessions.filter((x) => x.path === relativePath)) {
    await fetch(`${baseUrl}/api/sessions/${s.id}`, { method: "DELETE" });
  }
}

/** What one notebook's browser run found. */
export interface BrowserRun {
  cells: CellProbe[];
  timeline: CellTimeline[];
  reopened: CellProbe[];
  /** Seconds from Run All to the last cell done. */
  seconds: number;
  /** The page's main-thread stalls of 300 ms or more during the run (ms since Run All, and how long). */
  stalls: PageStall[];
  problems: string[];
}

/**
 * Opens the notebook at `relativePath`, Run All, records, screenshots it to `screenshot`, saves it, and
 * reopens it in a fresh browser context (a new profile: no cache, no IndexedDB); returns every problem.
 */
export async function runInBrowser(
  browser: Browser,
  ui: NotebookFrontEnd,
  relativePath: string,
  options: { screenshot?: string; timeoutMs?: number; minNamedFigures?: number } = {},
): Promise<BrowserRun> {
  const url = ui.notebookUrl(relativePath);
  const context = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  let cells: CellProbe[];
  let timeline: CellTimeline[];
  let seconds: number;
  let stalls: PageStall[] = [];
  const pageErrors: string[] = [];
  try {
    const page = await context.newPage();
    page.on("pageerror", (err) => pageErrors.push(err.message));
    await ui.open(page, url, true);
    await ui.installProbe(page);
    await startRecorder(page);
    const started = Date.now();
    await ui.runAll(page);
    cells = await waitForRun(page, options.timeoutMs ?? 900_000);
    seconds = (Date.now() - started) / 1000;
    // Let late updates land (a figure's draw is asynchronous), then read the final state.
    cells = await waitForPlots(page, 20_000);
    stalls = await pageStalls(page);
    timeline = await stopRecorder(page);
    if (options.screenshot) await ui.screenshot(page, options.screenshot);
    await ui.save(page);
  } finally {
    await context.close();
    await shutdownSessions(ui.baseUrl, relativePath).catch(() => {});
  }
  const fresh = await browser.newContext({ viewport: { width: 1280, height: 900 } });
  let reopened: CellProbe[];
  try {
    const page = await fresh.newPage();
    await ui.open(page, url, false);
    await ui.installProbe(page);
    reopened = await waitForPlots(page, 60_000);
  } finally {
    await fresh.close();
    await shutdownSessions(ui.baseUrl, relativePath).catch(() => {});
  }
  const problems = [
    ...errorProblems(cells),
    ...figureProblems(cells, options.minNamedFigures ?? 1),
    ...orderProblems(timeline),
    ...liveProblems(cells, timeline, stalls),
    ...reopenProblems(cells, reopened).map((p) => `after reopening: ${p}`),
    ...pageErrors.filter((e) => !/ResizeObserver/.test(e)).map((e) => `page error: ${e.slice(0, 300)}`),
  ];
  return { cells, timeline, reopened, seconds, stalls, problems };
}
