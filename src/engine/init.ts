/** Initial parameter values from each parameter's init spec, drawn from a per-parameter seeded stream. */
import type { InitSpec, ParamDecl } from '../models/types.js';
import { Rng } from '../util/rng.js';

export function initialValues(decl: ParamDecl, seed: number, salt = 'init'): Float32Array {
  const n = decl.shape.reduce((a, b) => a * b, 1);
  const out = new Float32Array(n);
  fillInit(out, decl.init, decl.fanIn, decl.fanOut, Rng.derive(seed, salt, decl.name));
  return out;
}

export function fillInit(out: Float32Array, init: InitSpec, fanIn: number, fanOut: number, rng: Rng): void {
  switch (init.kind) {
    case 'constant':
      out.fill(init.value);
      return;
    case 'normal':
      for (let i = 0; i < out.length; i++) out[i] = rng.normal() * init.std;
      return;
    case 'uniform':
      for (let i = 0; i < out.length; i++) out[i] = (rng.float() * 2 - 1) * init.bound;
      return;
    case 'glorot_normal': {
      // Gaussian Glorot, as in the paper: std = sqrt(2 / (fan_in + fan_out))
      const std = Math.sqrt(2 / (fanIn + fanOut));
      for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
      return;
    }
    case 'glorot_uniform': {
      const bound = Math.sqrt(6 / (fanIn + fanOut));
      for (let i = 0; i < out.length; i++) out[i] = (rng.float() * 2 - 1) * bound;
      return;
    }
    case 'kaiming_normal': {
      const std = Math.sqrt(2 / fanIn);
      for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
      return;
    }
    case 'kaiming_normal_fan_out': {
      const std = Math.sqrt(2 / fanOut);
      for (let i = 0; i < out.length; i++) out[i] = rng.normal() * std;
      return;
    }
    case 'uniform_between':
      for (let i = 0; i < out.length; i++) out[i] = init.low + (init.high - init.low) * rng.float();
      return;
    case 'kaiming_uniform': {
      const bound = Math.sqrt(6 / fanIn);
      for (let i = 0; i < out.length; i++) out[i] = (rng.float() * 2 - 1) * bound;
      return;
    }
  }
}
