/**
 * The 2-D convolution from scratch, the way the lectures write it: H[i,j] = Σ_a Σ_b V[a,b] X[i·s_r + a, j·s_c + b]
 * (a cross-correlation, as in every deep-learning library), with padding and separate row/column strides,
 * several kernels making channels, the same computed as one matrix product (im2col), max and average pooling
 * with their backward passes, and the classic edge filters. Plain arrays in, plain arrays out, so each step can
 * be printed and checked against `tf.conv2d` / `tf.maxPool`. Notebooks 02 and 05 (lectures 000, 001 and 003, CNN).
 */
import { Dataset, type Labels } from "../data/dataset";
import { rng, type Random } from "../core/random";

/** One channel of an image or feature map: rows of pixel values (height × width). */
export type FeatureMap = number[][];

/** A multi-channel image or stack of feature maps, channels first: `volume[c][row][col]`. */
export type Volume = number[][][];

/** A pair (rows, columns) or one number used for both. */
export type PerAxis = number | [number, number];

/** Padding and stride of a convolution. Notebook 05 (lecture 001, CNN, padding and stride). */
export interface ConvOptions {
  /** Zero rows added above and below, zero columns added left and right (default 0). */
  padding?: PerAxis;
  /** Step between windows along rows and along columns (default 1); the lecture's example uses [3, 2]. */
  stride?: PerAxis;
}

function perAxis(value: PerAxis, what: string): [number, number] {
  const pair: [number, number] = typeof value === "number" ? [value, value] : value;
  if (!pair.every((v) => Number.isInteger(v) && v >= 0)) throw new Error(`${what} must be a non-negative integer or a [rows, columns] pair of them, got ${JSON.stringify(value)}`);
  return pair;
}

/** The [rows, columns] of a 2-D array, with an error naming `what` when rows differ in length. Notebook 05 (lecture 001, CNN). */
export function shapeOf(x: ArrayLike<ArrayLike<number>>, what: string): [number, number] {
  const rows = x.length;
  const cols = rows > 0 ? x[0]!.length : 0;
  if (rows === 0 || cols === 0) throw new Error(`${what} is empty: pass a non-empty 2-D array`);
  for (let i = 0; i < rows; i++) {
    if (x[i]!.length !== cols) throw new Error(`${what} is ragged: row ${i} has ${x[i]!.length} values where row 0 has ${cols}`);
  }
  return [rows, cols];
}

/**
 * The output size along one axis, ⌊(W + 2P − K)/S⌋ + 1 (the lecture's W − (n − 1) when P = 0 and S = 1:
 * 224 ⊛ 5 → 220). Throws when the kernel does not fit. Notebook 05 (lecture 001, CNN, output size).
 */
export function outputSize(inputSize: number, kernelSize: number, padding = 0, stride = 1): number {
  if (stride < 1) throw new Error(`stride must be at least 1, got ${stride}`);
  const room = inputSize + 2 * padding - kernelSize;
  if (room < 0) throw new Error(`a kernel of size ${kernelSize} does not fit an input of size ${inputSize} padded by ${padding}: pad more or use a smaller kernel`);
  return Math.floor(room / stride) + 1;
}

/** `x` surrounded by `padding` rows/columns of `value` (default 0). Notebook 05 (lecture 001, CNN, padding). */
export function pad2d(x: ArrayLike<ArrayLike<number>>, padding: PerAxis, value = 0): FeatureMap {
  const [pr, pc] = perAxis(padding, "padding");
  const [rows, cols] = shapeOf(x, "the input");
  const out: FeatureMap = [];
  for (let i = -pr; i < rows + pr; i++) {
    const row: number[] = [];
    for (let j = -pc; j < cols + pc; j++) row.push(i >= 0 && i < rows && j >= 0 && j < cols ? x[i]![j]! : value);
    out.push(row);
  }
  return out;
}

/**
 * The 2-D cross-correlation of one channel with one kernel: H[i,j] = Σ_a Σ_b V[a,b] X[i·s_r + a, j·s_c + b]
 * on the zero-padded input. The lecture's 5×5 ⊛ 3×3 example gives [[4,3,4],[2,4,3],[2,3,4]]. Notebook 05 (lectures 000 and 001, CNN).
 */
export function conv2d(x: ArrayLike<ArrayLike<number>>, kernel: ArrayLike<ArrayLike<number>>, options: ConvOptions = {}): FeatureMap {
  const [kh, kw] = shapeOf(kernel, "the kernel");
  const [sr, sc] = perAxis(options.stride ?? 1, "stride");
  const padded = pad2d(x, options.padding ?? 0);
  const oh = outputSize(padded.length, kh, 0, sr);
  const ow = outputSize(padded[0]!.length, kw, 0, sc);
  const out: FeatureMap = [];
  for (let i = 0; i < oh; i++) {
    const row: number[] = [];
    for (let j = 0; j < ow; j++) {
      let s = 0;
      for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) s += kernel[a]![b]! * padded[i * sr + a]![j * sc + b]!;
      row.push(s);
    }
    out.push(row);
  }
  return out;
}

/**
 * Several kernels over a multi-channel input, one output channel each: out[k] = Σ_c x[c] ⊛ kernels[k][c] + bias[k].
 * `kernels[k][c]` is kernel k's slice for input channel c (so each kernel is n × n × C, as 5 × 5 × 3 for RGB).
 * Notebook 05 (lecture 001, CNN, several kernels make channels).
 */
export function conv2dChannels(x: Volume, kernels: Volume[], options: ConvOptions & { bias?: number[] } = {}): Volume {
  if (kernels.length === 0) throw new Error("no kernels: pass at least one kernel (an array of per-channel 2-D slices)");
  return kernels.map((kernel, k) => {
    if (kernel.length !== x.length) throw new Error(`kernel ${k} has ${kernel.length} channel slices but the input has ${x.length} channels`);
    let sum: FeatureMap | undefined;
    x.forEach((channel, c) => {
      const part = conv2d(channel, kernel[c]!, options);
      sum = sum === undefined ? part : sum.map((row, i) => row.map((v, j) => v + part[i]![j]!));
    });
    const b = options.bias?.[k] ?? 0;
    return sum!.map((row) => row.map((v) => v + b));
  });
}

/**
 * im2col: every window of the padded input unrolled into one row, so a convolution becomes one matrix product.
 * Row r = i·ow + j holds the window of output position (i, j); column c·kh·kw + a·kw + b holds x[c][i·s_r + a][j·s_c + b].
 * Notebook 05 (lecture 001, CNN, convolution as a matrix product).
 */
export function im2col(x: Volume, kernelSize: PerAxis, options: ConvOptions = {}): number[][] {
  const [kh, kw] = perAxis(kernelSize, "kernelSize");
  const [sr, sc] = perAxis(options.stride ?? 1, "stride");
  const padded = x.map((channel) => pad2d(channel, options.padding ?? 0));
  const oh = outputSize(padded[0]!.length, kh, 0, sr);
  const ow = outputSize(padded[0]![0]!.length, kw, 0, sc);
  const rows: number[][] = [];
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const row: number[] = [];
      for (const channel of padded) for (let a = 0; a < kh; a++) for (let b = 0; b < kw; b++) row.push(channel[i * sr + a]![j * sc + b]!);
      rows.push(row);
    }
  }
  return rows;
}

/**
 * The same as `conv2dChannels`, as one matrix product: patches (im2col, P × C·kh·kw) times the kernels unrolled
 * into columns (C·kh·kw × K), each output column reshaped back into a feature map. Notebook 05 (lecture 001, CNN, im2col).
 */
export function conv2dIm2col(x: Volume, kernels: Volume[], options: ConvOptions & { bias?: number[] } = {}): Volume {
  const kh = kernels[0]![0]!.length;
  const kw = kernels[0]![0]![0]!.length;
  const patches = im2col(x, [kh, kw], options);
  const weights = kernels.map((kernel) => kernel.flatMap((slice) => slice.flat())); // K × C·kh·kw
  const [sr, sc] = perAxis(options.stride ?? 1, "stride");
  const [pr, pc] = perAxis(options.padding ?? 0, "padding");
  const oh = outputSize(x[0]!.length, kh, pr, sr);
  const ow = outputSize(x[0]![0]!.length, kw, pc, sc);
  return weights.map((w, k) => {
    const b = options.bias?.[k] ?? 0;
    const map: FeatureMap = [];
    for (let i = 0; i < oh; i++) {
      const row: number[] = [];
      for (let j = 0; j < ow; j++) {
        const patch = patches[i * ow + j]!;
        let s = b;
        for (let t = 0; t < patch.length; t++) s += patch[t]! * w[t]!;
        row.push(s);
      }
      map.push(row);
    }
    return map;
  });
}

/** The kernel rotated by 180° (rows and columns reversed): V[K−1−a, K−1−b]. Notebook 05 (lecture 001, CNN, the true convolution). */
export function flip2d(kernel: ArrayLike<ArrayLike<number>>): FeatureMap {
  const [kh, kw] = shapeOf(kernel, "the kernel");
  return Array.from({ length: kh }, (_, a) => Array.from({ length: kw }, (_, b) => kernel[kh - 1 - a]![kw - 1 - b]!));
}

/**
 * The true convolution of lecture 001, (X ∗ V)[i,j] = Σ_a Σ_b V[a,b] X[i − a, j − b], written over the windows of the
 * "valid" positions: the cross-correlation `conv2d` with the kernel flipped. The two differ only by that flip, so a
 * network that learns its kernels learns either one equally well. Notebook 05 (lecture 001, CNN, convolution vs cross-correlation).
 */
export function convolve2d(x: ArrayLike<ArrayLike<number>>, kernel: ArrayLike<ArrayLike<number>>, options: ConvOptions = {}): FeatureMap {
  return conv2d(x, flip2d(kernel), options);
}

/**
 * `s − 1` zero rows (columns) inserted between consecutive rows (columns): a stride-s output gradient placed back on
 * the grid of window positions, so the backward pass of a strided convolution is a stride-1 one. Notebook 05 (lecture 001, CNN, backward pass).
 */
export function dilate2d(x: ArrayLike<ArrayLike<number>>, stride: PerAxis): FeatureMap {
  const [sr, sc] = perAxis(stride, "stride");
  if (sr < 1 || sc < 1) throw new Error(`dilate2d: the stride must be at least 1, got ${JSON.stringify(stride)}`);
  const [rows, cols] = shapeOf(x, "the input");
  const out = emptyMap((rows - 1) * sr + 1, (cols - 1) * sc + 1);
  for (let i = 0; i < rows; i++) for (let j = 0; j < cols; j++) out[i * sr]![j * sc] = x[i]![j]!;
  return out;
}

/** The gradients of a one-channel convolution: ∂L/∂X (the input's shape), ∂L/∂V (the kernel's) and ∂L/∂b. */
export interface ConvGrads {
  dx: FeatureMap;
  dKernel: FeatureMap;
  dBias: number;
}

/**
 * The backward pass of H = conv2d(X, V, {padding P, stride S}) + b for one channel, given G = ∂L/∂H:
 * - ∂L/∂b = Σ_ij G[i,j] (the bias is added at every position);
 * - ∂L/∂V = the padded input correlated with G spread out by the stride: ∂L/∂V[a,b] = Σ_ij G[i,j] X_P[i·s_r + a, j·s_c + b];
 * - ∂L/∂X = the "full" correlation of the dilated G (zero-padded by K − 1) with the flipped kernel, i.e. the true
 *   convolution G ∗ V, then the padding P cropped off; input rows no window reached get 0.
 * Notebook 05 (lecture 001, CNN, the convolution's backward pass).
 */
export function conv2dBackward(x: ArrayLike<ArrayLike<number>>, kernel: ArrayLike<ArrayLike<number>>, gradOutput: ArrayLike<ArrayLike<number>>, options: ConvOptions = {}): ConvGrads {
  const [h, w] = shapeOf(x, "the input");
  const [kh, kw] = shapeOf(kernel, "the kernel");
  const [pr, pc] = perAxis(options.padding ?? 0, "padding");
  const stride = perAxis(options.stride ?? 1, "stride");
  const [oh, ow] = [outputSize(h, kh, pr, stride[0]), outputSize(w, kw, pc, stride[1])];
  const [gh, gw] = shapeOf(gradOutput, "the output gradient");
  if (gh !== oh || gw !== ow) throw new Error(`the output gradient is ${gh}×${gw} but the convolution's output is ${oh}×${ow}`);
  const spread = dilate2d(gradOutput, stride); // G on the grid of window positions: (oh−1)·s + 1 rows
  // ∂L/∂b: every output position adds b once.
  const dBias = spread.flat().reduce((s, g) => s + g, 0);
  // ∂L/∂V: slide the spread-out G over the padded input (a correlation); keep the K × K valid offsets.
  const dKernel = conv2d(pad2d(x, [pr, pc]), spread).slice(0, kh).map((row) => row.slice(0, kw));
  // ∂L/∂X: full correlation with the flipped kernel (= true convolution G ∗ V) over the padded input's rows…
  const full = conv2d(pad2d(spread, [kh - 1, kw - 1]), flip2d(kernel));
  // …then drop the padding; rows/columns beyond the last window (h + 2P − K not divisible by S) get 0.
  const dx = emptyMap(h, w);
  for (let i = 0; i < h; i++) for (let j = 0; j < w; j++) dx[i]![j] = full[i + pr]?.[j + pc] ?? 0;
  return { dx, dKernel, dBias };
}

/**
 * The backward pass of `conv2dChannels` (out[k] = Σ_c x[c] ⊛ kernels[k][c] + bias[k]): ∂L/∂x[c] = Σ_k of each kernel's
 * input gradient, ∂L/∂kernels[k][c] from input channel c and output gradient k, ∂L/∂bias[k] = Σ ∂L/∂out[k].
 * Notebook 05 (lecture 001, CNN, the convolution's backward pass).
 */
export function conv2dChannelsBackward(x: Volume, kernels: Volume[], gradOutput: Volume, options: ConvOptions = {}): { dx: Volume; dKernels: Volume[]; dBias: number[] } {
  if (gradOutput.length !== kernels.length) throw new Error(`the output gradient has ${gradOutput.length} channels but there are ${kernels.length} kernels`);
  const dx: Volume = x.map((channel) => emptyMap(channel.length, channel[0]!.length));
  const dKernels: Volume[] = kernels.map((kernel, k) => {
    if (kernel.length !== x.length) throw new Error(`kernel ${k} has ${kernel.length} channel slices but the input has ${x.length} channels`);
    return x.map((channel, c) => {
      const g = conv2dBackward(channel, kernel[c]!, gradOutput[k]!, options);
      g.dx.forEach((row, i) => row.forEach((v, j) => (dx[c]![i]![j]! += v)));
      return g.dKernel;
    });
  });
  const dBias = gradOutput.map((map) => map.flat().reduce((s, g) => s + g, 0));
  return { dx, dKernels, dBias };
}

/** Calls `visit(window, i, j)` for each pooling window: the window's cells as [row, col] pairs, row-major. */
function forEachWindow(rows: number, cols: number, size: PerAxis, stride: PerAxis | undefined, visit: (cells: [number, number][], i: number, j: number) => void): [number, number] {
  const [ph, pw] = perAxis(size, "pool size");
  const [sr, sc] = perAxis(stride ?? size, "stride");
  const oh = outputSize(rows, ph, 0, sr);
  const ow = outputSize(cols, pw, 0, sc);
  for (let i = 0; i < oh; i++) {
    for (let j = 0; j < ow; j++) {
      const cells: [number, number][] = [];
      for (let a = 0; a < ph; a++) for (let b = 0; b < pw; b++) cells.push([i * sr + a, j * sc + b]);
      visit(cells, i, j);
    }
  }
  return [oh, ow];
}

function emptyMap(rows: number, cols: number): FeatureMap {
  return Array.from({ length: rows }, () => new Array<number>(cols).fill(0));
}

/** The cell of `cells` holding the largest value of `x` (the first one on ties, as TensorFlow does). */
function argmaxCell(x: ArrayLike<ArrayLike<number>>, cells: [number, number][]): [number, number] {
  let best = cells[0]!;
  for (const cell of cells) if (x[cell[0]]![cell[1]]! > x[best[0]]![best[1]]!) best = cell;
  return best;
}

/**
 * Max pooling: the largest value of each `size` window, windows `stride` apart (default: the window size, so
 * they do not overlap). The lecture's 4×4 example with 2×2 windows gives [[4,5],[3,4]]. Notebook 05 (lectures 000 and 001, CNN, pooling).
 */
export function maxPool2d(x: ArrayLike<ArrayLike<number>>, size: PerAxis = 2, stride?: PerAxis): FeatureMap {
  const [rows, cols] = shapeOf(x, "the input");
  const out: FeatureMap = [];
  forEachWindow(rows, cols, size, stride, (cells, i, j) => {
    const [r, c] = argmaxCell(x, cells);
    (out[i] ??= [])[j] = x[r]![c]!;
  });
  return out;
}

/** Average pooling: the mean of each window. Notebook 05 (lecture 000, CNN, pooling). */
export function avgPool2d(x: ArrayLike<ArrayLike<number>>, size: PerAxis = 2, stride?: PerAxis): FeatureMap {
  const [rows, cols] = shapeOf(x, "the input");
  const out: FeatureMap = [];
  forEachWindow(rows, cols, size, stride, (cells, i, j) => {
    (out[i] ??= [])[j] = cells.reduce((s, [r, c]) => s + x[r]![c]!, 0) / cells.length;
  });
  return out;
}

/**
 * Max pooling's backward pass: ∂L/∂x is zero except at each window's arg-max, which receives that window's
 * ∂L/∂y (summed where overlapping windows share an arg-max): the max acts as a "gradient switch".
 * Notebook 05 (lecture 001, CNN, the gradient of max pooling).
 */
export function maxPool2dBackward(x: ArrayLike<ArrayLike<number>>, gradOutput: ArrayLike<ArrayLike<number>>, size: PerAxis = 2, stride?: PerAxis): FeatureMap {
  const [rows, cols] = shapeOf(x, "the input");
  const dx = emptyMap(rows, cols);
  const [oh, ow] = forEachWindow(rows, cols, size, stride, (cells, i, j) => {
    const [r, c] = argmaxCell(x, cells);
    dx[r]![c]! += gradOutput[i]?.[j] ?? NaN;
  });
  const [gh, gw] = shapeOf(gradOutput, "the output gradient");
  if (gh !== oh || gw !== ow) throw new Error(`the output gradient is ${gh}×${gw} but the pooled output is ${oh}×${ow}`);
  return dx;
}

/** Average pooling's backward pass: each window spreads its ∂L/∂y evenly over its cells. Lecture 000 (CNN, pooling). */
export function avgPool2dBackward(x: ArrayLike<ArrayLike<number>>, gradOutput: ArrayLike<ArrayLike<number>>, size: PerAxis = 2, stride?: PerAxis): FeatureMap {
  const [rows, cols] = shapeOf(x, "the input");
  const dx = emptyMap(rows, cols);
  const [oh, ow] = forEachWindow(rows, cols, size, stride, (cells, i, j) => {
    for (const [r, c] of cells) dx[r]![c]! += (gradOutput[i]?.[j] ?? NaN) / cells.length;
  });
  const [gh, gw] = shapeOf(gradOutput, "the output gradient");
  if (gh !== oh || gw !== ow) throw new Error(`the output gradient is ${gh}×${gw} but the pooled output is ${oh}×${ow}`);
  return dx;
}

/** The Laplacian edge filter of the lecture, [[0,1,0],[1,−4,1],[0,1,0]]: zero on flat regions, large at edges. Notebook 05 (lecture 000, CNN). */
export const LAPLACIAN: FeatureMap = [
  [0, 1, 0],
  [1, -4, 1],
  [0, 1, 0],
];

/** The Sobel filter for vertical edges (the horizontal derivative ∂/∂x). Notebook 05 (lecture 003, CNN, Sobel). */
export const SOBEL_X: FeatureMap = [
  [-1, 0, 1],
  [-2, 0, 2],
  [-1, 0, 1],
];

/** The Sobel filter for horizontal edges (∂/∂y), the lecture's `sobel_y` = [[−1,−2,−1],[0,0,0],[1,2,1]]. Notebook 05 (lecture 003, CNN). */
export const SOBEL_Y: FeatureMap = [
  [-1, -2, -1],
  [0, 0, 0],
  [1, 2, 1],
];

/** A feature map through ReLU, max(0, x) cell by cell: the non-linearity between convolution and pooling. Notebook 05 (lecture 001, CNN). */
export function relu2d(x: ArrayLike<ArrayLike<number>>): FeatureMap {
  return Array.from(x, (row) => Array.from(row, (v) => (v > 0 ? v : 0)));
}

/** `x` moved down by `dy` rows and right by `dx` columns (negative: up/left), filling with zeros. Notebook 05 (lecture 001, CNN, translation). */
export function shift2d(x: ArrayLike<ArrayLike<number>>, dy: number, dx: number): FeatureMap {
  const [rows, cols] = shapeOf(x, "the input");
  return Array.from({ length: rows }, (_, i) =>
    Array.from({ length: cols }, (_, j) => {
      const r = i - dy;
      const c = j - dx;
      return r >= 0 && r < rows && c >= 0 && c < cols ? x[r]![c]! : 0;
    }),
  );
}

/** Options of `shiftedCopies`. */
export interface ShiftOptions {
  /** Shifted copies of every image to add (default 2). */
  copies?: number;
  /** Largest shift in pixels along each axis (default 2). */
  maxShift?: number;
  /** Image side in pixels: rows are square single-channel images (default 28, MNIST). */
  size?: number;
  /** The generator drawing the shifts (default the global `rng()`, seeded by `seed`). */
  random?: Random;
}

/**
 * Data augmentation by translation: the dataset followed by `copies` copies of every image, each moved by a random
 * whole number of pixels in [−maxShift, maxShift] along each axis (zeros fill the gap), labels unchanged. It teaches
 * the network the small-shift invariance that pooling only partly gives. Notebooks 02 and 05 (lecture 003, ANN principles, data augmentation).
 */
export function shiftedCopies<Y extends Labels>(dataset: Dataset<Y>, options: ShiftOptions = {}): Dataset<Y> {
  const { copies = 2, maxShift = 2, size = 28, random = rng() } = options;
  if (dataset.cols !== size * size) throw new Error(`shiftedCopies: rows have ${dataset.cols} values, not ${size}×${size} images; pass size`);
  const n = dataset.rows;
  const pixels = size * size;
  const x = new Float32Array(n * (copies + 1) * pixels);
  const y = new (dataset.y.constructor as new (length: number) => Y)(n * (copies + 1) * dataset.yCols);
  x.set(dataset.x);
  y.set(dataset.y);
  for (let c = 1; c <= copies; c++) {
    for (let i = 0; i < n; i++) {
      const dy = random.int(-maxShift, maxShift + 1);
      const dx = random.int(-maxShift, maxShift + 1);
      const src = i * pixels;
      const dst = (c * n + i) * pixels;
      for (let r = 0; r < size; r++) {
        const sr = r - dy;
        if (sr < 0 || sr >= size) continue;
        for (let col = 0; col < size; col++) {
          const sc = col - dx;
          if (sc >= 0 && sc < size) x[dst + r * size + col] = dataset.x[src + sr * size + sc]!;
        }
      }
      y.set(dataset.y.subarray(i * dataset.yCols, (i + 1) * dataset.yCols), (c * n + i) * dataset.yCols);
    }
  }
  return new Dataset(x, y, dataset.cols, dataset.yCols);
}

/**
 * A synthetic grey image in [0, 1] for trying filters on something larger than a digit: a bright square, a disk,
 * a triangle, a diagonal bar and vertical stripes on a dark background, `size` × `size` pixels (default 96).
 * Notebook 05 (lectures 000 and 003, CNN, edge detection).
 */
export function testPattern(size = 96): FeatureMap {
  if (!Number.isInteger(size) || size < 32) throw new Error(`testPattern needs an integer size of at least 32, got ${size}`);
  const u = size / 96;
  return Array.from({ length: size }, (_, i) =>
    Array.from({ length: size }, (_, j) => {
      const [y, x] = [i / u, j / u];
      if (y >= 10 && y < 40 && x >= 10 && x < 40) return 1; // square
      if ((y - 25) ** 2 + (x - 70) ** 2 < 15 ** 2) return 0.8; // disk
      if (y >= 55 && y < 88 && x >= 8 && x < 44 && x - 8 < ((y - 55) * 36) / 33) return 0.6; // right triangle
      if (y >= 52 && y < 90 && x >= 52 && x < 90) {
        if (Math.abs(x - 52 - (y - 52)) < 3) return 1; // diagonal bar
        if (x >= 70 && Math.floor((x - 70) / 4) % 2 === 0) return 0.5; // vertical stripes
      }
      return 0.1;
    }),
  );
}

