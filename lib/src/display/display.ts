/**
 * `show(x)`: rich output in a tslab notebook for figures, polars DataFrames, images and markdown,
 * and a readable text summary anywhere else (plain node, tests, scripts). Every notebook.
 *
 * A figure is ONE display_data output whose MIME bundle holds the plotly JSON
 * (`application/vnd.plotly.v1+json`, drawn by JupyterLab's plotly renderer where installed), HTML that
 * draws it offline (plotly.js loaded once per page from the Jupyter server — the classic Notebook's
 * `nbextensions/reti/`, else the course kernelspec's own folder `kernelspecs/reti/`, which every Jupyter
 * server serves — then from the browser's cache; in JupyterLab and in the classic notebook with
 * require.js) and a one-line text description. A live figure (updated in place) is HTML and text only:
 * plotly's JupyterLab renderer keeps the first frame of an updated output. A saved notebook holds no copy
 * of plotly.js (issue 19: 5–10 MB notebooks before). tslab's public display API sends one MIME type per
 * output, so whole bundles go through `runtime/tslab`.
 */
import { createHash } from "crypto";
import { copyFileSync, existsSync, mkdirSync, readFileSync, renameSync } from "fs";
import { homedir } from "os";
import { join as pathJoin } from "path";
import { inspect } from "util";
import { createRequire } from "module";
import { type DisplayBundle, displayBundle, inKernel } from "../runtime/tslab";
import type { Figure } from "./style";
import type { GrayImage } from "./images";
import { titleText } from "./spec";
import { imagePng, type ImageOptions, type PixelImage } from "./png";

const nodeRequire: NodeRequire = typeof require === "function" ? require : createRequire(`${process.cwd()}/`);

// ---------------------------------------------------------------------------------------------
// Figures

const PLOTLY_MIME = "application/vnd.plotly.v1+json";
const PLOTLY_CONFIG = { responsive: true, displaylogo: false };
const EMBEDDED = Symbol.for("reti.display.plotlyEmbedded");

/** Escapes text for an inline <script> (no "</script>", no line separators that break JS strings). */
function scriptSafe(s: string): string {
  return s.replace(/<\/(script)/gi, "<\\/$1").replace(/<!--/g, "<\\!--").replace(/\u2028/g, "\\u2028").replace(/\u2029/g, "\\u2029");
}

/** Escapes text for HTML content and attribute values. Every notebook (display). */
export function escapeHtml(s: string): string {
  return s.replace(/[&<>"']/g, (c) => ({ "&": "&amp;", "<": "&lt;", ">": "&gt;", '"': "&quot;", "'": "&#39;" })[c]!);
}

/**
 * The plotly.js bundle the course ships: the cartesian one (the scatter, bar, contour, heatmap and image traces
 * the lib draws, 1.3 MB instead of the full 4.8 MB a page must evaluate).
 */
const PLOTLY_PACKAGE = "plotly.js-cartesian-dist-min";

/** The file of that bundle in node_modules, for the kernel, the figure export and the HTML export. Every notebook (display). */
export function plotlyJsPath(): string {
  return nodeRequire.resolve(PLOTLY_PACKAGE);
}

/** plotly.js's version, the key under which pages cache the library. */
function plotlyVersion(): string {
  return (nodeRequire(`${PLOTLY_PACKAGE}/package.json`) as { version: string }).version;
}

/** Where Jupyter serves plotly.js from: `<base url>nbextensions/<PLOTLY_ASSET_DIR>/<plotlyAssetName()>`. Every notebook (display). */
export const PLOTLY_ASSET_DIR = "reti";

/**
 * The course kernelspec's name: its folder `<data dir>/kernels/reti/` also holds plotly.js, served by
 * every Jupyter server (classic Notebook, jupyter_server's JupyterLab and Notebook 7) at
 * `<base url>kernelspecs/reti/<file>`, so figures draw where no nbextensions are served. Every notebook (display).
 */
export const KERNEL_NAME = "reti";

/** The served file's name, versioned so that a page never mixes two plotly.js versions. Every notebook (display). */
export function plotlyAssetName(): string {
  return `plotly-cartesian-${plotlyVersion()}.min.js`;
}

/** Copies plotly.js to `dir/<plotlyAssetName()>` unless it is there already (atomically); returns the file. */
function copyPlotly(dir: string): string {
  const file = pathJoin(dir, plotlyAssetName());
  if (!existsSync(file)) {
    mkdirSync(dir, { recursive: true });
    const tmp = `${file}.${process.pid}.tmp`;
    copyFileSync(plotlyJsPath(), tmp);
    renameSync(tmp, file);
  }
  return file;
}

/**
 * Copies plotly.js to `<dataDir>/nbextensions/reti/plotly-cartesian-<version>.min.js` (where the classic Notebook,
 * and JupyterLab through nbclassic, serve static files at `/nbextensions/`) and, when the course
 * kernelspec is registered there, beside its kernel.json (`<dataDir>/kernels/reti/`, served by every
 * Jupyter server at `kernelspecs/reti/`: JupyterLab without nbclassic), unless they are there already;
 * returns the nbextensions file. `npm run lab` and `npm run hub` call it when they register the kernel,
 * and the kernel itself before its first figure. Every notebook (display).
 */
export function installPlotlyAsset(dataDir: string): string {
  const file = copyPlotly(pathJoin(dataDir, "nbextensions", PLOTLY_ASSET_DIR));
  const kernelDir = pathJoin(dataDir, "kernels", KERNEL_NAME);
  if (existsSync(pathJoin(kernelDir, "kernel.json"))) copyPlotly(kernelDir);
  return file;
}

/** Jupyter's per-user data folder as Jupyter computes it (JUPYTER_DATA_DIR, else XDG, else ~/.local/share/jupyter). */
function jupyterDataDir(): string {
  const env = process.env;
  if (env["JUPYTER_DATA_DIR"]) return env["JUPYTER_DATA_DIR"];
  if (process.platform === "darwin") return pathJoin(homedir(), "Library", "Jupyter");
  if (process.platform === "win32") return pathJoin(env["APPDATA"] ?? pathJoin(homedir(), "AppData", "Roaming"), "jupyter");
  return pathJoin(env["XDG_DATA_HOME"] || pathJoin(homedir(), ".local", "share"), "jupyter");
}

const ASSET_CHECKED = Symbol.for("reti.display.plotlyAssetChecked");

/**
 * Once per kernel session, before the first figure: makes sure the served plotly.js file exists in the
 * user's Jupyter data folder (so a kernel registered before a plotly.js update still draws). Failures (a
 * read-only home, the grader's sandbox) are ignored: the page then says how to install it.
 */
function ensurePlotlyAsset(): void {
  const g = globalThis as Record<symbol, unknown>;
  if (g[ASSET_CHECKED]) return;
  g[ASSET_CHECKED] = true;
  try {
    installPlotlyAsset(jupyterDataDir());
  } catch {
    // The figure's loader reports what is missing.
  }
}

/**
 * The page-side plotly.js loader, defined once per page by whichever figure runs first:
 * `window.__retiPlotly()` resolves with window.Plotly, taken from (1) the page, (2) the browser's cache
 * (IndexedDB, per Jupyter server origin), (3) the Jupyter server, which serves the files
 * installPlotlyAsset wrote at `<base url>nbextensions/reti/plotly-cartesian-<version>.min.js` (classic Notebook,
 * nbclassic) or, failing that, `<base url>kernelspecs/reti/plotly-cartesian-<version>.min.js` (any Jupyter server:
 * JupyterLab without nbclassic, the course's JupyterLab 3.6). The source runs with `define` hidden so
 * that it sets window.Plotly even where require.js is present (classic notebook).
 */
function loaderScript(): string {
  const key = JSON.stringify(`plotly.js-${plotlyVersion()}`);
  const assets = JSON.stringify([`nbextensions/${PLOTLY_ASSET_DIR}/${plotlyAssetName()}`, `kernelspecs/${KERNEL_NAME}/${plotlyAssetName()}`]);
  return (
    `  if (!window.__retiPlotly) window.__retiPlotly = (function () {\n` +
    `    var loading = null;\n` +
    `    function db(then) { try { var rq = indexedDB.open("reti", 1);\n` +
    `      rq.onupgradeneeded = function () { rq.result.createObjectStore("lib"); };\n` +
    `      rq.onsuccess = function () { then(rq.result); }; rq.onerror = function () { then(null); }; } catch (e) { then(null); } }\n` +
    `    function fromCache() { return new Promise(function (ok) { if (!window.indexedDB) return ok(null);\n` +
    `      db(function (d) { if (!d) return ok(null); try { var g = d.transaction("lib").objectStore("lib").get(${key});\n` +
    `        g.onsuccess = function () { ok(g.result || null); }; g.onerror = function () { ok(null); }; } catch (e) { ok(null); } }); }); }\n` +
    `    function store(src) { if (window.indexedDB) db(function (d) { try { if (d) d.transaction("lib", "readwrite").objectStore("lib").put(src, ${key}); } catch (e) {} }); }\n` +
    `    function base() { var b = document.body && document.body.getAttribute("data-base-url");\n` +
    `      if (!b) { try { b = JSON.parse(document.getElementById("jupyter-config-data").textContent).baseUrl; } catch (e) {} }\n` +
    `      b = b || "/"; return b.charAt(b.length - 1) === "/" ? b : b + "/"; }\n` +
    `    function fetchText(url) { return fetch(url, { credentials: "same-origin" }).then(function (r) {\n` +
    `      if (!r.ok) throw new Error(url + " answered " + r.status); return r.text(); }); }\n` +
    `    function fromServer() { var urls = ${assets}.map(function (a) { return base() + a; });\n` +
    `      var tried = fetchText(urls[0]);\n` +
    `      for (var i = 1; i < urls.length; i++) (function (url) { tried = tried.catch(function (e1) {\n` +
    `        return fetchText(url).catch(function (e2) { throw new Error(e1.message + "; " + e2.message); }); }); })(urls[i]);\n` +
    `      return tried.then(function (src) { store(src); return src; }); }\n` +
    `    function run(src) { var s = document.createElement("script");\n` +
    `      s.text = "(function (define, module, exports) {\\n" + src + "\\n}).call(window, undefined, undefined, undefined);";\n` +
    `      document.head.appendChild(s); if (!window.Plotly) throw new Error("plotly.js did not define window.Plotly"); return window.Plotly; }\n` +
    `    return function () {\n` +
    `      if (window.Plotly) return Promise.resolve(window.Plotly);\n` +
    `      if (!loading) loading = fromCache().then(function (src) { return src || fromServer(); }).then(run);\n` +
    `      return loading;\n` +
    `    };\n` +
    `  })();\n`
  );
}

/**
 * plotly.js (the cartesian bundle, `PLOTLY_PACKAGE`) as an inline <script> that defines
 * `window.Plotly` even where require.js is present (the classic notebook): the bundle's UMD header
 * would otherwise hand it to require.js. For self-contained pages (the HTML export) and
 * RETI_PLOTLY=embed; notebook figures load it from the Jupyter server instead. Every notebook (display).
 */
export function plotlyScript(): string {
  const source = readFileSync(plotlyJsPath(), "utf8");
  return `<script type="text/javascript">(function (define, module, exports) {\n${scriptSafe(source)}\n}).call(window, undefined, undefined, undefined);</script>`;
}

/** A one-line description of a figure, for text-only front ends and logs. Every notebook (display). */
export function describeFigure(fig: Figure): string {
  const types = [...new Set(fig.data.map((t) => t.type ?? "scatter"))].join("/");
  const names = fig.data.map((t) => t.name).filter((n): n is string => typeof n === "string");
  const title = titleText(fig.layout);
  return (
    `[figure${fig.name ? ` "${fig.name}"` : ""}${title ? `: ${title}` : ""} — ${fig.data.length} ${types} trace` +
    `${fig.data.length === 1 ? "" : "s"}${names.length ? ` (${[...new Set(names)].join(", ")})` : ""}]`
  );
}

/** Significant digits kept of the non-integer numbers in a saved figure (beyond what a plot can show). Every notebook (display). */
export const FIGURE_DIGITS = 6;

/**
 * A figure spec as JSON with every non-integer number rounded to FIGURE_DIGITS significant digits, and
 * typed arrays as plain arrays: a saved figure's data shrinks to about half (0.1234567890123456 → 0.123457)
 * and nothing visible changes. Every notebook (display).
 */
export function compactJson(x: unknown): string {
  return JSON.stringify(x, (key, v: unknown) => {
    if (typeof v === "number") return Number.isInteger(v) || !Number.isFinite(v) ? v : Number(v.toPrecision(FIGURE_DIGITS));
    if (ArrayBuffer.isView(v) && !(v instanceof DataView)) v = Array.from(v as unknown as ArrayLike<number>);
    if (DATA_ARRAY_KEYS.has(key) && Array.isArray(v)) return binaryArray(v) ?? v;
    return v;
  });
}

/** Trace keys whose long numeric arrays travel as plotly's binary arrays (data_array attributes). */
const DATA_ARRAY_KEYS = new Set(["x", "y", "z"]);
/** Arrays shorter than this stay plain JSON (readable, and not worth it). */
const BINARY_MIN = 256;

/**
 * A long array (or matrix, rows of equal length) of finite numbers as plotly.js's typed-array spec
 * `{ dtype, bdata, shape }` (plotly.js ≥ 2.28; what plotly.py sends): the smallest integer type that holds
 * it, else float32. A 100 × 100 decision grid is 13 kB of base64 instead of ≈ 100 kB of indented JSON in
 * the saved notebook. undefined when the array does not qualify. Every notebook (display).
 */
function binaryArray(v: unknown[]): { dtype: string; bdata: string; shape?: string } | undefined {
  const matrix = v.length > 0 && Array.isArray(v[0]);
  const rows = matrix ? (v as unknown[][]) : [v];
  const cols = rows[0]!.length;
  if (rows.length * cols < BINARY_MIN || rows.some((r) => !Array.isArray(r) || r.length !== cols)) return undefined;
  let lo = Infinity;
  let hi = -Infinity;
  let integer = true;
  for (const r of rows) {
    for (const e of r) {
      if (typeof e !== "number" || !Number.isFinite(e)) return undefined;
      if (e < lo) lo = e;
      if (e > hi) hi = e;
      if (integer && !Number.isInteger(e)) integer = false;
    }
  }
  const types: [string, new (n: number) => ArrayLike<number> & { buffer: ArrayBufferLike; [i: number]: number }, number, number][] = [
    ["u1", Uint8Array, 0, 255], ["i1", Int8Array, -128, 127], ["u2", Uint16Array, 0, 65535], ["i2", Int16Array, -32768, 32767],
    ["u4", Uint32Array, 0, 4294967295], ["i4", Int32Array, -2147483648, 2147483647],
  ];
  const [dtype, Type] = (integer ? types.find(([, , min, max]) => lo >= min && hi <= max) : undefined) ?? ["f4", Float32Array];
  const out = new Type(rows.length * cols);
  let k = 0;
  for (const r of rows) for (const e of r as number[]) out[k++] = e;
  const bdata = Buffer.from(out.buffer).toString("base64");
  return matrix ? { dtype, bdata, shape: `${rows.length},${cols}` } : { dtype, bdata };
}

/** Stable element id for a figure: a hash of its spec and its position in the session. */
function elementId(json: string, counter: number): string {
  return `reti-fig-${createHash("sha1").update(`${counter}\n${json}`).digest("hex").slice(0, 16)}`;
}

let figureCounter = 0;

/** What a figure says where plotly.js could be neither found in the page or its cache nor fetched from the server. Every notebook (display). */
export const PLOTLY_MISSING =
  "plotly.js could not be loaded: run `npm run lab -- --register-only` in the course folder once (it installs plotly.js where Jupyter serves it), then reload this page";

/**
 * What the figure's placeholder says after its description, seen where the drawing script did not run:
 * Jupyter runs no script of a notebook opened from disk until it is trusted. Every notebook (display).
 */
export const FIGURE_HINT =
  " · Not drawn: this notebook is not trusted (File > Trust Notebook, then reload the page; in JupyterLab, Trust Notebook from the command palette, Ctrl+Shift+C) or this output was saved without its plot; run the cell again.";

/**
 * HTML that draws `fig` with plotly.js once `window.Plotly` exists (loading it from the page's cache,
 * or waiting up to 20 s for an earlier output to load it). Where scripts do not run, the div shows
 * the description.
 * With `includePlotly`, the library is embedded first. Every notebook (display).
 */
export function figureHtml(fig: Figure, options: { includePlotly?: boolean; id?: string } = {}): string {
  const spec = compactJson({ data: fig.data, layout: fig.layout, config: PLOTLY_CONFIG, ...(fig.frames ? { frames: fig.frames } : {}) });
  const id = options.id ?? elementId(spec, figureCounter);
  const height = typeof fig.layout.height === "number" ? fig.layout.height : 400;
  const draw =
    `<script type="text/javascript">(function () {\n` +
    `  var spec = ${scriptSafe(spec)};\n` +
    `  function each(f) { var els = document.querySelectorAll('div[id="${id}"]'); for (var i = 0; i < els.length; i++) f(els[i]); }\n` +
    `  function draw(Plotly) {\n` +
    `    each(function (el) {\n` +
    `      if (el.getAttribute("data-drawn")) return;\n` +
    `      el.setAttribute("data-drawn", "1"); el.textContent = "";\n` +
    `      Plotly.newPlot(el, spec.data, spec.layout, spec.config)\n` +
    `        .then(function (gd) { if (spec.frames) return Plotly.addFrames(gd, spec.frames); });\n` +
    `    });\n` +
    `  }\n` +
    `  if (window.Plotly) { draw(window.Plotly); return; }\n` +
    loaderScript() +
    `  window.__retiPlotly().then(draw, function (err) {\n` +
    `    var msg = ${scriptSafe(JSON.stringify(PLOTLY_MISSING))} + " (" + err.message + ")";\n` +
    `    each(function (el) {\n` +
    `      if (el.querySelector("img")) { el.style.height = "auto"; var p = document.createElement("div"); p.style.fontSize = "smaller"; p.textContent = msg; el.appendChild(p); }\n` +
    `      else el.textContent = msg;\n` +
    `    });\n` +
    `  });\n` +
    `})();</script>`;
  const div = `<div id="${id}" class="reti-figure" style="width:100%;height:${height}px">${escapeHtml(describeFigure(fig) + FIGURE_HINT)}</div>`;
  return `${options.includePlotly ? plotlyScript() : ""}${div}\n${draw}`;
}

/**
 * The output bundle of a figure: plotly JSON (unless `plotlyJson: false`), HTML (with plotly.js embedded
 * when `embedPlotly`) and text; metadata `{"reti": {"figure": name}}` when the figure is named. Every notebook (display).
 */
export function figureBundle(fig: Figure, options: { embedPlotly?: boolean; plotlyJson?: boolean } = {}): DisplayBundle {
  const html = figureHtml(fig, { includePlotly: options.embedPlotly === true });
  figureCounter++;
  const json = options.plotlyJson === false ? {} : { [PLOTLY_MIME]: JSON.parse(compactJson({ data: fig.data, layout: fig.layout, config: PLOTLY_CONFIG, ...(fig.frames ? { frames: fig.frames } : {}) })) as unknown };
  return {
    data: {
      ...json,
      "text/html": html,
      "text/plain": describeFigure(fig),
    },
    metadata: fig.name === undefined ? {} : { reti: { figure: fig.name } },
  };
}

/**
 * Shows a figure. In a kernel its HTML loads plotly.js from the Jupyter server (installed there on the
 * session's first figure), so a saved notebook holds only the figures' data; RETI_PLOTLY=embed embeds
 * the library (1.3 MB) in the session's first figure output instead, for a front end that serves
 * neither nbextensions nor kernelspec files. `displayId`/`update` make it a live output that later calls
 * replace: HTML and text only, no plotly JSON, since plotly's JupyterLab renderer ignores the data of an
 * update (the figure would stay at its first frame) and its HTML redraws on every update. Every notebook (display).
 */
export function showFigure(fig: Figure, options: { displayId?: string; update?: boolean } = {}): void {
  const g = globalThis as Record<symbol, unknown>;
  const kernel = inKernel();
  if (kernel) ensurePlotlyAsset();
  const embed = kernel && process.env["RETI_PLOTLY"] === "embed" && !g[EMBEDDED];
  const live = options.displayId !== undefined;
  // A live output is replaced by its updates, so it cannot hold the library: it gets its own output.
  if (embed && live) displayBundle({ data: { "text/html": plotlyScript() }, metadata: {} });
  const bundle = figureBundle(fig, { embedPlotly: embed && !live, plotlyJson: !live });
  if (live) bundle.transient = { display_id: options.displayId };
  displayBundle(bundle, options.update === true);
  if (embed) g[EMBEDDED] = true;
}

// ---------------------------------------------------------------------------------------------
// Images

function isPng(x: unknown): x is Uint8Array {
  return x instanceof Uint8Array && x.length > 8 && x[0] === 0x89 && x[1] === 0x50 && x[2] === 0x4e && x[3] === 0x47;
}

function pngSize(png: Uint8Array): [number, number] {
  const b = Buffer.from(png.buffer, png.byteOffset, png.byteLength);
  return [b.readUInt32BE(16), b.readUInt32BE(20)];
}

function pngBundle(png: Uint8Array, caption?: string): DisplayBundle {
  const [w, h] = pngSize(png);
  return {
    data: {
      "image/png": Buffer.from(png.buffer, png.byteOffset, png.byteLength).toString("base64"),
      "text/plain": `[image ${w}×${h}${caption ? `: ${caption}` : ""}]`,
    },
    metadata: {},
  };
}

// ---------------------------------------------------------------------------------------------
// Tables and markdown

/** What `show` needs of a nodejs-polars DataFrame. */
interface TableLike {
  height: number;
  width: number;
  head(n: number): { toHTML(): string };
  toString(): string;
}

function isTable(x: object): x is TableLike {
  const t = x as Partial<TableLike> & { toHTML?: unknown };
  return typeof t.toHTML === "function" && typeof t.head === "function" && typeof t.height === "number" && typeof t.width === "number";
}

const TABLE_ROWS = 50;

function tableBundle(df: TableLike): DisplayBundle {
  const shown = Math.min(df.height, TABLE_ROWS);
  const more = df.height > shown ? `, first ${shown} shown` : "";
  return {
    data: {
      "text/html":
        `<div class="reti-table" style="overflow-x:auto">${df.head(shown).toHTML()}` +
        `<div style="font-size:smaller;color:#555">${df.height} rows × ${df.width} columns${more}</div></div>`,
      "text/plain": df.toString(),
    },
    metadata: {},
  };
}

function isFigure(x: object): x is Figure {
  const f = x as Partial<Figure>;
  return Array.isArray(f.data) && typeof f.layout === "object" && f.layout !== null;
}

function isPixelImage(x: object): x is PixelImage {
  const p = x as Partial<PixelImage>;
  return typeof p.width === "number" && typeof p.height === "number" && p.data !== undefined && typeof p.data.length === "number";
}

/** A TensorFlow.js tensor, recognised without loading tf (its own toString prints the values). */
function isTensor(x: object): x is { shape: number[]; dtype: string; toString(verbose?: boolean): string } {
  const t = x as { shape?: unknown; dtype?: unknown; dataSync?: unknown };
  return Array.isArray(t.shape) && typeof t.dtype === "string" && typeof t.dataSync === "function";
}

/** Anything `show` displays. Every notebook (display). */
export type Showable = Figure | PixelImage | GrayImage | Uint8Array | string | object;

/**
 * Displays `x` in the notebook: a plot Figure (interactive plotly), a nodejs-polars DataFrame
 * (HTML table, first 50 rows), a PNG file's bytes or a PixelImage (image), a string (markdown), a
 * tf.Tensor (its values and shape), or anything else (inspected as text). Outside a kernel it prints
 * a text summary. Every notebook.
 */
export function show(x: Showable, options: ImageOptions = {}): void {
  if (typeof x === "string") {
    displayBundle({ data: { "text/markdown": x, "text/plain": x }, metadata: {} });
  } else if (isPng(x)) {
    displayBundle(pngBundle(x));
  } else if (typeof x === "object" && x !== null && isFigure(x)) {
    showFigure(x);
  } else if (typeof x === "object" && x !== null && isTable(x)) {
    displayBundle(tableBundle(x));
  } else if (typeof x === "object" && x !== null && isTensor(x)) {
    displayBundle({ data: { "text/plain": x.toString(true) }, metadata: {} });
  } else if (typeof x === "object" && x !== null && isPixelImage(x)) {
    displayBundle(pngBundle(imagePng(x, options), `${x.width}×${x.height} pixels`));
  } else {
    displayBundle({ data: { "text/plain": inspect(x, { depth: 4 }) }, metadata: {} });
  }
}
