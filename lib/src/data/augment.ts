/**
 * Data augmentation and noise injection on datasets of square single-channel images (MNIST): rotated
 * copies, copies with Gaussian input noise, and label noise (a fraction of labels flipped to another
 * class). Translated copies are `shiftedCopies` (notebook 05). Notebook 04 (lecture 003: noise
 * injection, data augmentation).
 */
import { type Random, rng } from "../core/random";
import { Dataset, type Labels } from "./dataset";

/** Options of `rotatedCopies`. */
export interface RotateOptions {
  /** Rotated copies of every image to add (default 1). */
  copies?: number;
  /** Largest rotation in degrees, drawn uniformly in [−maxDegrees, maxDegrees] (default 15). */
  maxDegrees?: number;
  /** Image side in pixels (default 28). */
  size?: number;
  random?: Random;
}

/** One image rotated by `degrees` (counter-clockwise as displayed) about its centre, bilinear interpolation, zeros outside. Notebook 04 (lecture 003, data augmentation). */
export function rotateImage(image: ArrayLike<number>, size: number, degrees: number): Float32Array {
  if (image.length !== size * size) throw new RangeError(`rotateImage: ${image.length} pixels are not a ${size}×${size} image`);
  const out = new Float32Array(size * size);
  const c = (size - 1) / 2;
  const a = (-degrees * Math.PI) / 180; // positive degrees turn the image counter-clockwise as displayed (rows downwards)
  const [cos, sin] = [Math.cos(a), Math.sin(a)];
  const at = (r: number, col: number) => (r >= 0 && r < size && col >= 0 && col < size ? image[r * size + col]! : 0);
  for (let r = 0; r < size; r++) {
    for (let col = 0; col < size; col++) {
      // source of output pixel (r, col): rotate back by −a about the centre
      const y = c + (r - c) * cos - (col - c) * sin;
      const x = c + (r - c) * sin + (col - c) * cos;
      const y0 = Math.floor(y);
      const x0 = Math.floor(x);
      const fy = y - y0;
      const fx = x - x0;
      out[r * size + col] =
        (1 - fy) * ((1 - fx) * at(y0, x0) + fx * at(y0, x0 + 1)) + fy * ((1 - fx) * at(y0 + 1, x0) + fx * at(y0 + 1, x0 + 1));
    }
  }
  return out;
}

/**
 * The dataset followed by `copies` copies of every image, each rotated by a random angle in
 * [−maxDegrees, maxDegrees]; labels unchanged. Notebook 04 (lecture 003, data augmentation).
 */
export function rotatedCopies<Y extends Labels>(ds: Dataset<Y>, options: RotateOptions = {}): Dataset<Y> {
  const { copies = 1, maxDegrees = 15, size = 28, random = rng() } = options;
  if (ds.cols !== size * size) throw new RangeError(`rotatedCopies: rows have ${ds.cols} values, not ${size}×${size} images; pass size`);
  const n = ds.rows;
  const x = new Float32Array(n * (copies + 1) * ds.cols);
  const y = new (ds.y.constructor as new (length: number) => Y)(n * (copies + 1) * ds.yCols);
  x.set(ds.x);
  y.set(ds.y);
  for (let c = 1; c <= copies; c++) {
    for (let i = 0; i < n; i++) {
      x.set(rotateImage(ds.row(i), size, random.uniform(-maxDegrees, maxDegrees)), (c * n + i) * ds.cols);
      y.set(ds.target(i), (c * n + i) * ds.yCols);
    }
  }
  return new Dataset(x, y, ds.cols, ds.yCols);
}

/**
 * The dataset followed by `copies` copies with Gaussian noise of standard deviation `std` added to every
 * feature (clipped to [lo, hi] when given, e.g. [0, 1] for pixels). Notebook 04 (lecture 003, noise injection).
 */
export function noisyCopies<Y extends Labels>(ds: Dataset<Y>, options: { copies?: number; std?: number; clip?: [number, number]; random?: Random } = {}): Dataset<Y> {
  const { copies = 1, std = 0.1, clip, random = rng() } = options;
  const n = ds.x.length;
  const x = new Float32Array(n * (copies + 1));
  const y = new (ds.y.constructor as new (length: number) => Y)(ds.y.length * (copies + 1));
  x.set(ds.x);
  for (let c = 0; c <= copies; c++) y.set(ds.y, c * ds.y.length);
  for (let c = 1; c <= copies; c++) {
    for (let k = 0; k < n; k++) {
      let v = ds.x[k]! + random.normal(0, std);
      if (clip) v = Math.min(clip[1], Math.max(clip[0], v));
      x[c * n + k] = v;
    }
  }
  return new Dataset(x, y, ds.cols, ds.yCols);
}

/**
 * A copy of a classification dataset with a `fraction` of its labels (chosen at random) replaced by a
 * different class drawn uniformly: label noise. Returns the dataset and the changed rows.
 * Notebook 04 (lecture 003, noise injection: random flip of labels).
 */
export function flipLabels<Y extends Labels>(ds: Dataset<Y>, fraction: number, classes: number, random: Random = rng()): { data: Dataset<Y>; flipped: Int32Array } {
  if (ds.yCols !== 1) throw new RangeError("flipLabels: needs one class label per row");
  if (!(fraction >= 0 && fraction <= 1)) throw new RangeError(`flipLabels: fraction must be in [0, 1], got ${fraction}`);
  const flipped = Int32Array.from(random.sample(Array.from({ length: ds.rows }, (_, i) => i), Math.round(fraction * ds.rows))).sort();
  const y = ds.y.slice() as Y;
  for (const i of flipped) {
    const other = random.int(classes - 1);
    y[i] = other >= y[i]! ? other + 1 : other;
  }
  return { data: new Dataset(ds.x, y, ds.cols, ds.yCols), flipped };
}

/**
 * Square images shrunk by an integer `factor` by averaging factor × factor blocks (28×28 MNIST → 14×14
 * with factor 2): four times fewer inputs, so from-scratch networks train four times faster.
 * Notebook 04 (small-data experiments).
 */
export function downsample<Y extends Labels>(ds: Dataset<Y>, factor: number, size = 28): Dataset<Y> {
  if (ds.cols !== size * size) throw new RangeError(`downsample: rows have ${ds.cols} values, not ${size}×${size} images; pass size`);
  if (!(Number.isInteger(factor) && factor >= 1 && size % factor === 0)) throw new RangeError(`downsample: factor must divide the side ${size}, got ${factor}`);
  const s = size / factor;
  const x = new Float32Array(ds.rows * s * s);
  for (let i = 0; i < ds.rows; i++) {
    for (let r = 0; r < size; r++) {
      for (let c = 0; c < size; c++) {
        x[i * s * s + Math.floor(r / factor) * s + Math.floor(c / factor)] += ds.x[i * ds.cols + r * size + c]! / (factor * factor);
      }
    }
  }
  return new Dataset(x, ds.y, s * s, ds.yCols);
}
