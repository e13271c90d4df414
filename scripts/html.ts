/**
 * HTML export (issue 8). `npm run html -- [notebooks or globs] [options]` turns executed notebooks
 * into pages in build/html/ that work offline: markdown rendered by markdown-it with KaTeX maths,
 * code with its outputs (streams, tables, images, errors), interactive plotly figures drawn by a
 * local copy of plotly.js (build/html/assets/), and an index page in lecture order. Fresh executed
 * copies in build/executed/ are reused (as for `npm run figures`); the others are run first.
 */
import { promises as fs } from "node:fs";
import { createRequire } from "node:module";
import * as path from "node:path";
import markdownItKatex from "@vscode/markdown-it-katex";
import MarkdownIt from "markdown-it";
import { escapeHtml, plotlyJsPath, plotlyScript } from "../lib/src/display/display";
import { sourceText, type Cell, type Notebook, type Output } from "nbconvert-ts-runner";
import { formatDuration, parseCommand, runCommand } from "./lib/command";
import {
  executedNotebooks,
  expandNotebooks,
  figureName,
  notebookTitle,
  plotlySpec,
  SELECTION_OPTIONS,
  selectionCli,
  type Executed,
  type SelectionCli,
} from "./lib/figures";

const USAGE = `usage: npm run html -- [notebooks or globs] [options]
  (default: notebooks/*.ipynb)
  --quick          run the notebooks in quick mode (QUICK = true); default: the full notebooks
  --rerun          run the notebooks even when a fresh executed copy exists in build/executed/
  --jobs N         notebooks run at a time (default 2)
  --out DIR        where pages go (default build/html)
Writes <out>/<notebook>.html per notebook, <out>/index.html and <out>/assets/ (plotly.js, KaTeX).
Exit status 0 only if every notebook ran.`;

const markdown = new MarkdownIt({ html: true, linkify: true }).use(markdownItKatex, { throwOnError: false });

/** Markdown with `$…$` / `$$…$$` maths as HTML (KaTeX; its stylesheet is in assets/katex/). */
export function renderMarkdown(text: string, attachments?: Record<string, unknown>): string {
  const withAttachments = attachments
    ? text.replace(/\(attachment:([^)\s]+)\)/g, (whole, name: string) => {
        const bundle = attachments[name] as Record<string, string> | undefined;
        const mime = bundle && Object.keys(bundle).find((m) => m.startsWith("image/"));
        return mime ? `(data:${mime};base64,${bundle[mime]})` : whole;
      })
    : text;
  return markdown.render(withAttachments);
}

/** Terminal colour codes removed (tracebacks and progress bars carry them). */
function plain(text: string): string {
  return text.replace(/\x1b\[[0-9;?]*[A-Za-z]/g, "").replace(/\r(?!\n)/g, "\n");
}

function multiline(value: unknown): string {
  return Array.isArray(value) ? value.join("") : String(value ?? "");
}

/** The HTML of one output; `id` names the figure's element. */
function outputHtml(output: Output, id: string): string {
  switch (output.output_type) {
    case "stream":
      return `<pre class="stream ${output.name}">${escapeHtml(plain(multiline(output.text)))}</pre>`;
    case "error":
      // The traceback (as the runner or a Python kernel records it) holds the "Name: message" line.
      return `<pre class="error">${escapeHtml(plain(output.traceback.length ? output.traceback.join("\n") : `${output.ename}: ${output.evalue}`))}</pre>`;
    default: {
      const data = output.data;
      const spec = plotlySpec(output);
      if (spec) {
        const height = typeof spec.layout["height"] === "number" ? spec.layout["height"] : 400;
        const png = typeof data["image/png"] === "string" ? `<img alt="" src="data:image/png;base64,${multiline(data["image/png"]).trim()}">` : "";
        const name = figureName(output);
        const json = JSON.stringify({ data: spec.data, layout: spec.layout, config: { ...spec.config, responsive: true, displaylogo: false }, ...(spec.frames ? { frames: spec.frames } : {}) })
          .replace(/<\//g, "<\\/")
          .replace(/<!--/g, "<\\!--");
        return (
          `<div class="reti-figure" id="${id}"${name ? ` data-figure="${escapeHtml(name)}"` : ""} style="height:${height}px">${png}</div>\n` +
          `<script>(function () { var s = ${json}; var el = document.getElementById("${id}"); el.textContent = ""; Plotly.newPlot(el, s.data, s.layout, s.config).then(function (gd) { if (s.frames) return Plotly.addFrames(gd, s.frames); }); })();</script>`
        );
      }
      if (typeof data["text/html"] === "string" || Array.isArray(data["text/html"])) {
        // plotly.js embedded by the kernel session (lib/src/display/display.ts): the page loads its own copy.
        const html = multiline(data["text/html"]).split(plotlyLibraryHtml()).join("");
        return html.trim() === "" ? "" : `<div class="html">${html}</div>`;
      }
      if (data["image/svg+xml"] !== undefined) return `<div class="image">${multiline(data["image/svg+xml"])}</div>`;
      for (const mime of ["image/png", "image/jpeg", "image/gif"]) {
        if (data[mime] !== undefined) return `<div class="image"><img alt="" src="data:${mime};base64,${multiline(data[mime]).trim()}"></div>`;
      }
      if (data["text/markdown"] !== undefined) return `<div class="markdown">${renderMarkdown(multiline(data["text/markdown"]))}</div>`;
      if (data["text/latex"] !== undefined) return `<div class="markdown">${renderMarkdown(multiline(data["text/latex"]))}</div>`;
      if (data["text/plain"] !== undefined) return `<pre class="result">${escapeHtml(plain(multiline(data["text/plain"])))}</pre>`;
      return "";
    }
  }
}

let plotlyHtml: string | undefined;
/** The inline plotly.js that lib/src/display/display.ts puts in a session's first figure output. */
function plotlyLibraryHtml(): string {
  plotlyHtml ??= plotlyScript();
  return plotlyHtml;
}

function tags(cell: Cell): string[] {
  return Array.isArray(cell.metadata.tags) ? cell.metadata.tags : [];
}

function cellHtml(cell: Cell, index: number): string {
  if (cell.cell_type === "markdown") {
    return `<section class="cell markdown" id="cell-${index + 1}">${renderMarkdown(sourceText(cell.source), cell.attachments)}</section>`;
  }
  if (cell.cell_type !== "code") return `<section class="cell raw" id="cell-${index + 1}"><pre>${escapeHtml(sourceText(cell.source))}</pre></section>`;
  const label = tags(cell).includes("injected-parameters") ? `<div class="label">parameters injected by the runner</div>` : "";
  const prompt = `<div class="prompt">[${cell.execution_count ?? " "}]</div>`;
  const outputs = cell.outputs.map((o, k) => outputHtml(o, `fig-${index + 1}-${k + 1}`)).filter((h) => h !== "");
  return (
    `<section class="cell code" id="cell-${index + 1}">${label}<div class="input">${prompt}<pre><code>${escapeHtml(sourceText(cell.source))}</code></pre></div>` +
    (outputs.length ? `<div class="outputs">${outputs.join("\n")}</div>` : "") +
    `</section>`
  );
}

const STYLE = `
body { font-family: 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', sans-serif; color: #222; margin: 0; line-height: 1.5; }
main, nav, header { max-width: 980px; margin: 0 auto; padding: 0 1rem; }
nav { display: flex; gap: 1rem; padding-top: 1rem; font-size: 0.9rem; } nav .next { margin-left: auto; }
a { color: #0072B2; }
.cell { margin: 1rem 0; }
.cell.markdown table { border-collapse: collapse; } .cell.markdown th, .cell.markdown td { border: 1px solid #ccc; padding: 0.2rem 0.5rem; }
.input { display: flex; gap: 0.5rem; } .prompt { color: #888; font-family: monospace; min-width: 3.5em; text-align: right; padding-top: 0.5rem; }
.input pre { flex: 1; background: #f6f7f9; border: 1px solid #e3e5e8; border-radius: 4px; padding: 0.5rem; margin: 0; overflow-x: auto; }
.label { color: #888; font-size: 0.8rem; margin-left: 4em; }
.outputs { margin-left: 4em; } .outputs > * { margin: 0.4rem 0; }
pre { font-family: 'DejaVu Sans Mono', Menlo, Consolas, monospace; font-size: 0.85rem; white-space: pre-wrap; }
pre.stream, pre.result { margin: 0.3rem 0; } pre.stderr { background: #fff0f0; }
pre.error { background: #fdeaea; border-left: 4px solid #D55E00; padding: 0.5rem; }
.reti-figure { width: 100%; } .reti-figure img, .image img { max-width: 100%; }
.html { overflow-x: auto; } .html table { border-collapse: collapse; font-size: 0.85rem; } .html th, .html td { border: 1px solid #ddd; padding: 0.15rem 0.4rem; }
.katex-display { overflow-x: auto; overflow-y: hidden; }
`;

/** What the index needs to know of a page, kept in its head as <meta name="reti-…"> tags. */
interface PageInfo {
  source: string;
  figures: number;
  failed: boolean;
}

function page(title: string, body: string, nav: string, info?: PageInfo): string {
  const meta = info
    ? `<meta name="reti-source" content="${escapeHtml(info.source)}">\n<meta name="reti-figures" content="${info.figures}">\n` +
      (info.failed ? `<meta name="reti-failed" content="the run failed">\n` : "")
    : "";
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(title)}</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
${meta}<link rel="stylesheet" href="assets/katex/katex.min.css">
<script src="assets/plotly.min.js"></script>
<style>${STYLE}</style></head><body>
${nav}
<main>
${body}
</main>
${nav}
</body></html>
`;
}

/**
 * A standalone page for an executed notebook (it needs the assets folder next to it: plotly.js and
 * KaTeX's stylesheet and fonts). `nav` is the navigation bar's HTML. Lecture: all (HTML export, issue 8).
 */
export function notebookHtml(nb: Notebook, title: string, nav = "", info?: PageInfo): string {
  return page(title, nb.cells.map(cellHtml).join("\n"), nav, info);
}

/** Copies plotly.js and KaTeX (stylesheet and fonts) into `<out>/assets/`. */
async function writeAssets(out: string): Promise<void> {
  const assets = path.join(out, "assets");
  await fs.mkdir(path.join(assets, "katex"), { recursive: true });
  await fs.copyFile(plotlyJsPath(), path.join(assets, "plotly.min.js"));
  const katexDist = path.dirname(createRequire(__filename).resolve("katex/dist/katex.min.css"));
  await fs.copyFile(path.join(katexDist, "katex.min.css"), path.join(assets, "katex", "katex.min.css"));
  await fs.cp(path.join(katexDist, "fonts"), path.join(assets, "katex", "fonts"), { recursive: true });
}

function pageName(e: Executed): string {
  return `${path.basename(e.source, ".ipynb")}.html`;
}

/** The notebook pages in `out` (every .html but the index), in lecture (file name) order. */
async function pagesIn(out: string): Promise<string[]> {
  return (await fs.readdir(out)).filter((f) => f.endsWith(".html") && f !== "index.html").sort();
}

/** The index of every page in `out`, in lecture order, from the title and reti-… tags of each. */
async function indexHtml(out: string): Promise<string> {
  const items: string[] = [];
  for (const name of await pagesIn(out)) {
    const head = (await fs.readFile(path.join(out, name), "utf8")).slice(0, 4000);
    const title = /<title>([^<]*)<\/title>/.exec(head)?.[1] ?? name;
    const meta = (key: string) => new RegExp(`<meta name="reti-${key}" content="([^"]*)">`).exec(head)?.[1];
    const figures = Number(meta("figures") ?? 0);
    const status = meta("failed") ? ` <span class="failed">(the run failed; outputs up to the failure)</span>` : "";
    items.push(`<li><a href="${escapeHtml(name)}">${title}</a> <span class="meta">${meta("source") ?? ""} · ${figures} figure${figures === 1 ? "" : "s"}</span>${status}</li>`);
  }
  const body = `<h1>Course notebooks</h1>\n<p>Executed notebooks in lecture order. Figures are interactive (zoom, hover) and work offline.</p>\n<ol class="index">\n${items.join("\n")}\n</ol>\n<style>.index li { margin: 0.5rem 0; } .meta { color: #777; font-size: 0.9rem; } .failed { color: #D55E00; }</style>`;
  return page("Course notebooks", body, "");
}

async function main(argv: string[]): Promise<number> {
  const { values, positionals } = parseCommand(argv, SELECTION_OPTIONS);
  const cli: SelectionCli = selectionCli(values, positionals, path.join("build", "html"));
  const started = Date.now();
  const { files, unmatched } = await expandNotebooks(cli.patterns);
  for (const p of unmatched) process.stderr.write(`html: no notebook matches ${p}\n`);
  if (files.length === 0) return 1;
  const executed = await executedNotebooks(files, {
    params: cli.quick ? { QUICK: true } : {},
    rerun: cli.rerun,
    log: (line) => process.stdout.write(`${line}\n`),
  }, cli.jobs);
  await writeAssets(cli.out);
  // Previous/next follow lecture order among these pages and those already exported.
  const order = [...new Set([...(await pagesIn(cli.out)), ...executed.map(pageName)])].sort();
  for (const e of executed) {
    const at = order.indexOf(pageName(e));
    const link = (name: string | undefined, text: (stem: string) => string, cls = "") =>
      name ? `<a${cls} href="${escapeHtml(name)}">${escapeHtml(text(path.basename(name, ".html")))}</a>` : "";
    const nav =
      `<nav><a href="index.html">All notebooks</a>${link(order[at - 1], (s) => `← ${s}`)}` +
      `${link(order[at + 1], (s) => `${s} →`, ` class="next"`)}</nav>`;
    const figures = e.notebook.cells.reduce((n, c) => n + (c.cell_type === "code" ? c.outputs.filter((o) => plotlySpec(o)).length : 0), 0);
    const file = path.join(cli.out, pageName(e));
    await fs.writeFile(file, notebookHtml(e.notebook, notebookTitle(e.notebook, e.source), nav, { source: e.source, figures, failed: e.failure !== undefined }));
    process.stdout.write(`${e.source} → ${file}\n`);
  }
  await fs.writeFile(path.join(cli.out, "index.html"), await indexHtml(cli.out));
  process.stdout.write(`${executed.length} pages in ${formatDuration(Date.now() - started)}; index: ${path.join(cli.out, "index.html")}\n`);
  for (const e of executed) if (e.failure) process.stdout.write(`\nFAILED ${e.source}:\n${e.failure}\n`);
  return unmatched.length === 0 && executed.every((e) => !e.failure) ? 0 : 1;
}

if (require.main === module) runCommand("html", USAGE, main);
