/**
 * Convolution (NCHW) with its gradient rule. float32 emits onnxruntime's native Conv/ConvTranspose;
 * float64 (gradient checks) a lowered subgraph of the same function (lowering.ts) under the same rule.
 */
import { type Attr, type Backward, type Tensor, ShapeError, attr, shapeStr } from '../graph.js';
import { type ConvWeightGradOptions, convWeightGrad } from '../kernels/conv-weight-grad.js';
import { lowerConv, lowerConvTranspose } from '../lowering.js';
import { reduceSum } from './arithmetic.js';
import { convOutSize, requireFloat, requireRank, sameDtype } from './checks.js';
import { flip, transpose } from './shape.js';

export type Padding = number | 'same' | 'valid' | [number, number, number, number];

export interface Conv2dOptions {
  stride?: number;
  padding?: Padding;
  dilation?: number;
  /** Speed knobs of the weight-gradient kernels (default CONV_WEIGHT_GRAD_DEFAULTS). */
  weightGradient?: ConvWeightGradOptions;
}

/** Resolves padding to ONNX order [top, left, bottom, right] for a given input size. */
export function resolvePads(
  padding: Padding,
  kernel: [number, number],
  stride: number,
  dilation: number,
  hw: [number, number],
): number[] {
  if (padding === 'valid') return [0, 0, 0, 0];
  if (typeof padding === 'number') return [padding, padding, padding, padding];
  if (padding === 'same') {
    // as TensorFlow / ONNX SAME_UPPER: output = ceil(input / stride), extra padding at the end
    const pads = [0, 0, 0, 0];
    for (let i = 0; i < 2; i++) {
      const out = Math.ceil(hw[i] / stride);
      const total = Math.max(0, (out - 1) * stride + (kernel[i] - 1) * dilation + 1 - hw[i]);
      pads[i] = Math.floor(total / 2);
      pads[i + 2] = total - pads[i];
    }
    return pads;
  }
  return [...padding];
}

/**
 * 2-D convolution (NCHW, groups = 1). Its gradient rule: dL/dx below (convInputGrad), dL/dw by the
 * kernels of kernels/conv-weight-grad.ts, dL/db a sum over N, H, W.
 */
export function conv2d(x: Tensor, w: Tensor, b: Tensor | undefined, opts: Conv2dOptions = {}): Tensor {
  sameDtype('Conv', x, w);
  requireFloat('Conv', x);
  requireRank('Conv', x, 4, 'input (NCHW)');
  requireRank('Conv', w, 4, 'weight (out, in, kh, kw)');
  const [n, c, h, wd] = x.shape;
  const [co, ci, kh, kw] = w.shape;
  if (ci !== c)
    throw new ShapeError(
      'Conv',
      `weight ${shapeStr(w.shape)} expects ${ci} input channels, input ${shapeStr(x.shape)} has ${c}`,
    );
  if (b && (b.rank !== 1 || b.shape[0] !== co))
    throw new ShapeError('Conv', `bias ${shapeStr(b.shape)} should be [${co}]`);
  const stride = opts.stride ?? 1;
  const dilation = opts.dilation ?? 1;
  const pads = resolvePads(opts.padding ?? 0, [kh, kw], stride, dilation, [h, wd]);
  const ho = convOutSize('Conv', h, kh, stride, dilation, pads[0], pads[2]);
  const wo = convOutSize('Conv', wd, kw, stride, dilation, pads[1], pads[3]);
  const attrs = {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints([stride, stride]),
    pads: attr.ints(pads),
    dilations: attr.ints([dilation, dilation]),
  };
  const backward: Backward = ([g]) => {
    if (!g) return [undefined, undefined, undefined];
    return [
      convInputGrad(g, w, x.shape, stride, pads, dilation, opts.weightGradient),
      convWeightGrad(x, g, w.shape, stride, pads, dilation, opts.weightGradient),
      b ? reduceSum(g, [0, 2, 3]) : undefined,
    ];
  };
  return nativeOrLowered('Conv', b ? [x, w, b] : [x, w], [n, co, ho, wo], attrs, backward, () =>
    lowerConv(x, w, b, stride, pads, dilation, [ho, wo]),
  );
}

/**
 * Emits a native op in float32; in float64, where onnxruntime's CPU provider has no kernel, a lowered
 * subgraph computing the same function, with the same gradient rule attached.
 */
function nativeOrLowered(
  op: string,
  inputs: Tensor[],
  shape: number[],
  attrs: Record<string, Attr>,
  backward: Backward | undefined,
  lowered: () => Tensor,
): Tensor {
  const graph = inputs[0].graph;
  if (inputs[0].dtype !== 'float64') {
    return graph.addNode(
      op,
      inputs,
      [{ name: op.toLowerCase(), shape, dtype: inputs[0].dtype }],
      attrs,
      backward,
    )[0];
  }
  const y = lowered();
  if (backward) graph.addGradientRule(inputs, [y], backward);
  return y;
}

/**
 * dL/dx of a convolution. Stride 1 (all of the paper's nets): a forward convolution of the output
 * gradient with the kernel flipped and its channel axes swapped, which runs on onnxruntime's fast
 * forward-conv path (measured ~2x faster than ConvTranspose here). Otherwise a transposed convolution.
 */
function convInputGrad(
  g: Tensor,
  w: Tensor,
  xShape: readonly number[],
  stride: number,
  pads: number[],
  dilation: number,
  weightGradient: ConvWeightGradOptions | undefined,
): Tensor {
  const [n, , ho, wo] = g.shape;
  const [, ci, kh, kw] = w.shape;
  const [, , h, wd] = xShape;
  const flippedPads = [
    dilation * (kh - 1) - pads[0],
    dilation * (kw - 1) - pads[1],
    dilation * (kh - 1) - pads[2],
    dilation * (kw - 1) - pads[3],
  ];
  if (stride === 1 && flippedPads.every((p) => p >= 0)) {
    const wFlipped = flip(transpose(w, [1, 0, 2, 3]), [2, 3]);
    return conv2d(g, wFlipped, undefined, {
      padding: flippedPads as [number, number, number, number],
      dilation,
      weightGradient,
    });
  }
  // ConvTranspose output = stride*(in-1) + output_padding + (k-1)*dilation + 1 - pads; output_padding
  // restores the rows the forward conv's floor division dropped.
  const outPadH = h - (stride * (ho - 1) + (kh - 1) * dilation + 1 - pads[0] - pads[2]);
  const outPadW = wd - (stride * (wo - 1) + (kw - 1) * dilation + 1 - pads[1] - pads[3]);
  const attrs = {
    kernel_shape: attr.ints([kh, kw]),
    strides: attr.ints([stride, stride]),
    pads: attr.ints(pads),
    dilations: attr.ints([dilation, dilation]),
    output_padding: attr.ints([outPadH, outPadW]),
  };
  const backward: Backward = ([gg]) => {
    // the transposed convolution is linear in g; its adjoint is the forward convolution
    if (!gg) return [undefined, undefined];
    return [
      conv2d(gg, w, undefined, {
        stride,
        padding: pads as [number, number, number, number],
        dilation,
        weightGradient,
      }),
      undefined,
    ];
  };
  return nativeOrLowered('ConvTranspose', [g, w], [n, ci, h, wd], attrs, backward, () =>
    lowerConvTranspose(g, w, stride, pads, dilation, [h, wd]),
  );
}
