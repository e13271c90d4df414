/**
 * A tiny deterministic PNG encoder (node's zlib, no dependency) and the mapping of pixel values to
 * 8-bit grey or colour levels, so `show` and `imageGrid` can display raw pixel arrays (MNIST digits,
 * feature maps) as images. Lectures 000 and 001 (CNN, MNIST).
 */
import { deflateSync } from "zlib";

const CRC_TABLE = (() => {
  const t = new Uint32Array(256);
  for (let n = 0; n < 256; n++) {
    let c = n;
    for (let k = 0; k < 8; k++) c = c & 1 ? 0xedb88320 ^ (c >>> 1) : c >>> 1;
    t[n] = c >>> 0;
  }
  return t;
})();

function crc32(bytes: Uint8Array): number {
  let c = 0xffffffff;
  for (let i = 0; i < bytes.length; i++) c = CRC_TABLE[(c ^ bytes[i]!) & 0xff]! ^ (c >>> 8);
  return (c ^ 0xffffffff) >>> 0;
}

function chunk(type: string, data: Uint8Array): Buffer {
  const out = Buffer.alloc(12 + data.length);
  out.writeUInt32BE(data.length, 0);
  out.write(type, 4, "latin1");
  Buffer.from(data.buffer, data.byteOffset, data.byteLength).copy(out, 8);
  out.writeUInt32BE(crc32(out.subarray(4, 8 + data.length)), 8 + data.length);
  return out;
}

/** Number of channels of a PNG: 1 grey, 3 RGB, 4 RGBA. Lecture 000 (CNN, images as arrays of pixels). */
export type PngChannels = 1 | 3 | 4;

/**
 * Encodes 8-bit pixels (row by row, `channels` bytes per pixel) as a PNG file.
 * Lecture 000 (CNN, images as arrays of pixels).
 */
export function encodePng(width: number, height: number, pixels: Uint8Array, channels: PngChannels = 1): Buffer {
  if (!(Number.isInteger(width) && Number.isInteger(height) && width > 0 && height > 0)) {
    throw new Error(`encodePng: width and height must be positive integers, got ${width}×${height}`);
  }
  if (pixels.length !== width * height * channels) {
    throw new Error(`encodePng: ${pixels.length} bytes for ${width}×${height}×${channels}; expected ${width * height * channels}`);
  }
  const stride = width * channels;
  const raw = new Uint8Array((stride + 1) * height);
  for (let y = 0; y < height; y++) {
    raw[y * (stride + 1)] = 0; // filter type None
    raw.set(pixels.subarray(y * stride, (y + 1) * stride), y * (stride + 1) + 1);
  }
  const header = Buffer.alloc(13);
  header.writeUInt32BE(width, 0);
  header.writeUInt32BE(height, 4);
  header[8] = 8; // bit depth
  header[9] = channels === 1 ? 0 : channels === 3 ? 2 : 6; // grey, RGB, RGBA
  return Buffer.concat([
    Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]),
    chunk("IHDR", header),
    chunk("IDAT", deflateSync(raw, { level: 9 })),
    chunk("IEND", new Uint8Array(0)),
  ]);
}

/** Pixels to show as an image: values row by row, `channels` per pixel (1 grey, 3 RGB, 4 RGBA). Lectures 000 and 001 (CNN and MNIST). */
export interface PixelImage {
  width: number;
  height: number;
  data: ArrayLike<number>;
  channels?: PngChannels;
}

/** Options of `imagePng`. Notebook 05 (lectures 000 and 001, CNN and MNIST). */
export interface ImageOptions {
  /** Value range mapped to black…white (default [0, 255] for Uint8Array data, else [0, 1]). */
  range?: [number, number];
  /** Integer upscaling factor, nearest neighbour (default: enough to make small images ≥ 112 px). */
  scale?: number;
}

/**
 * Encodes pixel values as a PNG (values clipped to `range`, upscaled by `scale`).
 * Lectures 000 and 001 (CNN, MNIST digits and feature maps).
 */
export function imagePng(image: PixelImage, options: ImageOptions = {}): Buffer {
  const channels = ("channels" in image ? image.channels : undefined) ?? 1;
  const { width, height, data } = image;
  if (data.length !== width * height * channels) {
    throw new Error(`image: ${data.length} values for ${width}×${height}×${channels}; expected ${width * height * channels}`);
  }
  const [lo, hi] = options.range ?? (data instanceof Uint8Array || data instanceof Uint8ClampedArray ? [0, 255] : [0, 1]);
  if (!(hi > lo)) throw new Error(`image: range [${lo}, ${hi}] is empty; give [min, max] with max > min`);
  const scale = options.scale ?? Math.max(1, Math.min(8, Math.ceil(112 / Math.max(width, height))));
  if (!(Number.isInteger(scale) && scale >= 1)) throw new Error(`image: scale must be a positive integer, got ${scale}`);
  const [w, h] = [width * scale, height * scale];
  const out = new Uint8Array(w * h * channels);
  for (let y = 0; y < h; y++) {
    for (let x = 0; x < w; x++) {
      const src = (Math.floor(y / scale) * width + Math.floor(x / scale)) * channels;
      for (let c = 0; c < channels; c++) {
        const v = (Number(data[src + c]) - lo) / (hi - lo);
        out[(y * w + x) * channels + c] = Math.round(255 * Math.min(1, Math.max(0, Number.isNaN(v) ? 0 : v)));
      }
    }
  }
  return encodePng(w, h, out, channels);
}
