/**
 * Mask pictures for MLPs: the first layer's mask (PyTorch layout [out, in], one row per hidden
 * unit) seen as images of the input. Two views: a heat map of how many hidden units still connect
 * to each input pixel, and one small image per hidden unit of the pixels it still sees.
 *
 * The functions take the mask and its shape, not paths, so they do not depend on how runs are laid
 * out; `findMasks` and `loadFirstLayerMask` (together `diskMasks`) read the store's files.
 */
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { PNG } from 'pngjs';
import { readTensorFile } from '../store/index.js';

export const MASK_FILE = 'masks.safetensors';

function checkShapes(
  mask: ArrayLike<number>,
  shape: readonly number[],
  imageShape: readonly number[],
): { out: number; inputs: number } {
  if (shape.length !== 2) throw new RangeError(`mask shape [${shape}] is not [out, in]`);
  const [out, inputs] = shape;
  if (mask.length !== out * inputs) {
    throw new RangeError(`mask has ${mask.length} entries, shape [${shape}] needs ${out * inputs}`);
  }
  if (imageShape.length !== 2 || imageShape[0] * imageShape[1] !== inputs) {
    throw new RangeError(`image shape [${imageShape}] does not hold the ${inputs} inputs of mask [${shape}]`);
  }
  return { out, inputs };
}

/**
 * Surviving connections per input pixel: entry y·W + x counts the hidden units whose mask keeps
 * the weight from pixel (y, x). Any non-zero mask entry counts as kept.
 */
export function maskHeatmap(
  mask: ArrayLike<number>,
  shape: readonly number[],
  imageShape: readonly number[],
): Uint32Array {
  const { out, inputs } = checkShapes(mask, shape, imageShape);
  const counts = new Uint32Array(inputs);
  for (let o = 0; o < out; o++) {
    const base = o * inputs;
    for (let i = 0; i < inputs; i++) if (mask[base + i] !== 0) counts[i]++;
  }
  return counts;
}

/** The pixels hidden unit `unit` still sees, as a 0/1 image (row-major, imageShape). */
export function unitMaskImage(
  mask: ArrayLike<number>,
  shape: readonly number[],
  imageShape: readonly number[],
  unit: number,
): Uint8Array {
  const { out, inputs } = checkShapes(mask, shape, imageShape);
  if (!Number.isInteger(unit) || unit < 0 || unit >= out)
    throw new RangeError(`unit ${unit} not in [0, ${out})`);
  const img = new Uint8Array(inputs);
  for (let i = 0; i < inputs; i++) img[i] = mask[unit * inputs + i] !== 0 ? 1 : 0;
  return img;
}

/** `count` unit indices spread evenly over [0, out) (all of them if out ≤ count). */
export function sampleUnits(out: number, count: number): number[] {
  if (out <= count) return Array.from({ length: out }, (_, i) => i);
  return Array.from({ length: count }, (_, i) => Math.floor((i * out) / count));
}

export interface MaskGridOptions {
  /** Units to draw (default: `count` spread evenly). */
  units?: readonly number[];
  /** Units to sample when `units` is not given (default 64). */
  count?: number;
  /** Images per row (default: ⌈√units⌉). */
  columns?: number;
  /** Screen pixels per mask pixel (default 3). */
  scale?: number;
  /** Gap between images, in screen pixels (default 2). */
  gap?: number;
}

export interface MaskGrid {
  png: Buffer;
  units: number[];
  width: number;
  height: number;
  columns: number;
  rows: number;
}

/** RGB of kept connections, pruned connections, and the gaps between unit images. */
export const GRID_COLORS = {
  kept: [33, 49, 94],
  pruned: [244, 244, 240],
  gap: [190, 190, 190],
} as const;

/**
 * One image per hidden unit (row of the mask), tiled in a grid and written as a PNG: dark pixels
 * are input pixels the unit still sees, light ones are pruned. Unit u's image sits at grid cell
 * (⌊k / columns⌋, k mod columns) where k is u's position in `units`.
 */
export function maskGridPng(
  mask: ArrayLike<number>,
  shape: readonly number[],
  imageShape: readonly number[],
  opts: MaskGridOptions = {},
): MaskGrid {
  const { out, inputs } = checkShapes(mask, shape, imageShape);
  const units = [...(opts.units ?? sampleUnits(out, opts.count ?? 64))];
  for (const u of units)
    if (!Number.isInteger(u) || u < 0 || u >= out) throw new RangeError(`unit ${u} not in [0, ${out})`);
  const columns = Math.max(1, opts.columns ?? Math.ceil(Math.sqrt(units.length)));
  const rows = Math.max(1, Math.ceil(units.length / columns));
  const scale = opts.scale ?? 3;
  const gap = opts.gap ?? 2;
  const [h, w] = imageShape;
  const width = columns * w * scale + (columns + 1) * gap;
  const height = rows * h * scale + (rows + 1) * gap;
  const png = new PNG({ width, height });
  // pngjs keeps RGBA internally; fill it all with the gap colour, then draw each unit
  const data = png.data;
  for (let p = 0; p < width * height; p++) {
    data[p * 4] = GRID_COLORS.gap[0];
    data[p * 4 + 1] = GRID_COLORS.gap[1];
    data[p * 4 + 2] = GRID_COLORS.gap[2];
    data[p * 4 + 3] = 255;
  }
  units.forEach((u, k) => {
    const ox = gap + (k % columns) * (w * scale + gap);
    const oy = gap + Math.floor(k / columns) * (h * scale + gap);
    for (let y = 0; y < h; y++) {
      for (let x = 0; x < w; x++) {
        const c = mask[u * inputs + y * w + x] !== 0 ? GRID_COLORS.kept : GRID_COLORS.pruned;
        for (let dy = 0; dy < scale; dy++) {
          let p = ((oy + y * scale + dy) * width + ox + x * scale) * 4;
          for (let dx = 0; dx < scale; dx++, p += 4) {
            data[p] = c[0];
            data[p + 1] = c[1];
            data[p + 2] = c[2];
          }
        }
      }
    }
  });
  return {
    png: PNG.sync.write(png, { colorType: 2, inputColorType: 6, inputHasAlpha: true }),
    units,
    width,
    height,
    columns,
    rows,
  };
}

/** A mask file of a run: `<run-dir>/trial-<t>/level-<LL>/<condition>/masks.safetensors`. */
export interface MaskFile {
  trial: number;
  level: number;
  condition: string;
  path: string;
}

/** Every mask file under a run directory, sorted by trial, level, condition. */
export function findMasks(runDir: string): MaskFile[] {
  const out: MaskFile[] = [];
  const dirs = (d: string) => {
    try {
      return readdirSync(d, { withFileTypes: true }).filter((e) => e.isDirectory());
    } catch {
      return [];
    }
  };
  for (const t of dirs(runDir)) {
    const tm = /^trial-(\d+)$/.exec(t.name);
    if (!tm) continue;
    for (const l of dirs(join(runDir, t.name))) {
      const lm = /^level-(\d+)$/.exec(l.name);
      if (!lm) continue;
      for (const c of dirs(join(runDir, t.name, l.name))) {
        const path = join(runDir, t.name, l.name, c.name, MASK_FILE);
        if (existsSync(path))
          out.push({ trial: Number(tm[1]), level: Number(lm[1]), condition: c.name, path });
      }
    }
  }
  return out.sort((a, b) => a.trial - b.trial || a.level - b.level || a.condition.localeCompare(b.condition));
}

export interface LayerMask {
  name: string;
  /** [out, in] */
  shape: [number, number];
  /** 0/1 per weight, row-major [out, in]. */
  data: Uint8Array;
}

/**
 * The first layer's mask in a mask file of a multilayer perceptron: `fc1.weight` if present, else
 * the first 2-D tensor (with `inputs` columns, when given). Undefined if the file holds a tensor of
 * rank above 2 (a conv net: its fc layers do not see the image) or no fitting 2-D tensor.
 * Non-U8 masks are converted to 0/1.
 */
export function loadFirstLayerMask(path: string, inputs?: number): LayerMask | undefined {
  const { tensors } = readTensorFile(path);
  const all = [...tensors];
  if (all.some(([, t]) => t.shape.length > 2)) return undefined;
  const fits = (s: number[]) => s.length === 2 && (inputs === undefined || s[1] === inputs);
  const entry =
    all.find(([n, t]) => n === 'fc1.weight' && fits(t.shape)) ?? all.find(([, t]) => fits(t.shape));
  if (!entry) return undefined;
  const [name, t] = entry;
  let data: Uint8Array;
  if (t.data instanceof Uint8Array) data = t.data;
  else {
    data = new Uint8Array(t.data.length);
    for (let i = 0; i < data.length; i++) data[i] = Number(t.data[i]) !== 0 ? 1 : 0;
  }
  return { name, shape: [t.shape[0], t.shape[1]], data };
}

/**
 * Where report building reads mask files from: the run store on disk (`diskMasks`) when writing a
 * report, anything else in tests. Building calls it lazily, only for the files it draws.
 */
export interface MaskReader {
  /** The mask files of a run, sorted by trial, level, condition (see findMasks). */
  find(runDir: string): MaskFile[];
  /** The first layer's mask in one file (see loadFirstLayerMask). */
  firstLayer(path: string, inputs?: number): LayerMask | undefined;
}

export const diskMasks: MaskReader = { find: findMasks, firstLayer: loadFirstLayerMask };

/**
 * The 2-D image an MLP's input is, from the config's inputShape ([784] → 28×28, [1, 28, 28] →
 * 28×28); undefined for multi-channel inputs or non-square flat ones.
 */
export function imageShapeFor(config: Record<string, unknown>, inputs: number): [number, number] | undefined {
  const s = config.inputShape;
  if (Array.isArray(s) && s.every((d) => Number.isInteger(d))) {
    const dims = s as number[];
    if (dims.length === 3 && dims[0] === 1 && dims[1] * dims[2] === inputs) return [dims[1], dims[2]];
    if (dims.length === 2 && dims[0] * dims[1] === inputs) return [dims[0], dims[1]];
    if (dims.length === 3) return undefined;
  }
  const side = Math.round(Math.sqrt(inputs));
  return side * side === inputs && side > 1 ? [side, side] : undefined;
}
