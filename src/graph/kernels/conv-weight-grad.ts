/**
 * The weight gradient of a convolution (dL/dw, NCHW), the costliest part of a conv net's backward
 * pass, as three kernels built from graph ops: im2col for few input channels, a flattened-image
 * kernel for stride 1 (all of the paper's nets), and one GEMM per kernel tap otherwise. conv2d's
 * gradient rule (ops/conv.ts) calls convWeightGrad; nothing here depends on ops/conv.ts.
 */
import { type Tensor, typedArrayOf } from '../graph.js';
import { sum } from '../ops/arithmetic.js';
import { batchMatmul, matmul } from '../ops/linear.js';
import { concat, pad, reshape, slice, stridedSlice, transpose } from '../ops/shape.js';

/**
 * Speed knobs of the weight-gradient kernels, passed explicitly (Conv2dOptions.weightGradient). The
 * gradient is the same function whatever their values (graph-conv.test.ts checks several); they set
 * how the sum over images is grouped, so float32 rounding follows them: training uses the defaults.
 */
export interface ConvWeightGradOptions {
  /**
   * Entries of one kernel tap's shifted-input operand in the stride-1 kernel: images are processed
   * in groups whose operands stay in cache between their copy and their GEMM.
   */
  tapOperandEntries?: number;
}

export const CONV_WEIGHT_GRAD_DEFAULTS: Readonly<Required<ConvWeightGradOptions>> = Object.freeze({
  tapOperandEntries: 1 << 19,
});

/**
 * dL/dw of a convolution as kh·kw matrix products, one per kernel offset: the output gradient
 * [Co, N·Ho·Wo] times the input shifted by that offset [C, N·Ho·Wo]ᵀ. onnxruntime's Conv with the
 * gradient as a huge kernel (the textbook formulation) ran ~3x slower here, its GEMM having only
 * kh·kw columns; one GEMM over all stacked patches spent as long stacking them as multiplying.
 */
export function convWeightGrad(
  x: Tensor,
  g: Tensor,
  wShape: readonly number[],
  stride: number,
  pads: number[],
  dilation: number,
  options: ConvWeightGradOptions = {},
): Tensor {
  const [co, ci, kh, kw] = wShape;
  const [n, , ho, wo] = g.shape;
  if (kh * kw * ci <= co) return convWeightGradIm2col(x, g, wShape, stride, pads, dilation);
  if (stride === 1 && perImageProductsFit(wShape, g.shape, x.shape[3] + pads[1] + pads[3])) {
    const tapOperandEntries = options.tapOperandEntries ?? CONV_WEIGHT_GRAD_DEFAULTS.tapOperandEntries;
    return convWeightGradStride1(x, g, wShape, pads, dilation, tapOperandEntries);
  }
  const columns = n * ho * wo;
  const xp = pad(transpose(x, [1, 0, 2, 3]), [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]]); // [C, N, Hp, Wp]
  const gt = reshape(transpose(g, [1, 0, 2, 3]), [co, columns]);
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      const shifted = reshape(kernelTapWindow(xp, i, j, stride, dilation, [ho, wo]), [ci, columns]);
      taps.push(reshape(matmul(gt, shifted, { transB: true }), [co, ci, 1]));
    }
  }
  return reshape(taps.length === 1 ? taps[0] : concat(taps, 2), [co, ci, kh, kw]);
}

/**
 * Whether the stride-1 kernel's per-image products ([Co, C] per image and tap, summed afterwards)
 * stay within twice its operands ([C + Co, Ho·Wp] per image). Wide layers on small maps (VGG's
 * 512-channel 4×4 and 2×2 layers: 2.4M product entries per image against 25K operand entries) would
 * spend their time writing and summing products, ~600 MB per layer at batch 64; one GEMM per tap
 * over all images (K = N·Ho·Wo) computes each product once. Every layer of the paper's Conv and LeNet
 * nets and of the CIFAR ResNets passes this test.
 */
function perImageProductsFit(wShape: readonly number[], gShape: readonly number[], wp: number): boolean {
  const [co, ci] = wShape;
  const ho = gShape[2];
  return co * ci <= 2 * (co + ci) * ho * wp;
}

/**
 * Few input channels (C·kh·kw <= Co, e.g. a first layer on RGB images): the input's patches
 * [N, kh·kw·C, Ho·Wo] are smaller than the output gradient, so they are gathered once (kh·kw
 * strided copies of the small input) and one batched GEMM per image ([Co, Ho·Wo] · patchesᵀ, with
 * kh·kw·C columns instead of C) takes the output gradient as it is, without padding or copying it.
 */
function convWeightGradIm2col(
  x: Tensor,
  g: Tensor,
  wShape: readonly number[],
  stride: number,
  pads: number[],
  dilation: number,
): Tensor {
  const [co, ci, kh, kw] = wShape;
  const [n, , ho, wo] = g.shape;
  const xp = pad(x, [0, 0, pads[0], pads[1], 0, 0, pads[2], pads[3]]);
  const taps: Tensor[] = [];
  for (let i = 0; i < kh; i++) {
    for (let j = 0; j < kw; j++) {
      taps.push(reshape(kernelTapWindow(xp, i, j, stride, dilation, [ho, wo]), [n, ci, ho * wo]));
    }
  }
  const patches = taps.length === 1 ? taps[0] : concat(taps, 1); // [N, taps·C, Ho·Wo]
  const product = batchMatmul(reshape(g, [n, co, ho * wo]), patches, { transB: true }); // [N, Co, taps·C]
  const total = sumRows(reshape(product, [n, co * kh * kw * ci]));
  return transpose(reshape(total, [co, kh, kw, ci]), [0, 3, 1, 2]);
}

/**
 * The input window kernel tap (i, j) of a convolution multiplies: the [.., .., Ho, Wo] strided slice
 * of the padded NCHW input starting at the tap's dilated offset.
 */
function kernelTapWindow(
  xp: Tensor,
  i: number,
  j: number,
  stride: number,
  dilation: number,
  [ho, wo]: readonly number[],
): Tensor {
  const starts = [i * dilation, j * dilation];
  const ends = [starts[0] + (ho - 1) * stride + 1, starts[1] + (wo - 1) * stride + 1];
  return stridedSlice(xp, starts, ends, [2, 3], [stride, stride]);
}

/** The sum of a [rows, K] matrix's rows as [1, K]: a product with a row of ones (one GEMM, no ReduceSum). */
function sumRows(m: Tensor): Tensor {
  const rows = m.shape[0];
  if (rows === 1) return m;
  const ones = m.graph.constant(
    typedArrayOf(m.dtype, new Array<number>(rows).fill(1)),
    [1, rows],
    m.dtype,
    'ones',
  );
  return matmul(ones, m);
}

/**
 * The stride-1 case, without transposes or 2-D shifted copies. The padded input is flattened per
 * image with row pitch Wp, and the output gradient is laid out on the same pitch (zeros past column
 * Wo). A kernel tap (i, j) is then a plain offset i·Wp + j into each flattened image, so each tap's
 * operand is one contiguous range per image and channel, and the zero columns cancel the
 * wrapped-around entries. Per group of images and tap, a batched GEMM gives each image's
 * [Co, C] contribution ([Co, L] · [C, L]ᵀ with L = Ho·Wp); a product with a row of ones sums them.
 */
function convWeightGradStride1(
  x: Tensor,
  g: Tensor,
  wShape: readonly number[],
  pads: number[],
  dilation: number,
  tapOperandEntries: number,
): Tensor {
  const [co, ci, kh, kw] = wShape;
  const [n, , ho, wo] = g.shape;
  const [, , h, w] = x.shape;
  const hp = h + pads[0] + pads[2];
  const wp = w + pads[1] + pads[3];
  const length = ho * wp;
  // one extra zero row keeps the last tap's window inside each image
  const images = reshape(pad(x, [0, 0, pads[0], pads[1], 0, 0, pads[2] + 1, pads[3]]), [
    n,
    ci,
    (hp + 1) * wp,
  ]);
  const grads = reshape(pad(g, [0, 0, 0, 0, 0, 0, 0, wp - wo]), [n, co, length]);
  // images per group; a multiple of 4 (or 2) keeps 2 or 4 threads evenly busy, as onnxruntime runs
  // a batch of small GEMMs one per thread
  let group = Math.max(1, Math.min(n, Math.floor(tapOperandEntries / (ci * length))));
  if (group < n && group > 1) group -= group >= 4 ? group % 4 : group % 2;
  // the wider of Co and C as the GEMM's N (its vectorized dimension): rows [A, B] = [Co, C] or [C, Co]
  const [rows, cols] = ci >= co ? [co, ci] : [ci, co];
  const parts: Tensor[] = [];
  for (let start = 0; start < n; start += group) {
    const end = Math.min(n, start + group);
    const count = end - start;
    const gs = count === n ? grads : slice(grads, [start], [end], [0]);
    const taps: Tensor[] = [];
    for (let i = 0; i < kh; i++) {
      for (let j = 0; j < kw; j++) {
        const offset = i * dilation * wp + j * dilation;
        const shifted = slice(images, [start, offset], [end, offset + length], [0, 2]);
        taps.push(
          ci >= co ? batchMatmul(gs, shifted, { transB: true }) : batchMatmul(shifted, gs, { transB: true }),
        );
      }
    }
    // [count, A, taps·B]: each image's contributions, then their sum (a product with a row of ones)
    parts.push(
      sumRows(reshape(taps.length === 1 ? taps[0] : concat(taps, 2), [count, rows * kh * kw * cols])),
    );
  }
  const total = reshape(sum(parts), [rows, kh, kw, cols]);
  return transpose(total, ci >= co ? [0, 3, 1, 2] : [3, 0, 1, 2]);
}
