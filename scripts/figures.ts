/**
 * Figure export (issue 8). `npm run figures -- [notebooks or globs] [options]` runs the notebooks
 * (or reuses executed copies in build/executed/ newer than their sources and the lib, run with the
 * same parameters), finds every named figure (`show(figure)` with a `name`) and writes
 * `build/figures/<notebook>/<name>.svg` and `.png` with the slide or paper preset, plus
 * `build/figures/index.html`, a gallery that works offline.
 * The pieces: scripts/lib/figures.ts (finding, presets, executed copies), scripts/lib/render.ts (Chromium).
 */
import { promises as fs } from "node:fs";
import * as path from "node:path";
import { escapeHtml } from "../lib/src/display/display";
import {
  applyPreset,
  executedNotebooks,
  expandNotebooks,
  findFigures,
  notebookTitle,
  PRESETS,
  SELECTION_OPTIONS,
  selectionCli,
  type SelectionCli,
} from "./lib/figures";
import { formatDuration, parseCommand, runCommand, UsageError } from "./lib/command";
import { Renderer } from "./lib/render";

const USAGE = `usage: npm run figures -- [notebooks or globs] [options]
  (default: notebooks/*.ipynb)
  --format LIST    svg, png or svg,png (default svg,png)
  --preset NAME    slide (1600×900 CSS px, PNG at 2× = 3200×1800, projector type; default)
                   or paper (800×500, PNG 1600×1000)
  --quick          run the notebooks in quick mode (QUICK = true); default: the full notebooks
  --rerun          run the notebooks even when a fresh executed copy exists in build/executed/
                   (a copy is fresh when newer than its notebook and lib/src, and run with the same --quick)
  --jobs N         notebooks run at a time (default 2)
  --out DIR        where figures go (default build/figures)
Writes <out>/<notebook>/<name>.svg|.png for each named figure, <out>/<notebook>/figures.json, and
<out>/index.html, a gallery of every notebook exported so far.
Exit status 0 only if every notebook ran and every figure was written.`;

type Format = "svg" | "png";

interface Cli extends SelectionCli {
  formats: Format[];
  preset: keyof typeof PRESETS;
}

function parseCli(argv: string[]): Cli {
  const { values, positionals } = parseCommand(argv, { ...SELECTION_OPTIONS, format: { type: "string" }, preset: { type: "string" } });
  const formats = (values.format ?? "svg,png").split(",").map((f) => f.trim().toLowerCase());
  for (const f of formats) if (f !== "svg" && f !== "png") throw new UsageError(`--format: unknown format "${f}" (use svg, png or svg,png)`);
  const preset = values.preset ?? "slide";
  if (preset !== "slide" && preset !== "paper") throw new UsageError(`--preset: unknown preset "${preset}" (use slide or paper)`);
  return { ...selectionCli(values, positionals, path.join("build", "figures")), formats: [...new Set(formats)] as Format[], preset };
}

/** What was exported from one notebook: `<out>/<notebook>/figures.json`, which the gallery reads. */
interface Manifest {
  source: string;
  title: string;
  preset: keyof typeof PRESETS;
  formats: Format[];
  figures: { name: string; cell: number }[];
  unnamed: number;
  warnings: string[];
  failure?: string;
}

const MANIFEST = "figures.json";

/** The manifests of every notebook exported into `out` so far, in lecture (folder name) order. */
async function manifests(out: string): Promise<{ folder: string; manifest: Manifest }[]> {
  const found: { folder: string; manifest: Manifest }[] = [];
  for (const entry of (await fs.readdir(out, { withFileTypes: true })).sort((a, b) => a.name.localeCompare(b.name))) {
    if (!entry.isDirectory()) continue;
    try {
      found.push({ folder: entry.name, manifest: JSON.parse(await fs.readFile(path.join(out, entry.name, MANIFEST), "utf8")) as Manifest });
    } catch {
      // A folder without a manifest is not an export.
    }
  }
  return found;
}

/** The offline gallery: one section per exported notebook, one card per figure (relative links only). */
function galleryHtml(exported: { folder: string; manifest: Manifest }[]): string {
  const sections = exported.map(({ folder, manifest: m }) => {
    const preset = PRESETS[m.preset];
    const cards = m.figures.map((f) => {
      const base = `${folder}/${f.name}`;
      const image = m.formats.includes("png") ? `${base}.png` : `${base}.svg`;
      const links = m.formats.map((fmt) => `<a href="${escapeHtml(base)}.${fmt}">${fmt.toUpperCase()}</a>`).join(" · ");
      return (
        `<figure id="${escapeHtml(base)}"><a href="${escapeHtml(image)}"><img src="${escapeHtml(image)}" alt="${escapeHtml(f.name)}" loading="lazy" style="aspect-ratio: ${preset.width} / ${preset.height}"></a>` +
        `<figcaption><code>${escapeHtml(f.name)}</code> <span>cell ${f.cell}</span> ${links}</figcaption></figure>`
      );
    });
    const notes = [
      ...(m.failure ? [`the notebook failed; figures up to the failing cell are shown:\n${m.failure}`] : []),
      ...m.warnings,
      ...(m.unnamed > 0 ? [`${m.unnamed} figure${m.unnamed === 1 ? " has" : "s have"} no name and ${m.unnamed === 1 ? "is" : "are"} not exported (give it one: { name: "..." })`] : []),
    ];
    return (
      `<section><h2>${escapeHtml(m.title)}</h2><p class="file">${escapeHtml(m.source)} · ${m.figures.length} figure${m.figures.length === 1 ? "" : "s"} · ` +
      `preset ${m.preset} (${preset.width}×${preset.height} at ${preset.scale}×)</p>` +
      notes.map((n) => `<pre class="note">${escapeHtml(n)}</pre>`).join("") +
      `<div class="grid">${cards.join("\n")}</div></section>`
    );
  });
  const total = exported.reduce((s, e) => s + e.manifest.figures.length, 0);
  return `<!DOCTYPE html>
<html lang="en"><head><meta charset="utf-8"><title>Course figures</title>
<meta name="viewport" content="width=device-width, initial-scale=1">
<style>
body { font-family: 'Helvetica Neue', Helvetica, Arial, 'Liberation Sans', sans-serif; margin: 2rem auto; max-width: 1400px; padding: 0 1rem; color: #222; }
h1 { margin-bottom: 0.2rem; } .meta, .file { color: #666; margin-top: 0; }
.grid { display: grid; grid-template-columns: repeat(auto-fill, minmax(420px, 1fr)); gap: 1.2rem; }
figure { margin: 0; border: 1px solid #ddd; border-radius: 6px; overflow: hidden; background: #fff; }
figure img { display: block; width: 100%; object-fit: contain; }
figcaption { padding: 0.4rem 0.6rem; border-top: 1px solid #eee; font-size: 0.9rem; }
figcaption span { color: #777; margin: 0 0.5rem; }
pre.note { background: #fff6e5; border-left: 4px solid #E69F00; padding: 0.5rem; white-space: pre-wrap; }
</style></head><body>
<h1>Course figures</h1>
<p class="meta">${total} figures from ${exported.length} notebook${exported.length === 1 ? "" : "s"}, in lecture order. Regenerate with <code>npm run figures</code>; click a figure for full size.</p>
${sections.join("\n")}
</body></html>
`;
}

async function main(argv: string[]): Promise<number> {
  const cli = parseCli(argv);
  const started = Date.now();
  const { files, unmatched } = await expandNotebooks(cli.patterns);
  for (const p of unmatched) process.stderr.write(`figures: no notebook matches ${p}\n`);
  if (files.length === 0) return 1;

  // Start Chromium first: a missing browser should stop the run before any notebook runs.
  const renderer = await Renderer.launch();
  let problems = unmatched.length;
  try {
    const executed = await executedNotebooks(files, {
      params: cli.quick ? { QUICK: true } : {},
      rerun: cli.rerun,
      log: (line) => process.stdout.write(`${line}\n`),
    }, cli.jobs);
    const preset = PRESETS[cli.preset];
    let total = 0;
    for (const e of executed) {
      const folder = path.basename(e.source, ".ipynb");
      const dir = path.join(cli.out, folder);
      const found = findFigures(e.notebook);
      await fs.rm(dir, { recursive: true, force: true });
      await fs.mkdir(dir, { recursive: true });
      const t0 = Date.now();
      for (const figure of found.figures) {
        const spec = applyPreset(figure.spec, preset);
        for (const format of cli.formats) {
          const bytes = await renderer.renderFigure(spec, { format, width: preset.width, height: preset.height, scale: preset.scale });
          await fs.writeFile(path.join(dir, `${figure.name}.${format}`), bytes);
        }
      }
      const manifest: Manifest = {
        source: e.source,
        title: notebookTitle(e.notebook, e.source),
        preset: cli.preset,
        formats: cli.formats,
        figures: found.figures.map((f) => ({ name: f.name, cell: f.cell })),
        unnamed: found.unnamed,
        warnings: found.warnings,
        ...(e.failure ? { failure: e.failure } : {}),
      };
      await fs.writeFile(path.join(dir, MANIFEST), JSON.stringify(manifest, null, 1) + "\n");
      if (e.failure) problems++;
      for (const w of found.warnings) process.stderr.write(`${e.source}: ${w}\n`);
      process.stdout.write(`${e.source}: ${found.figures.length} figures → ${dir} (${formatDuration(Date.now() - t0)})\n`);
      total += found.figures.length;
    }
    await fs.writeFile(path.join(cli.out, "index.html"), galleryHtml(await manifests(cli.out)));
    process.stdout.write(`${total} figures from ${executed.length} notebooks in ${formatDuration(Date.now() - started)}; gallery: ${path.join(cli.out, "index.html")}\n`);
    for (const e of executed) if (e.failure) process.stdout.write(`\nFAILED ${e.source}:\n${e.failure}\n`);
  } finally {
    await renderer.close();
  }
  return problems === 0 ? 0 : 1;
}

if (require.main === module) runCommand("figures", USAGE, main);
