/**
 * `show(x)`: rich output in a tslab notebook for figures, polars DataFrames, images and markdown,
 * and a readable text summary anywhere else (plain node, tests, scripts). Every notebook.
 *
 * A figure is ONE display_data output whose MIME bundle holds the plotly JSON (JupyterLab with a
 * plotly renderer), HTML that draws it offline (plotly.js embedded once per kernel session, in
 * JupyterLab and in the classic notebook with require.js) and a one-line text description. tslab's
 * public display API sends one MIME type per output, so whole bundles go through `runtime/tslab`.
 */
import { createHash } from "crypto";
import { readFileSync } from "fs";
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

/** plotly.js's version, the key under which pages cache the library. */
function plotlyVersion(): string {
  return (nodeRequire("plotly.js-dist-min/package.json") as { version: string }).version;
}

/**
 * Browser-side cache of plotly.js in IndexedDB (per Jupyter server origin), so a figure still draws
 * after a page reload while the kernel, which embeds the library only once per session, keeps running.
 * `store` runs inside the embedding script; `load` runs in each figure's script when Plotly is missing.
 */
function cacheScript(action: "store" | "load"): string {
  const key = JSON.stringify(`plotly.js-${plotlyVersion()}`);
  const open = `var rq = indexedDB.open("reti", 1); rq.onupgradeneeded = function () { rq.result.createObjectStore("lib"); };`;
  if (action === "store") {
    return (
      `try { var src = !window.__retiPlotlyFromCache && document.currentScript && document.currentScript.text;\n` +
      `  if (src && window.indexedDB) { ${open}\n` +
      `    rq.onsuccess = function () { rq.result.transaction("lib", "readwrite").objectStore("lib").put(src, ${key}); }; } } catch (e) {}`
    );
  }
  return (
    `if (!window.__retiPlotlyCacheTried && window.indexedDB) { window.__retiPlotlyCacheTried = true;\n` +
    `  try { ${open}\n` +
    `    rq.onsuccess = function () { var get = rq.result.transaction("lib").objectStore("lib").get(${key});\n` +
    `      get.onsuccess = function () { if (get.result && !window.Plotly) { window.__retiPlotlyFromCache = true;\n` +
    `        var s = document.createElement("script"); s.text = get.result; document.head.appendChild(s); } }; }; } catch (e) {} }`
  );
}

/**
 * plotly.js from the `plotly.js-dist-min` package as an inline <script> that defines
 * `window.Plotly` even where require.js is present (the classic notebook): the bundle's UMD header
 * would otherwise hand it to require.js. Works offline; the page also caches it for reloads.
 * Every notebook (display).
 */
export function plotlyScript(): string {
  const source = readFileSync(nodeRequire.resolve("plotly.js-dist-min"), "utf8");
  return (
    `<script type="text/javascript">(function (define, module, exports) {\n${scriptSafe(source)}\n` +
    `}).call(window, undefined, undefined, undefined);\n${cacheScript("store")}</script>`
  );
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

/** Stable element id for a figure: a hash of its spec and its position in the session. */
function elementId(json: string, counter: number): string {
  return `reti-fig-${createHash("sha1").update(`${counter}\n${json}`).digest("hex").slice(0, 16)}`;
}

let figureCounter = 0;

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
  const spec = JSON.stringify({ data: fig.data, layout: fig.layout, config: PLOTLY_CONFIG, ...(fig.frames ? { frames: fig.frames } : {}) });
  const id = options.id ?? elementId(spec, figureCounter);
  const height = typeof fig.layout.height === "number" ? fig.layout.height : 400;
  const draw =
    `<script type="text/javascript">(function () {\n` +
    `  var spec = ${scriptSafe(spec)};\n` +
    `  function draw() {\n` +
    `    var els = document.querySelectorAll('div[id="${id}"]');\n` +
    `    for (var i = 0; i < els.length; i++) {\n` +
    `      if (els[i].getAttribute("data-drawn")) continue;\n` +
    `      els[i].setAttribute("data-drawn", "1"); els[i].textContent = "";\n` +
    `      window.Plotly.newPlot(els[i], spec.data, spec.layout, spec.config)\n` +
    `        .then(function (gd) { if (spec.frames) return window.Plotly.addFrames(gd, spec.frames); });\n` +
    `    }\n` +
    `  }\n` +
    `  if (window.Plotly) { draw(); return; }\n` +
    `  ${cacheScript("load")}\n` +
    `  var tries = 0, timer = setInterval(function () {\n` +
    `    if (window.Plotly) { clearInterval(timer); draw(); }\n` +
    `    else if (++tries > 400) { clearInterval(timer); var el = document.getElementById("${id}");\n` +
    `      if (el) el.textContent = "plotly.js is not loaded in this page: restart the kernel and run the notebook from the top (the first figure of a kernel session embeds it); if the notebook is not trusted, File > Trust Notebook first.";\n` +
    `    }\n` +
    `  }, 50);\n` +
    `})();</script>`;
  const div = `<div id="${id}" class="reti-figure" style="width:100%;height:${height}px">${escapeHtml(describeFigure(fig) + FIGURE_HINT)}</div>`;
  return `${options.includePlotly ? plotlyScript() : ""}${div}\n${draw}`;
}

/**
 * The output bundle of a figure: plotly JSON, HTML (with plotly.js embedded when `embedPlotly`)
 * and text; metadata `{"reti": {"figure": name}}` when the figure is named. Every notebook (display).
 */
export function figureBundle(fig: Figure, options: { embedPlotly?: boolean } = {}): DisplayBundle {
  const html = figureHtml(fig, { includePlotly: options.embedPlotly === true });
  figureCounter++;
  return {
    data: {
      [PLOTLY_MIME]: { data: fig.data, layout: fig.layout, config: PLOTLY_CONFIG, ...(fig.frames ? { frames: fig.frames } : {}) },
      "text/html": html,
      "text/plain": describeFigure(fig),
    },
    metadata: fig.name === undefined ? {} : { reti: { figure: fig.name } },
  };
}

/**
 * Shows a figure, embedding plotly.js in the first figure output of the kernel session.
 * `displayId`/`update` make it a live output that later calls replace. Every notebook (display).
 */
export function showFigure(fig: Figure, options: { displayId?: string; update?: boolean } = {}): void {
  const g = globalThis as Record<symbol, unknown>;
  const embed = !g[EMBEDDED] && inKernel();
  const live = options.displayId !== undefined;
  // A live output is replaced by its updates, so it cannot hold the library: it gets its own output.
  if (embed && live) displayBundle({ data: { "text/html": plotlyScript() }, metadata: {} });
  const bundle = figureBundle(fig, { embedPlotly: embed && !live });
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
