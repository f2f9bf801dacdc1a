/**
 * The built-in granularities, fasterai's (core/granularity.py, v0.2.4) for Conv2d and Linear, whose
 * axes of the view [1, out, in, kh, kw] are listed in the comments; here they are the weight's own axes
 * (one less). fasterai's names are kept even where they surprise: for a conv weight, `row` averages
 * over kw (one group per (out, in, kh)), `column` over kh, and `channel` over the input channels (one
 * group per (out, kh, kw)); a whole output filter is `filter`.
 */
import type { Granularity } from './types.js';

export const weight: Granularity = {
  name: 'weight',
  description: 'every weight alone (unstructured pruning; the default)',
  axes: { linear: [], conv: [] },
};

export const row: Granularity = {
  name: 'row',
  description:
    'linear: one output unit’s weights W[o, :]; conv: W[o, i, y, :] (fasterai: Linear 2, Conv2d 4)',
  axes: { linear: [1], conv: [3] },
};

export const column: Granularity = {
  name: 'column',
  description: 'linear: one input’s weights W[:, i]; conv: W[o, i, :, x] (fasterai: Linear 1, Conv2d 3)',
  axes: { linear: [0], conv: [2] },
};

export const channel: Granularity = {
  name: 'channel',
  description:
    'conv only: every input channel at one position of one filter, W[o, :, y, x] (fasterai: Conv2d 2)',
  axes: { conv: [1] },
};

export const kernel: Granularity = {
  name: 'kernel',
  description: 'conv only: one kh×kw kernel W[o, i, :, :] (fasterai: Conv2d (3, 4))',
  axes: { conv: [2, 3] },
};

export const filter: Granularity = {
  name: 'filter',
  description: 'conv only: one output filter W[o, :, :, :] (fasterai: Conv2d (2, 3, 4))',
  axes: { conv: [1, 2, 3] },
};

/** In registration order. */
export const BUILTIN_GRANULARITIES: readonly Granularity[] = [weight, row, column, channel, kernel, filter];
