/** Pooling (NCHW): max, average and global average, with their gradient rules. */
import { type Tensor, ShapeError, attr } from '../graph.js';
import { reduceMean } from './arithmetic.js';
import { convOutSize, requireFloat, requireRank } from './checks.js';
import { MaxPoolInputGradient } from './max-pool-gradient.js';
import { reshape } from './shape.js';

export interface Pool2dOptions {
  kernel: number;
  stride?: number;
  padding?: number;
}

/**
 * Max pooling. Its gradient rule routes each window's gradient to the input position that held the
 * max, and returns it as a MaxPoolInputGradient so that a ReLU feeding only this pool can mask the
 * smaller pooled gradient instead (see max-pool-gradient.ts and relu in elementwise.ts).
 */
export function maxPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  requireFloat('MaxPool', x);
  requireRank('MaxPool', x, 4, 'input (NCHW)');
  const k = opts.kernel;
  const stride = opts.stride ?? k;
  const p = opts.padding ?? 0;
  const [n, c, h, w] = x.shape;
  const ho = convOutSize('MaxPool', h, k, stride, 1, p, p);
  const wo = convOutSize('MaxPool', w, k, stride, 1, p, p);
  const shape = [n, c, ho, wo];
  const attrs = {
    kernel_shape: attr.ints([k, k]),
    strides: attr.ints([stride, stride]),
    pads: attr.ints([p, p, p, p]),
  };
  const g = x.graph;
  // route each output gradient to the input position that won (indices are flat over the whole input)
  const route = (grad: Tensor): Tensor => {
    if (x.dtype === 'float32' && stride >= k) {
      // disjoint windows: every index occurs at most once, so MaxUnpool (a zero fill plus one write
      // per window; float32 only) routes exactly; measured ~2x faster than ScatterElements below
      return g.addNode(
        'MaxUnpool',
        [grad, indices, g.ints(x.shape, 'shape')],
        [{ name: 'maxpool_dx', shape: x.shape, dtype: x.dtype }],
        attrs,
      )[0];
    }
    const zeros = g.constant(
      new (x.dtype === 'float64' ? Float64Array : Float32Array)(x.size),
      [x.size],
      x.dtype,
      'zeros',
    );
    const flatIdx = reshape(indices, [indices.size]);
    const scattered = g.addNode(
      'ScatterElements',
      [zeros, flatIdx, reshape(grad, [grad.size])],
      [{ name: 'maxpool_dx', shape: [x.size], dtype: x.dtype }],
      { axis: attr.i(0), reduction: attr.s('add') },
    )[0];
    return reshape(scattered, x.shape);
  };
  const [y, indices] = g.addNode(
    'MaxPool',
    [x],
    [
      { name: 'maxpool', shape, dtype: x.dtype },
      { name: 'maxpool_idx', shape, dtype: 'int64' },
    ],
    attrs,
    ([grad]) => {
      if (!grad) return [undefined];
      // tagged with its routing, for ReLU's rule (see max-pool-gradient.ts)
      return [new MaxPoolInputGradient(route(grad), { input: x, output: y, outputGrad: grad, route })];
    },
  );
  return y;
}

/** Average pooling. Non-overlapping windows without padding lower to reshape + mean (works in float64 too). */
export function avgPool2d(x: Tensor, opts: Pool2dOptions): Tensor {
  requireFloat('AveragePool', x);
  requireRank('AveragePool', x, 4, 'input (NCHW)');
  const k = opts.kernel;
  const stride = opts.stride ?? k;
  const p = opts.padding ?? 0;
  const [n, c, h, w] = x.shape;
  if (stride === k && p === 0 && h % k === 0 && w % k === 0) {
    return reduceMean(reshape(x, [n, c, h / k, k, w / k, k]), [3, 5]);
  }
  if (x.dtype === 'float64') {
    throw new ShapeError(
      'AveragePool',
      'overlapping or padded windows have no float64 kernel in onnxruntime; use float32',
    );
  }
  const ho = convOutSize('AveragePool', h, k, stride, 1, p, p);
  const wo = convOutSize('AveragePool', w, k, stride, 1, p, p);
  const attrs = {
    kernel_shape: attr.ints([k, k]),
    strides: attr.ints([stride, stride]),
    pads: attr.ints([p, p, p, p]),
    count_include_pad: attr.i(1),
  };
  return x.graph.addNode(
    'AveragePool',
    [x],
    [{ name: 'avgpool', shape: [n, c, ho, wo], dtype: x.dtype }],
    attrs,
    ([g]) => {
      if (!g) return [undefined];
      // adjoint: a grouped transposed convolution with a constant 1/k² kernel per channel
      const kernel = x.graph.constant(
        new (x.dtype === 'float64' ? Float64Array : Float32Array)(c * k * k).fill(1 / (k * k)),
        [c, 1, k, k],
        x.dtype,
        'avg_kernel',
      );
      const outPad = h - (stride * (ho - 1) + k - 2 * p);
      const outPadW = w - (stride * (wo - 1) + k - 2 * p);
      const tattrs = {
        kernel_shape: attr.ints([k, k]),
        strides: attr.ints([stride, stride]),
        pads: attr.ints([p, p, p, p]),
        group: attr.i(c),
        output_padding: attr.ints([outPad, outPadW]),
      };
      return [
        x.graph.addNode(
          'ConvTranspose',
          [g, kernel],
          [{ name: 'avgpool_dx', shape: x.shape, dtype: x.dtype }],
          tattrs,
        )[0],
      ];
    },
  )[0];
}

export function globalAvgPool(x: Tensor): Tensor {
  requireRank('GlobalAveragePool', x, 4, 'input (NCHW)');
  return reduceMean(x, [2, 3], true);
}
