/** A model context that passes everything to another one and adds structured pruning's hooks. */
import type { ChannelHooks, ModelContext } from '../../models/types.js';

export function withChannelHooks(ctx: ModelContext, channels: ChannelHooks): ModelContext {
  return {
    dtype: ctx.dtype,
    training: ctx.training,
    param: (decl) => ctx.param(decl),
    buffer: (decl) => ctx.buffer(decl),
    updateBuffer: (name, value) => ctx.updateBuffer(name, value),
    dropoutMask: (name, shape, rate) => ctx.dropoutMask(name, shape, rate),
    channels,
  };
}
