/**
 * Channel selection (NCHW or NC): the channels of `x` at fixed indices, in their order. Structured
 * pruning uses it where a thinner network reads some channels of a tensor it cannot shrink (the
 * residual stream before a pre-activation BatchNorm). Its gradient puts each channel's gradient back
 * at its index and zero elsewhere: a zero channel is padded on, and a second Gather picks, for every
 * input channel, its selected position or that zero channel.
 */
import { type Tensor, ShapeError, attr } from '../graph.js';
import { pad } from './shape.js';

export function gatherChannels(x: Tensor, indices: readonly number[]): Tensor {
  if (x.rank < 2) throw new ShapeError('Gather', `channel selection needs [N, C, ...], got ${x}`);
  const channels = x.shape[1];
  const seen = new Set<number>();
  for (const i of indices) {
    if (!Number.isInteger(i) || i < 0 || i >= channels || seen.has(i))
      throw new ShapeError('Gather', `channel indices must be distinct integers in [0, ${channels})`);
    seen.add(i);
  }
  return gather(x, indices, (g) => {
    // every input channel reads its selected position, or the zero channel padded on at the end
    const position = new Map(indices.map((c, k) => [c, k]));
    const back = Array.from({ length: channels }, (_, c) => position.get(c) ?? indices.length);
    const pads = g.shape.map(() => 0).concat(g.shape.map((_, i) => (i === 1 ? 1 : 0)));
    return gather(pad(g, pads), back);
  });
}

function gather(x: Tensor, indices: readonly number[], grad?: (g: Tensor) => Tensor): Tensor {
  const shape = [...x.shape];
  shape[1] = indices.length;
  return x.graph.addNode(
    'Gather',
    [x, x.graph.ints(indices, 'channels')],
    [{ name: 'gather_channels', shape, dtype: x.dtype }],
    { axis: attr.i(1) },
    grad ? ([g]) => [g ? grad(g) : undefined, undefined] : undefined,
  )[0];
}
