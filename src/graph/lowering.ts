/**
 * float64 versions of the operators onnxruntime's CPU provider implements only for float32
 * (Conv, ConvTranspose), written as pad / strided slice / MatMul. They exist so gradient checks can
 * run the exact same gradient rules in double precision; float32 graphs always use the native ops.
 * The lowered nodes carry no gradient rules of their own: the rule stays on the logical op.
 */
import { type Tensor, attr } from './graph.js';

function raw(op: string, inputs: Tensor[], shape: number[], attrs = {}): Tensor {
  const dtype = inputs[0].dtype;
  return inputs[0].graph.addNode(
    op,
    inputs,
    [{ name: `lowered_${op.toLowerCase()}`, shape, dtype }],
    attrs,
  )[0];
}

function rawReshape(x: Tensor, shape: number[]): Tensor {
  return raw('Reshape', [x, x.graph.ints(shape)], shape);
}

function rawPad(x: Tensor, pads: number[]): Tensor {
  if (pads.every((p) => p === 0)) return x;
  const shape = x.shape.map((d, i) => d + pads[i] + pads[i + x.rank]);
  return raw('Pad', [x, x.graph.ints(pads)], shape);
}

function rawSlice(x: Tensor, starts: number[], ends: number[], axes: number[], steps: number[]): Tensor {
  const shape = [...x.shape];
  axes.forEach((a, i) => (shape[a] = Math.max(0, Math.ceil((ends[i] - starts[i]) / steps[i]))));
  const g = x.graph;
  return raw('Slice', [x, g.ints(starts), g.ints(ends), g.ints(axes), g.ints(steps)], shape);
}

/** Conv (groups = 1) as im2col + MatMul. */
export function lowerConv(
  x: Tensor,
  w: Tensor,
  b: Tensor | undefined,
  stride: number,
  pads: number[],
  dilation: number,
  out: [number, number],
): Tensor {
  const [n, c] = x.shape;
  const [co, , kh, kw] = w.shape;
  const [ho, wo] = out;
  const xp = rawPad(x, [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]]);
  const cols: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const s = rawSlice(
        xp,
        [i * dilation, j * dilation],
        [i * dilation + (ho - 1) * stride + 1, j * dilation + (wo - 1) * stride + 1],
        [2, 3],
        [stride, stride],
      );
      cols.push(rawReshape(s, [n, c, 1, ho * wo]));
    }
  }
  const k = kh * kw;
  const stacked = cols.length === 1 ? cols[0] : raw('Concat', cols, [n, c, k, ho * wo], { axis: attr.i(2) });
  const patches = rawReshape(stacked, [n, c * k, ho * wo]);
  const w2 = rawReshape(w, [co, c * k]);
  let y = rawReshape(raw('MatMul', [w2, patches], [n, co, ho * wo]), [n, co, ho, wo]);
  if (b) y = raw('Add', [y, rawReshape(b, [1, co, 1, 1])], [n, co, ho, wo]);
  return y;
}

/** ConvTranspose (groups = 1) as MatMul + col2im (zero insertion, shifted pads, sum). */
export function lowerConvTranspose(
  g: Tensor,
  w: Tensor,
  stride: number,
  pads: number[],
  dilation: number,
  out: [number, number],
): Tensor {
  const [n, co, ho, wo] = g.shape;
  const [, ci, kh, kw] = w.shape;
  const [h, wd] = out;
  const k = kh * kw;
  const wt = raw('Transpose', [rawReshape(w, [co, ci * k])], [ci * k, co], { perm: attr.ints([1, 0]) });
  const cols = rawReshape(raw('MatMul', [wt, rawReshape(g, [n, co, ho * wo])], [n, ci * k, ho * wo]), [
    n,
    ci,
    k,
    ho,
    wo,
  ]);
  const hp = h + pads[0] + pads[2];
  const wp = wd + pads[1] + pads[3];
  let sum: Tensor | undefined;
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const idx = i * kw + j;
      let part = rawReshape(rawSlice(cols, [idx], [idx + 1], [2], [1]), [n, ci, ho, 1, wo, 1]);
      // zero insertion: each input row/column is followed by stride-1 zeros
      part = rawReshape(rawPad(part, [0, 0, 0, 0, 0, 0, 0, 0, 0, stride - 1, 0, stride - 1]), [
        n,
        ci,
        ho * stride,
        wo * stride,
      ]);
      // place at offset (i·d, j·d) inside the padded output, cropping what falls outside
      const placed = fitTo(part, i * dilation, j * dilation, hp, wp);
      sum = sum ? raw('Add', [sum, placed], [n, ci, hp, wp]) : placed;
    }
  }
  return rawSlice(sum!, [pads[0], pads[1]], [pads[0] + h, pads[1] + wd], [2, 3], [1, 1]);
}

function fitTo(x: Tensor, top: number, left: number, height: number, width: number): Tensor {
  const [, , h, w] = x.shape;
  const keepH = Math.min(h, height - top);
  const keepW = Math.min(w, width - left);
  const cropped = keepH < h || keepW < w ? rawSlice(x, [0, 0], [keepH, keepW], [2, 3], [1, 1]) : x;
  return rawPad(cropped, [0, 0, top, left, 0, 0, height - top - keepH, width - left - keepW]);
}
