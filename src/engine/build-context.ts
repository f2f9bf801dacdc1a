/**
 * The model context that collects parameters, buffers, dropout masks and noise while a model's forward
 * pass is built, and the discovery pass that uses it. Apart from step-graph.ts (which compiles graphs
 * with onnxruntime) so that reading a model's parameters loads no runtime.
 */
import { Graph, type Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import type { BufferDecl, Model, ModelContext, ParamDecl } from '../models/types.js';
import type { Segment, Slot } from './layout.js';

export interface DropoutDecl {
  name: string;
  shape: number[];
  rate: number;
  /** The graph input it feeds. */
  input: string;
  /** Uniform noise in [0, 1) instead of a keep-mask (ModelContext.uniformNoise); rate unused. */
  uniform?: boolean;
}

/**
 * Builds a model's graph. In 'separate' mode each parameter is its own graph input (evaluation,
 * export); in 'flat' mode parameters are slices of θ's segment inputs (the training step).
 */
export class BuildContext implements ModelContext {
  readonly params: { decl: ParamDecl; tensor: Tensor }[] = [];
  readonly buffers: { decl: BufferDecl; tensor: Tensor }[] = [];
  readonly bufferUpdates = new Map<string, Tensor>();
  readonly dropouts: { decl: DropoutDecl; tensor: Tensor }[] = [];
  readonly dtype = 'float32' as const;

  constructor(
    readonly graph: Graph,
    readonly training: boolean,
    private readonly flat?: { thetas: Tensor[]; segments: Segment[]; slots: Map<string, Slot> },
  ) {}

  param(decl: ParamDecl): Tensor {
    if (this.params.some((p) => p.decl.name === decl.name))
      throw new Error(`parameter ${decl.name} declared twice`);
    let tensor: Tensor;
    if (this.flat) {
      const slot = this.flat.slots.get(decl.name);
      if (!slot) throw new Error(`parameter ${decl.name} was not declared in the discovery pass`);
      const k = this.flat.segments.findIndex((s) => s.params.includes(decl.name));
      const segment = this.flat.segments[k];
      const theta = this.flat.thetas[k];
      const start = slot.offset - segment.offset;
      const part = segment.size === slot.size ? theta : op.slice(theta, [start], [start + slot.size], [0]);
      tensor = op.reshape(part, decl.shape);
    } else {
      tensor = this.graph.input(decl.name, decl.shape, this.dtype);
    }
    this.params.push({ decl, tensor });
    return tensor;
  }

  buffer(decl: BufferDecl): Tensor {
    const tensor = this.graph.input(decl.name, decl.shape, this.dtype);
    this.buffers.push({ decl, tensor });
    return tensor;
  }

  updateBuffer(name: string, value: Tensor): void {
    this.bufferUpdates.set(name, value);
  }

  dropoutMask(name: string, shape: number[], rate: number): Tensor {
    const input = `dropout_mask:${name}`;
    const tensor = this.graph.input(input, shape, this.dtype);
    this.dropouts.push({ decl: { name, shape, rate, input }, tensor });
    return tensor;
  }

  uniformNoise(name: string, shape: number[]): Tensor {
    const input = `noise:${name}`;
    const tensor = this.graph.input(input, shape, this.dtype);
    this.dropouts.push({ decl: { name, shape, rate: 0, input, uniform: true }, tensor });
    return tensor;
  }
}

/** Builds the training forward pass once to learn the model's parameters, buffers and dropout masks. */
export function discover(model: Model, batchSize: number): BuildContext {
  const discovery = new BuildContext(new Graph('discovery'), true);
  model.forward(discovery, discovery.graph.input('x', [batchSize, ...model.inputShape]));
  return discovery;
}
