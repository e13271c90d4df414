/**
 * Matrices and images: a heatmap of a matrix, grey-scale images, grids of small images with captions
 * (MNIST digits, filters, feature maps). Notebooks 00, 02 and 05 (lectures 000 and 001, CNN and MNIST).
 */
import { type AxesOptions, type Figure, type Matrix, type PlotOptions, type Trace, type Vector, SEQUENTIAL_SCALE } from "./style";
import { axis, baseLayout, figure, integerTicks, list, panelGrid, rows, textLabel } from "./spec";
import { imagePng } from "./png";

/** Options of `heatmap`. Notebook 05 (lecture 000, MLP weights, CNN feature maps). */
export interface HeatmapOptions extends AxesOptions {
  /** Column coordinates or labels (default 0, 1, …). */
  x?: Array<number | string>;
  /** Row coordinates or labels (default 0, 1, …). */
  y?: Array<number | string>;
  /** A plotly colour scale name or stops (default: the course's sequential scale). */
  colorscale?: string | [number, string][];
  /** Centre the colour scale on this value (use 0 with the diverging scale for weights). */
  zmid?: number;
  /** Draw row 0 at the top, as matrices and images are read (default true). */
  matrixOrder?: boolean;
  /** Print each cell's value in it, with this d3 format (e.g. ".2f"). */
  textFormat?: string;
}

/** A heatmap of a matrix z[row][column] (weights, activations, attention). Notebook 05 (MLP weights, CNN feature maps). */
export function heatmap(z: Matrix, options: HeatmapOptions = {}): Figure {
  const zz = rows(z);
  const trace: Trace = {
    type: "heatmap",
    z: zz,
    colorscale: options.colorscale ?? SEQUENTIAL_SCALE,
    colorbar: { thickness: 12 },
    ...(options.x === undefined ? {} : { x: options.x }),
    ...(options.y === undefined ? {} : { y: options.y }),
    ...(options.zmid === undefined ? {} : { zmid: options.zmid }),
    ...(options.textFormat === undefined ? {} : { texttemplate: `%{z:${options.textFormat}}` }),
  };
  const matrix = options.x === undefined && options.y === undefined;
  const cols = zz[0]?.length ?? 0;
  return figure(
    [trace],
    baseLayout(options, {
      xaxis: axis(options.xTitle, { showgrid: false, ...(matrix ? matrixAxis(cols) : {}) }),
      yaxis: axis(options.yTitle, {
        showgrid: false,
        ...(options.matrixOrder === false ? {} : { autorange: "reversed" }),
        ...(matrix ? { ...matrixAxis(zz.length), scaleanchor: "x", scaleratio: 1 } : {}),
      }),
    }),
    options.name,
  );
}

/**
 * A matrix drawn as a matrix (issue 19): integer indices as ticks (never −0.5, 0.5, …), and, with the
 * y axis's `scaleanchor`, square cells; the axis shrinks to its cells instead of stretching them.
 */
function matrixAxis(count: number): Record<string, unknown> {
  return { ...integerTicks(count), constrain: "domain", zeroline: false };
}

/** A grey-scale (single channel) image: `data` holds height × width values, row by row. Lectures 000 and 001 (CNN and MNIST). */
export interface GrayImage {
  width: number;
  height: number;
  data: Vector;
}

/** Options of `imageGrid`. Notebooks 00, 02 and 05 (lectures 000 and 001, CNN and MNIST). */
export interface ImageGridOptions extends PlotOptions {
  /** Images per row (default: up to 10). */
  columns?: number;
  /** One caption per image (e.g. "label 7"). */
  captions?: string[];
  /** Colour scale (default grey, sent as PNG images; use DIVERGING_SCALE for filters and weights). */
  colorscale?: string | [number, string][];
  /** Value range of the colour scale (default: [0, 1] for grey, the data's symmetric range otherwise). */
  range?: [number, number];
  /** Size of one cell in CSS pixels (default 90). */
  cellSize?: number;
}

/** Normalises an image given as rows or as a GrayImage. Lectures 000 and 001 (CNN and MNIST). */
export function toGrayImage(image: GrayImage | Matrix): GrayImage {
  if ("width" in image && "height" in image && "data" in image) {
    const img = image as GrayImage;
    if (img.data.length !== img.width * img.height) {
      throw new Error(`image data has ${img.data.length} values but width × height = ${img.width * img.height}`);
    }
    return img;
  }
  const r = rows(image as Matrix);
  const width = r[0]?.length ?? 0;
  if (r.some((row) => row.length !== width)) throw new Error("image rows have different lengths; give a rectangular matrix");
  return { width, height: r.length, data: r.flat() };
}

/**
 * A grid of small images with captions: MNIST digits, convolution filters, feature maps.
 * Notebooks 00, 02 and 05 (lectures 000 and 001, CNN, filters and feature maps; MNIST).
 */
export function imageGrid(images: Array<GrayImage | Matrix>, options: ImageGridOptions = {}): Figure {
  if (images.length === 0) throw new Error("imageGrid: no images given");
  if (options.captions !== undefined && options.captions.length !== images.length) {
    throw new Error(`imageGrid: ${options.captions.length} captions for ${images.length} images; give one caption per image`);
  }
  const imgs = images.map(toGrayImage);
  const columns = Math.min(options.columns ?? 10, imgs.length);
  const gridRows = Math.ceil(imgs.length / columns);
  const gray = options.colorscale === undefined;
  let range = options.range;
  if (range === undefined) {
    if (gray) range = [0, 1];
    else {
      const m = Math.max(...imgs.map((im) => Math.max(...Array.from(im.data, (v) => Math.abs(v))))) || 1;
      range = [-m, m];
    }
  }
  const captionSpace = options.captions ? 0.25 : 0.04;
  const panels = panelGrid(imgs.length, columns, { hgap: 0.02 });
  const traces: Trace[] = [];
  const layout = baseLayout(options, {
    height: options.height ?? Math.round(gridRows * (options.cellSize ?? 90) * (1 + captionSpace) + (options.title ? 60 : 20)),
    margin: { l: 10, r: 10, t: options.title === undefined ? 10 : 50, b: 10 },
    showlegend: false,
    ...(gray ? {} : { coloraxis: { colorscale: options.colorscale, cmin: range[0], cmax: range[1], showscale: true } }),
  });
  const annotations: Record<string, unknown>[] = [];
  imgs.forEach((im, i) => {
    const { x: xDomain, y: [y0, top] } = panels[i]!;
    const k = i === 0 ? "" : String(i + 1);
    if (gray) {
      // A grey image travels as a small PNG (a few hundred bytes for a digit, not kilobytes of JSON).
      const png = imagePng(im, { range, scale: 1 }).toString("base64");
      traces.push({ type: "image", source: `data:image/png;base64,${png}`, xaxis: `x${k}`, yaxis: `y${k}`, hoverinfo: "skip" });
    } else {
      const values = list(im.data);
      const z = Array.from({ length: im.height }, (_, row) => values.slice(row * im.width, (row + 1) * im.width));
      traces.push({ type: "heatmap", z, coloraxis: "coloraxis", xaxis: `x${k}`, yaxis: `y${k}`, hovertemplate: "(%{x}, %{y}): %{z}<extra></extra>" });
    }
    const bottom = top - (top - y0) * (1 - captionSpace / (1 + captionSpace)); // the caption goes below
    // No ticks or grid, a thin frame (a filter's near-zero cells are near-white).
    const hidden = { showgrid: false, zeroline: false, showticklabels: false, ticks: "", showline: true, mirror: true, linecolor: "#bbbbbb", linewidth: 1 };
    layout[`xaxis${k}`] = { domain: xDomain, anchor: `y${k}`, ...hidden, constrain: "domain" };
    layout[`yaxis${k}`] = { domain: [bottom, top], anchor: `x${k}`, autorange: "reversed", scaleanchor: `x${k}`, ...hidden, constrain: "domain" };
    if (options.captions) {
      annotations.push(textLabel(options.captions[i]!, 0.5, 0, { xref: `x${k} domain`, yref: `y${k} domain`, anchor: "top", size: 12 }));
    }
  });
  if (annotations.length > 0) layout["annotations"] = annotations;
  return figure(traces, layout, options.name);
}

