/**
 * Named figures in executed notebooks (issue 8): finding them, laying them out for slides or paper,
 * and getting the executed notebooks they come from (fresh copies in build/executed/ are reused,
 * the others are run with the runner). Used by `npm run figures`, `npm run html` and `--static`.
 *
 * A named figure is a display_data (or execute_result) output whose bundle holds the plotly JSON
 * (`application/vnd.plotly.v1+json`) and whose metadata carries `{"reti": {"figure": "<name>"}}`,
 * as lib/src/display/display.ts writes it for `show(figure)` with a `name`.
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { COLORS, FONT_FAMILY } from "../../lib/src/display/style";
import {
  executeNotebook,
  expandGlobs,
  failureReport,
  formatDuration,
  prepareNotebook,
  readNotebook,
  sourceText,
  writeNotebook,
  type Notebook,
  type Output,
  type ParamValue,
} from "nbconvert-ts-runner";
import { HELP, libBuildProblem, positiveNumber, ROOT } from "./command";
import { sharedRenderer, type FigureSpec, type Renderer } from "./render";

export type { FigureSpec };

/** The MIME type of a plotly figure in a notebook output. */
export const PLOTLY_MIME = "application/vnd.plotly.v1+json";

/** A named figure found in an executed notebook. */
export interface NamedFigure {
  /** The figure's name: the file name it is exported under (without extension). */
  name: string;
  spec: FigureSpec;
  /** The cell that showed it (1-based position among all cells). */
  cell: number;
}

/** What `findFigures` found. */
export interface FoundFigures {
  figures: NamedFigure[];
  /** Plotly outputs without a name (shown, but not exported). */
  unnamed: number;
  /** Problems worth telling the author, e.g. a name used twice. */
  warnings: string[];
}

const NAME_PATTERN = /^[A-Za-z0-9][A-Za-z0-9_-]*$/;

function isRich(o: Output): o is Extract<Output, { data: Record<string, unknown> }> {
  return o.output_type === "display_data" || o.output_type === "execute_result";
}

/** The plotly spec of an output, or undefined when it holds none. */
export function plotlySpec(o: Output): FigureSpec | undefined {
  if (!isRich(o)) return undefined;
  const spec = o.data[PLOTLY_MIME] as Partial<FigureSpec> | undefined;
  if (!spec || !Array.isArray(spec.data)) return undefined;
  return { data: spec.data, layout: spec.layout ?? {}, ...(spec.config ? { config: spec.config } : {}), ...(Array.isArray(spec.frames) ? { frames: spec.frames } : {}) };
}

/** The figure name in an output's metadata (`{"reti": {"figure": name}}`), if any. */
export function figureName(o: Output): string | undefined {
  if (!isRich(o)) return undefined;
  const name = (o.metadata?.["reti"] as { figure?: unknown } | undefined)?.figure;
  return typeof name === "string" ? name : undefined;
}

/**
 * Every named figure of an executed notebook, in order. A name used again gets a suffix (`-2`,
 * `-3`, …) and a warning, so no figure overwrites another; a name that is not a safe file name is
 * skipped with a warning. Lecture: all (figure export, issue 8).
 */
export function findFigures(nb: Notebook): FoundFigures {
  const figures: NamedFigure[] = [];
  const warnings: string[] = [];
  const seen = new Map<string, number>();
  let unnamed = 0;
  nb.cells.forEach((cell, i) => {
    if (cell.cell_type !== "code") return;
    for (const output of cell.outputs) {
      const spec = plotlySpec(output);
      if (!spec) continue;
      const name = figureName(output);
      if (name === undefined) {
        unnamed++;
        continue;
      }
      if (!NAME_PATTERN.test(name)) {
        warnings.push(`cell ${i + 1}: figure name ${JSON.stringify(name)} is not a file name (use letters, digits, "-", "_"); skipped`);
        continue;
      }
      const count = (seen.get(name) ?? 0) + 1;
      seen.set(name, count);
      const unique = count === 1 ? name : `${name}-${count}`;
      if (count > 1) warnings.push(`cell ${i + 1}: figure name "${name}" is used ${count} times; exported as "${unique}" (give each figure its own name)`);
      figures.push({ name: unique, spec, cell: i + 1 });
    }
  });
  return { figures, unnamed, warnings };
}

/** Size and type scale of exported figures. */
export interface Preset {
  /** Width and height in CSS pixels. */
  width: number;
  height: number;
  /** Device pixels per CSS pixel in PNGs. */
  scale: number;
  /** Base font size in CSS pixels (at most); every font of the figure is scaled by the same factor. */
  fontSize: number;
  /** Factor for line widths and marker sizes. */
  strokeScale: number;
}

/**
 * The export presets. `slide`: 16:9, 1600×900 at 2× (PNG 3200×1800), type for a projector
 * (28 px base font ≈ 1/32 of the height). `paper`: 800×500 at 2×, 14 px type, for documents.
 */
export const PRESETS: Readonly<Record<"slide" | "paper", Preset>> = {
  slide: { width: 1600, height: 900, scale: 2, fontSize: 28, strokeScale: 1.6 },
  paper: { width: 800, height: 500, scale: 2, fontSize: 14, strokeScale: 1 },
};

/** plotly's default font size and height, used when a figure sets none. */
const PLOTLY_FONT_SIZE = 12;
const PLOTLY_HEIGHT = 450;
/** The width a figure without one has in a notebook (it follows the page). */
const NOTEBOOK_WIDTH = 900;
/**
 * How much more room text may take, relative to the figure, than in the notebook. The layout's
 * gaps (between panels, around titles) are fractions of the figure, sized for the notebook's type:
 * text that grows faster than the figure would collide.
 */
const TEXT_ROOM = 1.15;

const round = (x: number) => Math.round(x * 100) / 100;

/** A copy of `value` with every `size` under a `*font` key multiplied by `k`. */
function scaleFonts(value: unknown, k: number): unknown {
  if (Array.isArray(value)) return value.map((v) => scaleFonts(v, k));
  if (typeof value !== "object" || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(value)) {
    if (/font$/i.test(key) && typeof v === "object" && v !== null && !Array.isArray(v)) {
      const font = { ...(v as Record<string, unknown>) };
      if (typeof font["size"] === "number") font["size"] = round(font["size"] * k);
      else if (Array.isArray(font["size"])) font["size"] = font["size"].map((s) => (typeof s === "number" ? round(s * k) : s));
      out[key] = font;
    } else {
      out[key] = scaleFonts(v, k);
    }
  }
  return out;
}

/** A copy of a trace with line widths and marker sizes multiplied by `k`. */
function scaleStrokes(trace: Record<string, unknown>, k: number): Record<string, unknown> {
  if (k === 1) return trace;
  const out = { ...trace };
  const line = out["line"] as Record<string, unknown> | undefined;
  if (line && typeof line["width"] === "number") out["line"] = { ...line, width: round(line["width"] * k) };
  const marker = out["marker"] as Record<string, unknown> | undefined;
  if (marker) {
    const m = { ...marker };
    if (typeof m["size"] === "number") m["size"] = round(m["size"] * k);
    const mline = m["line"] as Record<string, unknown> | undefined;
    if (mline && typeof mline["width"] === "number") m["line"] = { ...mline, width: round(mline["width"] * k) };
    out["marker"] = m;
  }
  return out;
}

/**
 * The figure laid out for export with `preset`: fixed size, every font scaled by one factor so the
 * base font has the preset's size (less for figures taller than the preset's proportions allow,
 * e.g. grids of panels, so text never grows faster than the figure and collides), margins scaled
 * with the type, strokes scaled, the course's font and colours where the figure sets none, and no
 * interactive chrome. Pure: the same spec and preset give the same bytes.
 * Lecture: all (figure export, issue 8).
 */
export function applyPreset(spec: FigureSpec, preset: Preset): FigureSpec {
  const layout = spec.layout;
  const font = (layout["font"] ?? {}) as Record<string, unknown>;
  const base = typeof font["size"] === "number" ? font["size"] : PLOTLY_FONT_SIZE;
  const width = typeof layout["width"] === "number" ? layout["width"] : NOTEBOOK_WIDTH;
  const height = typeof layout["height"] === "number" ? layout["height"] : PLOTLY_HEIGHT;
  const k = Math.min(preset.fontSize / base, TEXT_ROOM * Math.min(preset.width / width, preset.height / height));
  const scaled = scaleFonts(layout, k) as Record<string, unknown>;
  const margin = layout["margin"] as Record<string, unknown> | undefined;
  const out: Record<string, unknown> = {
    ...scaled,
    font: { family: FONT_FAMILY, color: "#222222", ...(scaled["font"] as object | undefined), size: round(base * k) },
    colorway: layout["colorway"] ?? [...COLORS],
    width: preset.width,
    height: preset.height,
    autosize: false,
  };
  if (margin) {
    out["margin"] = Object.fromEntries(Object.entries(margin).map(([key, v]) => [key, typeof v === "number" ? round(v * k) : v]));
  }
  const data = spec.data.map((trace) => scaleStrokes(scaleFonts(trace, k) as Record<string, unknown>, preset.strokeScale));
  return { data, layout: out, config: { staticPlot: true, displayModeBar: false } };
}

// ---------------------------------------------------------------------------------------------
// Static images in executed notebooks

/** Width in CSS pixels of the static image of a figure that sets none (a notebook's content width). */
const STATIC_WIDTH = 900;
/** Device pixels per CSS pixel of static images: sharp on high-density screens, small enough to store. */
const STATIC_SCALE = 1.5;

const FIGURE_DIV = /(<div id="[^"]*" class="reti-figure"[^>]*>)([^<]*)(<\/div>)/;

/**
 * The figure HTML of lib/src/display/display.ts with `png` (base64) in place of its text fallback, so the
 * picture shows where the drawing script does not run (the script clears it before drawing).
 * Unchanged when the HTML holds no figure element.
 */
export function htmlWithImage(html: string, png: string): string {
  return html.replace(FIGURE_DIV, (_, open: string, text: string, close: string) =>
    `${open}<img alt="${text}" src="data:image/png;base64,${png}" style="max-width:100%;height:auto">${close}`);
}

/**
 * A copy of an executed notebook in which every plotly output also holds a static PNG: as
 * `image/png` and inside its `text/html` fallback, so the figure reads where scripts do not run
 * (GitHub, untrusted notebooks, nbviewer). The PNG is the figure at its own height and the
 * notebook's width (900 CSS px) at 1.5×. Uses `renderer`, or the process's shared one.
 * Lecture: all (static images, issue 8).
 */
export async function withStaticImages(nb: Notebook, renderer?: Renderer): Promise<Notebook> {
  const out = structuredClone(nb);
  for (const cell of out.cells) {
    if (cell.cell_type !== "code") continue;
    for (const output of cell.outputs) {
      const spec = plotlySpec(output);
      if (!spec || !isRich(output)) continue;
      const width = typeof spec.layout["width"] === "number" ? spec.layout["width"] : STATIC_WIDTH;
      const height = typeof spec.layout["height"] === "number" ? spec.layout["height"] : 400;
      const png = (await (renderer ?? (await sharedRenderer())).renderFigure(
        { data: spec.data, layout: spec.layout, config: { staticPlot: true } },
        { format: "png", width, height, scale: STATIC_SCALE },
      )).toString("base64");
      output.data["image/png"] = png;
      const html = output.data["text/html"];
      if (typeof html === "string" || Array.isArray(html)) {
        output.data["text/html"] = htmlWithImage(Array.isArray(html) ? html.join("") : html, png);
      }
    }
  }
  return out;
}

// ---------------------------------------------------------------------------------------------
// Executed notebooks

/** How `figures` and `html` choose and run notebooks: their shared command-line options, parsed. */
export interface SelectionCli {
  patterns: string[];
  quick: boolean;
  rerun: boolean;
  jobs: number;
  out: string;
}

/** The `parseArgs` options behind SelectionCli (plus --help), for a command to extend with its own. */
export const SELECTION_OPTIONS = {
  quick: { type: "boolean" },
  rerun: { type: "boolean" },
  jobs: { type: "string" },
  out: { type: "string" },
  ...HELP,
} as const;

/** SelectionCli from parsed SELECTION_OPTIONS values; throws a usage message for a bad --jobs. */
export function selectionCli(
  values: { quick?: boolean; rerun?: boolean; jobs?: string; out?: string },
  positionals: string[],
  defaultOut: string,
): SelectionCli {
  const jobs = positiveNumber(values.jobs, "--jobs", true) ?? 2;
  return {
    patterns: positionals.length > 0 ? positionals : ["notebooks/*.ipynb"],
    quick: values.quick ?? false,
    rerun: values.rerun ?? false,
    jobs,
    out: values.out ?? defaultOut,
  };
}

/**
 * The notebooks named by paths and globs (e.g. `notebooks/0*.ipynb`), sorted within each glob,
 * without repeats; `unmatched` lists the globs that matched nothing and the paths that do not exist.
 */
export async function expandNotebooks(patterns: string[]): Promise<{ files: string[]; unmatched: string[] }> {
  const { files, unmatched } = await expandGlobs(patterns);
  const missing = await Promise.all(files.map((f) => fs.access(f).then(() => null, () => f)));
  return { files: files.filter((_, i) => missing[i] === null), unmatched: [...unmatched, ...missing.filter((f): f is string => f !== null)] };
}

/** A notebook's title: its first markdown heading, else the file name. */
export function notebookTitle(nb: Notebook, file: string): string {
  for (const cell of nb.cells) {
    if (cell.cell_type !== "markdown") continue;
    const heading = /^#{1,6}\s+(.+)$/m.exec(sourceText(cell.source));
    if (heading) return heading[1]!.trim();
  }
  return path.basename(file, ".ipynb");
}

/** How to get executed notebooks. */
export interface ExecuteOptions {
  /** Where executed copies live (default build/executed), keeping paths relative to the project. */
  executedDir?: string;
  /** The folder that notebook paths and `executedDir` are relative to (default: the current folder). */
  root?: string;
  /** Parameters to inject, e.g. `{ QUICK: true }`; a reused copy must have been run with the same ones. */
  params?: Record<string, ParamValue>;
  /** Run even when a fresh executed copy exists. */
  rerun?: boolean;
  /**
   * Folders whose files the outputs depend on: a copy older than any file in them is stale
   * (default: the lib's sources, lib/src, so a change of the plots' look is re-run).
   */
  dependsOn?: string[];
  /** Called with a line of progress. */
  log?: (line: string) => void;
}

/** An executed notebook and where it came from. */
export interface Executed {
  /** The source notebook, relative to the root. */
  source: string;
  /** The executed copy. */
  file: string;
  notebook: Notebook;
  /** True when an existing copy was reused. */
  reused: boolean;
  /** Why the run failed (the notebook's figures up to the failure are still there), or undefined. */
  failure?: string;
}

/** The source of a notebook's `injected-parameters` cell ("" when it has none). */
function injectedSource(nb: Notebook): string {
  const cell = nb.cells.find((c) => Array.isArray(c.metadata.tags) && c.metadata.tags.includes("injected-parameters"));
  return cell ? sourceText(cell.source) : "";
}

/** Whether an executed copy ran to its last code cell without errors. */
function ranClean(nb: Notebook): boolean {
  const code = nb.cells.filter((c) => c.cell_type === "code" && sourceText(c.source).trim() !== "");
  const last = code[code.length - 1];
  return code.every((c) => c.cell_type === "code" && !c.outputs.some((o) => o.output_type === "error")) &&
    (last === undefined || (last.cell_type === "code" && last.execution_count !== null));
}

/** The latest modification time of the files under `dirs` (0 when there are none). */
async function newestMtime(dirs: string[]): Promise<number> {
  let newest = 0;
  for (const dir of dirs) {
    const entries = await fs.readdir(dir, { recursive: true, withFileTypes: true }).catch(() => []);
    for (const entry of entries) {
      if (entry.isFile()) newest = Math.max(newest, (await fs.stat(path.join(entry.parentPath ?? entry.path, entry.name))).mtimeMs);
    }
  }
  return newest;
}

/**
 * The executed copy `file` of the notebook `source` when it can stand for a new run: newer than the
 * source and than `since` (ms), run to the end without errors, and with the same injected `params`;
 * else null. Lecture: all (figure export, issue 8).
 */
export async function reusableCopy(source: string, file: string, params: Record<string, ParamValue>, since: number): Promise<Notebook | null> {
  try {
    const [src, copy] = await Promise.all([fs.stat(source), fs.stat(file)]);
    if (copy.mtimeMs <= Math.max(src.mtimeMs, since)) return null;
    const nb = await readNotebook(file);
    const wanted = injectedSource(prepareNotebook(await readNotebook(source), params).nb);
    return ranClean(nb) && injectedSource(nb) === wanted ? nb : null;
  } catch {
    return null;
  }
}

/**
 * Executed copies of the given source notebooks, in order: a copy in `executedDir` newer than its
 * source and than the lib's sources (`dependsOn`), run cleanly with the same parameters, is reused;
 * the others are run (at most `jobs` at a time) and written there, as `npm run notebooks` does.
 * Lecture: all (figure export, issue 8).
 */
export async function executedNotebooks(sources: string[], options: ExecuteOptions = {}, jobs = 2): Promise<Executed[]> {
  const root = options.root ?? process.cwd();
  const executedDir = path.resolve(root, options.executedDir ?? path.join("build", "executed"));
  const params = options.params ?? {};
  const log = options.log ?? (() => {});
  const results: Executed[] = new Array(sources.length);
  const since = await newestMtime(options.dependsOn ?? [path.join(ROOT, "lib", "src")]);
  let checkedBuild = false;
  const queue = sources.map((s, i) => [s, i] as const);
  const worker = async () => {
    for (let item = queue.shift(); item; item = queue.shift()) {
      const [source, i] = item;
      const abs = path.resolve(root, source);
      const rel = path.relative(root, abs);
      const file = path.join(executedDir, rel.startsWith("..") ? path.basename(abs) : rel);
      const fresh = options.rerun ? null : await reusableCopy(abs, file, params, since);
      if (fresh) {
        log(`${rel}: reusing ${path.relative(root, file)}`);
        results[i] = { source: rel, file, notebook: fresh, reused: true };
        continue;
      }
      if (!checkedBuild) {
        checkedBuild = true;
        const problem = await libBuildProblem();
        if (problem) throw new Error(`cannot run the notebooks: ${problem}`);
      }
      log(`${rel}: running${Object.keys(params).length ? ` with ${JSON.stringify(params)}` : ""}`);
      const run = await executeNotebook(await readNotebook(abs), { path: abs, params });
      await writeNotebook(file, run.notebook);
      const failure = run.ok ? undefined : failureReport(run, rel).join("\n");
      log(`${rel}: ${run.ok ? "ran" : "FAILED"} in ${formatDuration(run.durationMs)}`);
      results[i] = { source: rel, file, notebook: run.notebook, reused: false, ...(failure ? { failure } : {}) };
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, Math.min(jobs, sources.length)) }, worker));
  return results;
}
