/**
 * Graph construction: the training-step graph (forward, loss, backward, and the update an UpdatePlan
 * adds), and the evaluation and inference graphs, which take each parameter as an input. The model
 * context that collects parameters while a forward pass is built is in build-context.ts.
 */
import { Graph, type Tensor } from '../graph/graph.js';
import { gradients } from '../graph/autodiff.js';
import * as op from '../graph/ops.js';
import { unary } from '../graph/ops/arithmetic.js';
import { emitModel } from '../graph/onnx.js';
import type { Model, ParamDecl } from '../models/types.js';
import { type Segment, ThetaLayout } from './layout.js';
import { type EngineOptions, type LossFunction, softmaxCrossEntropyLoss } from './options.js';
import { optimizerScalars } from './optimizers.js';
import { CompiledGraph, type Signature, signatureOf } from './session.js';

import { BuildContext } from './build-context.js';

export { BuildContext, type DropoutDecl, discover } from './build-context.js';

// names of the step graph's inputs and outputs
export const THETA = 'theta';
export const MASK = 'mask';
export const KEPT = 'kept_index';
/** The output that replaces input `n` after a step. */
export const nextName = (n: string) => `next:${n}`;
/** The graph input holding segment k of a flat array. */
export const pieceName = (name: string, k: number) => `${name}:${k}`;

/**
 * A flat array read and rewritten by every step (θ, an optimizer state, a buffer), fed to the graph
 * as one or more inputs, each a view of a range of it (θ and dense optimizer states: one per segment).
 */
export interface Carried {
  name: string;
  length: number;
  pieces: Piece[];
  /** One array for both sets: the graph only reads it, and the engine updates it in place. */
  inPlace?: boolean;
}

/** A graph input that is a view of a range of a flat array; the step writes its successor unless readOnly. */
export interface Piece {
  input: string;
  offset: number;
  length: number;
  readOnly?: boolean;
}

/** A compiled training step for one update layout (see update-plans.ts). */
export interface StepProgram {
  compiled: CompiledGraph;
  signatures: Map<string, Signature>;
  /** θ, optimizer states, buffers (ping-ponged between two sets of arrays unless in place). */
  carried: Carried[];
  /** The per-step optimizer scalars, where the graph runs the update. */
  scalarNames: string[];
  segments: Segment[];
  /** Masked update in the graph: inputs that are views of the flat mask. */
  maskPieces: Piece[];
  /** Sparse update: outputs holding the new kept values of each segment, scattered into θ after the run. */
  keptValues: { output: string; segment: number }[];
  /** Fused update: outputs holding each parameter's gradient, written into the arena at these offsets. */
  gradOutputs: { output: string; offset: number; length: number }[];
}

/**
 * The step graph as an update plan sees it: θ's segment inputs and their loss gradients, flattened
 * (concatenated, for a segment of several parameters). The plan adds its inputs and outputs and
 * records how they map to the engine's arrays.
 */
export interface StepGraph {
  readonly graph: Graph;
  readonly options: EngineOptions;
  readonly layout: ThetaLayout;
  readonly segments: Segment[];
  /** θ's inputs, one per segment. */
  readonly thetas: Tensor[];
  /** Each parameter's gradient in its own shape, in declaration order. */
  readonly paramGrads: { name: string; grad: Tensor }[];
  /** Each segment's gradient as one flat vector. */
  readonly segmentGrads: Tensor[];
  /** The per-step optimizer scalars (graph inputs; empty where the update runs outside the graph). */
  readonly scalarInputs: Tensor[];
  /** Outputs of the step graph; a plan appends its own. */
  readonly outputs: Tensor[];
  /** Arrays carried from step to step; carried[0] is θ. A plan adds its optimizer states. */
  readonly carried: Carried[];
  readonly program: Pick<StepProgram, 'maskPieces' | 'keptValues' | 'gradOutputs'>;
}

/** What compileStep needs from an update plan. */
export interface StepUpdateBuilder {
  /** Whether the graph takes the per-step optimizer scalars (it runs the update). */
  readonly scalarsInGraph: boolean;
  emit(step: StepGraph): void;
}

/**
 * Compiles the training-step graph. θ [P] holds every parameter and comes in as one input per
 * segment; the loss gradient of each segment is flattened, and `update` adds the optimizer (or the
 * gradient outputs, for the fused loop). BatchNorm buffers are carried from step to step.
 */
export async function compileStep(
  model: Model,
  options: EngineOptions,
  layout: ThetaLayout,
  update: StepUpdateBuilder,
): Promise<StepProgram> {
  const segments = layout.segments(options.segmentFrom);
  const graph = new Graph(`${model.name}_train_step`);
  const thetas = segments.map((s, k) => graph.input(pieceName(THETA, k), [s.size]));
  const build = new BuildContext(graph, true, { thetas, segments, slots: layout.slots });
  const x = graph.input('x', [options.batchSize, ...model.inputShape]);
  const labels = graph.input('labels', [options.batchSize], 'int32');
  const logits = model.forward(build, x);
  const { loss, correct } = (options.loss ?? softmaxCrossEntropyLoss)(logits, labels);
  const grads = withScalePenalty(
    gradients(
      loss,
      build.params.map((p) => p.tensor),
    ),
    build.params,
    options.bnL1 ?? 0,
  );
  const flatGrads = new Map(build.params.map((p, i) => [p.decl.name, op.reshape(grads[i], [grads[i].size])]));
  const cat = (ts: Tensor[]) => (ts.length === 1 ? ts[0] : op.concat(ts, 0));
  const segmentGrads = segments.map((s) => cat(s.params.map((name) => flatGrads.get(name)!)));
  const scalarNames = update.scalarsInGraph ? optimizerScalars(options.optimizer).names : [];
  const scalarInputs = scalarNames.map((n) => graph.input(n, [], 'float32'));
  const outputs: Tensor[] = [graph.output(loss, 'loss'), graph.output(correct, 'correct')];
  const pieces = segments.map((s, k) => ({ input: pieceName(THETA, k), offset: s.offset, length: s.size }));
  const carried: Carried[] = [{ name: THETA, length: layout.size, pieces }];
  const program: StepGraph['program'] = { maskPieces: [], keptValues: [], gradOutputs: [] };
  update.emit({
    graph,
    options,
    layout,
    segments,
    thetas,
    paramGrads: build.params.map((p, i) => ({ name: p.decl.name, grad: grads[i] })),
    segmentGrads,
    scalarInputs,
    outputs,
    carried,
    program,
  });
  for (const { decl, tensor } of build.buffers) {
    const next = build.bufferUpdates.get(tensor.name);
    if (!next) throw new Error(`buffer ${decl.name} has no update in training mode`);
    carried.push({
      name: tensor.name,
      length: tensor.size,
      pieces: [{ input: tensor.name, offset: 0, length: tensor.size }],
    });
    outputs.push(graph.output(next, nextName(tensor.name)));
  }
  const signatures = new Map<string, Signature>();
  for (const t of [...graph.inputs, ...outputs]) signatures.set(t.name, signatureOf(t));
  const compiled = await CompiledGraph.create(
    emitModel(graph, { outputs, inputs: graph.inputs }),
    graph.inputs.map(signatureOf),
    outputs.map(signatureOf),
    { threads: options.threads }, // CompiledGraph falls back to defaultThreads()
  );
  return { compiled, signatures, carried, scalarNames, segments, ...program };
}

/**
 * Network slimming's sparsity penalty: s·sign(γ) added to the loss gradient of every BatchNorm scale γ
 * (the gradient of s·|γ|; sign(0) = 0, as torch.sign). It is part of the gradient every update plan
 * reads, so the fused loop, the graph update and the sparse update all apply it alike. s = 0 leaves
 * the graph exactly as it was.
 */
function withScalePenalty(
  grads: Tensor[],
  params: readonly { decl: ParamDecl; tensor: Tensor }[],
  s: number,
): Tensor[] {
  if (!(s > 0)) return grads;
  return grads.map((g, i) => {
    const { decl, tensor } = params[i];
    if (decl.role !== 'bn_scale') return g;
    // the penalty is added after differentiation: its own gradient is never asked for
    const sign = unary('Sign', tensor, () => {
      throw new Error('the slimming penalty is not differentiated');
    });
    return op.add(g, op.mul(g.graph.scalar(s, g.dtype), sign));
  });
}

/** The inference graph: every parameter and buffer an input of its own, logits out. */
export function buildInferenceGraph(model: Model, batch: number) {
  const graph = new Graph(`${model.name}_inference`);
  const build = new BuildContext(graph, false);
  const x = graph.input('x', [batch, ...model.inputShape]);
  const logits = graph.output(model.forward(build, x), 'logits');
  return { graph, build, x, logits };
}

/** The evaluation graph: the inference graph with the loss summed over the batch and the correct count. */
export function buildEvalGraph(model: Model, batch: number, lossFn: LossFunction = softmaxCrossEntropyLoss) {
  const { graph, logits } = buildInferenceGraph(model, batch);
  const labels = graph.input('labels', [batch], 'int32');
  const { loss, correct } = lossFn(logits, labels);
  const lossSum = graph.output(op.scale(loss, batch), 'loss_sum');
  return { graph, outputs: [lossSum, graph.output(correct, 'correct')] };
}

/** Compiles the evaluation graph for one batch size. */
export function compileEval(model: Model, batch: number, options: EngineOptions): Promise<CompiledGraph> {
  const { graph, outputs } = buildEvalGraph(model, batch, options.loss);
  return CompiledGraph.create(
    emitModel(graph, { outputs, inputs: graph.inputs }),
    graph.inputs.map(signatureOf),
    outputs.map(signatureOf),
    { threads: options.threads },
  );
}
