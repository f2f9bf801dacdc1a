/**
 * The training engine: compiles a model's whole training step (forward, backward, masks, optimizer)
 * into one ONNX graph and an evaluation graph that shares the weights, runs them with onnxruntime,
 * and owns the state (parameters, masks, optimizer moments, BatchNorm statistics) in typed arrays.
 *
 * Speed decisions (measured, see README "Performance"):
 * - All parameters live in one flat vector θ; the optimizer updates it as a whole, so the
 *   memory-bound update costs a dozen element-wise passes instead of a dozen per parameter tensor.
 * - When a mask keeps under `sparseBelow` of the weights, the update gathers just the kept entries
 *   (with compressed optimizer state) and scatters them back: its cost shrinks with the density.
 * - One `session.run` per step; outputs are written into a second set of preallocated arrays and the
 *   two sets swap roles after each step, so the step loop allocates nothing.
 */
import type ort from 'onnxruntime-node';
import { Graph, type Tensor, type TypedArray } from '../graph/graph.js';
import { gradients } from '../graph/autodiff.js';
import * as op from '../graph/ops.js';
import { emitModel } from '../graph/onnx.js';
import type { BufferDecl, Model, ModelContext, ParamDecl } from '../models/types.js';
import { Rng } from '../util/rng.js';
import { initialValues } from './init.js';
import { type OptimizerSpec, emitUpdate, optimizerScalars, stateNames } from './optimizers.js';
import { CompiledGraph, type Signature, defaultThreads, ortTensor, signatureOf } from './session.js';

export interface EngineOptions {
  batchSize: number;
  optimizer: OptimizerSpec;
  /** Evaluation batch (default 1000; a smaller last chunk gets its own cached session). */
  evalBatchSize?: number;
  threads?: number;
  /** Which parameters carry a mask (default: every weight of an fc/conv/output layer). */
  masked?: (decl: ParamDecl) => boolean;
  /** Use the sparse (gather/scatter) update when the kept fraction of θ falls below this (default 0.5). */
  sparseBelow?: number;
}

interface DropoutDecl {
  name: string;
  shape: number[];
  rate: number;
}

interface Slot {
  decl: ParamDecl;
  offset: number;
  size: number;
}

/**
 * Builds a model's graph. In 'separate' mode each parameter is its own graph input (evaluation,
 * export); in 'flat' mode parameters are slices of one θ input (the training step).
 */
class BuildContext implements ModelContext {
  readonly params: { decl: ParamDecl; tensor: Tensor }[] = [];
  readonly buffers: { decl: BufferDecl; tensor: Tensor }[] = [];
  readonly bufferUpdates = new Map<string, Tensor>();
  readonly dropouts: { decl: DropoutDecl; tensor: Tensor }[] = [];
  readonly dtype = 'float32' as const;

  constructor(
    readonly graph: Graph,
    readonly training: boolean,
    private readonly flat?: { theta: Tensor; slots: Map<string, Slot> },
  ) {}

  param(decl: ParamDecl): Tensor {
    if (this.params.some((p) => p.decl.name === decl.name))
      throw new Error(`parameter ${decl.name} declared twice`);
    let tensor: Tensor;
    if (this.flat) {
      const slot = this.flat.slots.get(decl.name);
      if (!slot) throw new Error(`parameter ${decl.name} was not declared in the discovery pass`);
      tensor = op.reshape(
        op.slice(this.flat.theta, [slot.offset], [slot.offset + slot.size], [0]),
        decl.shape,
      );
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
    const tensor = this.graph.input(`dropout_mask:${name}`, shape, this.dtype);
    this.dropouts.push({ decl: { name, shape, rate }, tensor });
    return tensor;
  }
}

export interface StepResult {
  loss: number;
  correct: number;
}

export interface EvalResult {
  loss: number;
  accuracy: number;
  correct: number;
  count: number;
}

/** Everything needed to continue training bit-identically (optimizer state always dense). */
export interface EngineState {
  step: number;
  tensors: Map<string, Float32Array>;
}

/** A compiled training step for one mask layout (dense, or sparse with K kept entries). */
interface StepProgram {
  compiled: CompiledGraph;
  signatures: Map<string, Signature>;
  /** Inputs read and rewritten by every step: θ, optimizer states, buffers (ping-ponged). */
  carried: string[];
  scalarNames: string[];
  /** null for the dense program; kept flat indices of θ for the sparse one. */
  kept: BigInt64Array | null;
}

const THETA = 'theta';
const MASK = 'mask';
const KEPT = 'kept_index';
const nextName = (n: string) => `next:${n}`;

export class TrainingEngine {
  readonly params: ParamDecl[];
  readonly buffers: BufferDecl[];
  readonly maskedParams: string[];
  private readonly slots: Map<string, Slot>;
  readonly parameterCount: number;
  /** θ, optimizer states and buffers, dense (canonical state between programs). */
  private current = new Map<string, Float32Array>();
  private spare = new Map<string, Float32Array>();
  private currentOrt = new Map<string, ort.Tensor>();
  private spareOrt = new Map<string, ort.Tensor>();
  /** The flat mask over θ (1 for unmasked parameters such as biases). */
  private readonly mask: Float32Array;
  private program!: StepProgram;
  private readonly programs = new Map<string, Promise<StepProgram>>();
  private readonly x: Float32Array;
  private readonly labels: Int32Array;
  private readonly scalarArrays: Float32Array[];
  private readonly lossOut = new Float32Array(1);
  private readonly correctOut = new Float32Array(1);
  private readonly fixedFeeds: Record<string, ort.Tensor> = {};
  private readonly fixedFetches: Record<string, ort.Tensor> = {};
  private readonly evalPrograms = new Map<number, Promise<CompiledGraph>>();
  private readonly dropouts: DropoutDecl[];
  private readonly dropoutArrays = new Map<string, Float32Array>();
  private dropoutSeed = 0;
  stepCount = 0;

  private constructor(
    readonly model: Model,
    readonly options: EngineOptions,
    discovery: BuildContext,
    densePlan: StepProgram,
  ) {
    this.params = discovery.params.map((p) => p.decl);
    this.buffers = discovery.buffers.map((b) => b.decl);
    this.slots = layout(this.params);
    this.parameterCount = this.params.reduce((s, p) => s + size(p.shape), 0);
    const masked = options.masked ?? defaultMasked;
    this.maskedParams = this.params.filter(masked).map((d) => d.name);
    this.mask = new Float32Array(this.parameterCount).fill(1);
    this.dropouts = discovery.dropouts.map((d) => d.decl);
    const sig = densePlan.signatures;
    this.x = new Float32Array(size(sig.get('x')!.shape));
    this.labels = new Int32Array(options.batchSize);
    this.scalarArrays = densePlan.scalarNames.map(() => new Float32Array(1));
    for (const d of this.dropouts) this.dropoutArrays.set(d.name, new Float32Array(size(d.shape)));
    this.current.set(THETA, new Float32Array(this.parameterCount));
    for (const s of stateNames(options.optimizer)) this.current.set(s, new Float32Array(this.parameterCount));
    for (const b of this.buffers) this.current.set(b.name, new Float32Array(size(b.shape)));
    this.install(densePlan);
    this.programs.set('full', Promise.resolve(densePlan));
  }

  static async create(model: Model, options: EngineOptions): Promise<TrainingEngine> {
    // discovery pass: learn the parameters (and so θ's layout) by building the forward once
    const discovery = new BuildContext(new Graph('discovery'), true);
    model.forward(discovery, discovery.graph.input('x', [options.batchSize, ...model.inputShape]));
    const plan = await compileStep(model, options, discovery, { kind: 'full' });
    return new TrainingEngine(model, options, discovery, plan);
  }

  /** Makes `program` current, (re)allocating state arrays in its layout from the dense state. */
  private install(program: StepProgram): void {
    const dense = this.denseState();
    this.program = program;
    this.current = new Map();
    this.spare = new Map();
    this.currentOrt = new Map();
    this.spareOrt = new Map();
    for (const name of program.carried) {
      const sig = program.signatures.get(name)!;
      for (const [arrays, tensors] of [
        [this.current, this.currentOrt],
        [this.spare, this.spareOrt],
      ] as const) {
        const data = new Float32Array(size(sig.shape));
        arrays.set(name, data);
        tensors.set(name, ortTensor(sig, data));
      }
      const src = dense.get(name)!;
      const dst = this.current.get(name)!;
      if (program.kept && isOptimizerState(name)) {
        const kept = program.kept;
        for (let j = 0; j < kept.length; j++) dst[j] = src[Number(kept[j])];
      } else dst.set(src);
    }
    const sig = program.signatures;
    for (const key of Object.keys(this.fixedFeeds)) delete this.fixedFeeds[key];
    this.fixedFeeds.x = ortTensor(sig.get('x')!, this.x);
    this.fixedFeeds.labels = ortTensor(sig.get('labels')!, this.labels);
    program.scalarNames.forEach(
      (name, i) => (this.fixedFeeds[name] = ortTensor(sig.get(name)!, this.scalarArrays[i])),
    );
    for (const d of this.dropouts) {
      const name = `dropout_mask:${d.name}`;
      this.fixedFeeds[name] = ortTensor(sig.get(name)!, this.dropoutArrays.get(d.name)!);
    }
    if (program.kept) this.fixedFeeds[KEPT] = ortTensor(sig.get(KEPT)!, program.kept);
    else if (sig.has(MASK)) this.fixedFeeds[MASK] = ortTensor(sig.get(MASK)!, this.mask);
    this.fixedFetches.loss = ortTensor(sig.get('loss')!, this.lossOut);
    this.fixedFetches.correct = ortTensor(sig.get('correct')!, this.correctOut);
  }

  /** The current state with optimizer moments expanded to θ's layout. */
  private denseState(): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, data] of this.current) {
      if (this.program?.kept && isOptimizerState(name)) {
        const full = new Float32Array(this.parameterCount);
        const kept = this.program.kept;
        for (let j = 0; j < kept.length; j++) full[Number(kept[j])] = data[j];
        out.set(name, full);
      } else out.set(name, data);
    }
    return out;
  }

  /** Draws θ₀ from the parameters' init specs; resets optimizer state, buffers and the step count. */
  initialize(seed: number): void {
    const theta = this.current.get(THETA)!;
    for (const decl of this.params) theta.set(initialValues(decl, seed), this.slots.get(decl.name)!.offset);
    for (const b of this.buffers) this.current.get(b.name)!.fill(b.init);
    this.dropoutSeed = seed;
    this.resetOptimizer();
    this.applyMask();
  }

  /** Seeds the dropout masks' stream (each step draws from (seed, step, layer)). */
  setDropoutSeed(seed: number): void {
    this.dropoutSeed = seed;
  }

  /** Zeroes optimizer moments and the step count (a fresh optimizer, as at the start of each level). */
  resetOptimizer(): void {
    for (const [name, data] of this.current) if (isOptimizerState(name)) data.fill(0);
    this.stepCount = 0;
  }

  /** The input batch buffer to fill before calling step(): [batch, ...inputShape] floats. */
  get inputBuffer(): Float32Array {
    return this.x;
  }

  get labelBuffer(): Int32Array {
    return this.labels;
  }

  /** True when the sparse (gather/scatter) update is in use. */
  get sparseUpdate(): boolean {
    return this.program.kept !== null;
  }

  /** One training step on the batch in inputBuffer/labelBuffer. */
  async step(lr: number): Promise<StepResult> {
    this.stepCount++;
    const values = optimizerScalars(this.options.optimizer).values(lr, this.stepCount);
    values.forEach((v, i) => (this.scalarArrays[i][0] = v));
    if (this.dropouts.length) this.fillDropoutMasks();
    const feeds: Record<string, ort.Tensor> = { ...this.fixedFeeds };
    const fetches: Record<string, ort.Tensor> = { ...this.fixedFetches };
    for (const name of this.program.carried) {
      feeds[name] = this.currentOrt.get(name)!;
      fetches[nextName(name)] = this.spareOrt.get(name)!;
    }
    await this.program.compiled.runInto(feeds, fetches);
    [this.current, this.spare] = [this.spare, this.current];
    [this.currentOrt, this.spareOrt] = [this.spareOrt, this.currentOrt];
    return { loss: this.lossOut[0], correct: this.correctOut[0] };
  }

  private fillDropoutMasks(): void {
    for (const d of this.dropouts) {
      const rng = Rng.derive(this.dropoutSeed, 'dropout', this.stepCount, d.name);
      const data = this.dropoutArrays.get(d.name)!;
      for (let i = 0; i < data.length; i++) data[i] = rng.float() >= d.rate ? 1 : 0;
    }
  }

  /** Mean loss and accuracy over a whole set, in chunks of evalBatchSize. */
  async evaluate(x: Float32Array, labels: Int32Array, count: number): Promise<EvalResult> {
    const chunk = this.options.evalBatchSize ?? 1000;
    const exampleSize = size(this.model.inputShape);
    let lossSum = 0;
    let correct = 0;
    const feeds = this.inferenceFeeds();
    for (let start = 0; start < count; start += chunk) {
      const n = Math.min(chunk, count - start);
      const program = await this.evalProgram(n);
      feeds.x = x.subarray(start * exampleSize, (start + n) * exampleSize);
      feeds.labels = labels.subarray(start, start + n);
      const out = await program.run(feeds);
      lossSum += (out.loss_sum as Float32Array)[0];
      correct += (out.correct as Float32Array)[0];
    }
    return { loss: lossSum / count, accuracy: correct / count, correct, count };
  }

  /** Parameters (views into θ) and buffers, by name, as the inference graph takes them. */
  private inferenceFeeds(): Record<string, TypedArray> {
    const feeds: Record<string, TypedArray> = {};
    for (const [name, data] of this.getWeightViews()) feeds[name] = data;
    for (const b of this.buffers) feeds[b.name] = this.current.get(b.name)!;
    return feeds;
  }

  private evalProgram(batch: number): Promise<CompiledGraph> {
    let p = this.evalPrograms.get(batch);
    if (!p) {
      p = (async () => {
        const { graph, outputs } = buildEvalGraph(this.model, batch);
        return CompiledGraph.create(
          emitModel(graph, { outputs, inputs: graph.inputs }),
          graph.inputs.map(signatureOf),
          outputs.map(signatureOf),
          { threads: this.options.threads ?? defaultThreads() },
        );
      })();
      this.evalPrograms.set(batch, p);
    }
    return p;
  }

  /** Logits of the inference graph for a batch (the engine's own forward pass, to check exports). */
  async predict(x: Float32Array, batch: number): Promise<Float32Array> {
    const { graph, logits } = buildInferenceGraph(this.model, batch);
    const compiled = await CompiledGraph.create(
      emitModel(graph, { outputs: [logits], inputs: graph.inputs }),
      graph.inputs.map(signatureOf),
      [signatureOf(logits)],
      { threads: this.options.threads ?? defaultThreads() },
    );
    const feeds = this.inferenceFeeds();
    feeds.x = x;
    const out = await compiled.run(feeds);
    await compiled.release();
    return out[logits.name] as Float32Array;
  }

  // ------------------------------------------------------------------------------------------------
  // state access

  /** Live views of the parameters inside θ (valid until the next step). */
  private getWeightViews(): Map<string, Float32Array> {
    const theta = this.current.get(THETA)!;
    return new Map(this.params.map((p) => [p.name, this.view(theta, p.name)]));
  }

  private view(flat: Float32Array, name: string): Float32Array {
    const slot = this.slots.get(name);
    if (!slot) throw new Error(`no parameter ${name}`);
    return flat.subarray(slot.offset, slot.offset + slot.size);
  }

  /** A copy of one parameter. */
  getParam(name: string): Float32Array {
    return Float32Array.from(this.view(this.current.get(THETA)!, name));
  }

  /** Copies of all parameters (masked weights are exactly 0). */
  getWeights(): Map<string, Float32Array> {
    return new Map([...this.getWeightViews()].map(([k, v]) => [k, Float32Array.from(v)]));
  }

  getBuffers(): Map<string, Float32Array> {
    return new Map(this.buffers.map((b) => [b.name, Float32Array.from(this.current.get(b.name)!)]));
  }

  /** Sets parameters (and optionally buffers); the current mask is applied afterwards. */
  setWeights(weights: ReadonlyMap<string, Float32Array>, buffers?: ReadonlyMap<string, Float32Array>): void {
    const theta = this.current.get(THETA)!;
    for (const p of this.params) {
      const w = weights.get(p.name);
      if (!w || w.length !== size(p.shape)) throw new Error(`missing or wrong-sized parameter ${p.name}`);
      theta.set(w, this.slots.get(p.name)!.offset);
    }
    if (buffers) {
      for (const b of this.buffers) {
        const v = buffers.get(b.name);
        if (!v) throw new Error(`missing buffer ${b.name}`);
        this.current.get(b.name)!.set(v);
      }
    }
    this.applyMask();
  }

  getMasks(): Map<string, Uint8Array> {
    return new Map(this.maskedParams.map((p) => [p, Uint8Array.from(this.view(this.mask, p))]));
  }

  /**
   * Installs masks (1 = keep): pruned weights and their optimizer state become exactly 0. Chooses
   * the dense or sparse update for the new density (compiling it once per kept count).
   */
  async setMasks(masks: ReadonlyMap<string, Uint8Array>): Promise<void> {
    const dense = this.denseState();
    for (const p of this.maskedParams) {
      const m = masks.get(p);
      if (!m) throw new Error(`missing mask for ${p}`);
      const dst = this.view(this.mask, p);
      if (m.length !== dst.length)
        throw new Error(`mask for ${p} has ${m.length} entries, expected ${dst.length}`);
      for (let i = 0; i < m.length; i++) dst[i] = m[i] ? 1 : 0;
    }
    let keptCount = 0;
    for (let i = 0; i < this.mask.length; i++) keptCount += this.mask[i];
    const useSparse = keptCount < (this.options.sparseBelow ?? 0.5) * this.parameterCount;
    const mode: UpdateMode = useSparse
      ? { kind: 'sparse', keptCount }
      : { kind: keptCount === this.parameterCount ? 'full' : 'masked' };
    const key = mode.kind === 'sparse' ? `sparse:${keptCount}` : mode.kind;
    let kept: BigInt64Array | null = null;
    if (useSparse) {
      kept = new BigInt64Array(keptCount);
      for (let i = 0, j = 0; i < this.mask.length; i++) if (this.mask[i]) kept[j++] = BigInt(i);
    }
    // the program depends only on K; the kept indices themselves are an input
    let programPromise = this.programs.get(key);
    if (!programPromise) {
      const discovery = new BuildContext(new Graph('discovery'), true);
      this.model.forward(
        discovery,
        discovery.graph.input('x', [this.options.batchSize, ...this.model.inputShape]),
      );
      programPromise = compileStep(this.model, this.options, discovery, mode);
      this.programs.set(key, programPromise);
    }
    const program = { ...(await programPromise), kept };
    // install from the dense state taken before the switch, then zero what the mask removed
    this.current = dense;
    this.program = { ...this.program, kept: null };
    this.install(program);
    this.applyMask();
  }

  private applyMask(): void {
    const theta = this.current.get(THETA)!;
    const targets = [theta];
    if (!this.program.kept)
      for (const [name, data] of this.current) if (isOptimizerState(name)) targets.push(data);
    for (const data of targets)
      for (let i = 0; i < this.mask.length; i++) if (this.mask[i] === 0) data[i] = 0;
  }

  /** The complete state for checkpoints: θ, mask, optimizer state (dense), buffers, step. */
  getState(): EngineState {
    const tensors = new Map<string, Float32Array>();
    for (const [name, data] of this.denseState()) tensors.set(name, Float32Array.from(data));
    tensors.set(MASK, Float32Array.from(this.mask));
    return { step: this.stepCount, tensors };
  }

  async setState(state: EngineState, dropoutSeed?: number): Promise<void> {
    const mask = state.tensors.get(MASK);
    if (!mask || mask.length !== this.mask.length)
      throw new Error('checkpoint has no mask of the right size');
    const masks = new Map(this.maskedParams.map((p) => [p, Uint8Array.from(this.view(mask, p))]));
    await this.setMasks(masks);
    const dense = this.denseState();
    for (const [name, data] of dense) {
      const src = state.tensors.get(name);
      if (!src || src.length !== data.length)
        throw new Error(`checkpoint is missing or has a wrong-sized ${name}`);
      dense.set(name, Float32Array.from(src));
    }
    this.current = dense;
    const program = this.program;
    this.program = { ...program, kept: null };
    this.install(program);
    this.stepCount = state.step;
    if (dropoutSeed !== undefined) this.dropoutSeed = dropoutSeed;
  }

  async release(): Promise<void> {
    for (const p of this.programs.values()) await (await p).compiled.release();
    for (const p of this.evalPrograms.values()) await (await p).release();
  }
}

function size(shape: readonly number[]): number {
  return shape.reduce((a, b) => a * b, 1);
}

function defaultMasked(d: ParamDecl): boolean {
  return d.role === 'weight' && d.layerKind !== undefined;
}

function layout(params: ParamDecl[]): Map<string, Slot> {
  const slots = new Map<string, Slot>();
  let offset = 0;
  for (const decl of params) {
    const n = size(decl.shape);
    slots.set(decl.name, { decl, offset, size: n });
    offset += n;
  }
  return slots;
}

const OPTIMIZER_STATES = new Set(['adam_m', 'adam_v', 'momentum_buffer']);
function isOptimizerState(name: string): boolean {
  return OPTIMIZER_STATES.has(name);
}

/**
 * The training-step graph. θ [P] holds every parameter; the loss gradient is concatenated back into
 * [P] and the optimizer runs on flat vectors: all of θ with a mask (dense), or K gathered entries with
 * compressed state, scattered back into θ (sparse).
 */
/** How the optimizer applies the mask: not at all (all kept), by multiplication, or by gather/scatter. */
type UpdateMode = { kind: 'full' } | { kind: 'masked' } | { kind: 'sparse'; keptCount: number };

async function compileStep(
  model: Model,
  options: EngineOptions,
  discovery: BuildContext,
  mode: UpdateMode,
): Promise<StepProgram> {
  const params = discovery.params.map((p) => p.decl);
  const slots = layout(params);
  const total = params.reduce((s, p) => s + size(p.shape), 0);
  const graph = new Graph(`${model.name}_train_step`);
  const theta = graph.input(THETA, [total]);
  const build = new BuildContext(graph, true, { theta, slots });
  const x = graph.input('x', [options.batchSize, ...model.inputShape]);
  const labels = graph.input('labels', [options.batchSize], 'int32');
  const logits = model.forward(build, x);
  const { loss, correct } = op.softmaxCrossEntropy(logits, labels);
  const grads = gradients(
    loss,
    build.params.map((p) => p.tensor),
  );
  const flatGrad =
    grads.length === 1
      ? op.reshape(grads[0], [total])
      : op.concat(
          grads.map((g) => op.reshape(g, [g.size])),
          0,
        );
  const scalars = optimizerScalars(options.optimizer);
  const scalarInputs = scalars.names.map((n) => graph.input(n, [], 'float32'));
  const stateLen = mode.kind === 'sparse' ? mode.keptCount : total;
  const states = stateNames(options.optimizer).map((s) => graph.input(s, [stateLen]));
  let nextTheta: Tensor;
  let nextStates: Tensor[];
  if (mode.kind !== 'sparse') {
    const grad = mode.kind === 'masked' ? op.mul(flatGrad, graph.input(MASK, [total])) : flatGrad;
    const update = emitUpdate(options.optimizer, theta, grad, states, scalarInputs);
    nextTheta = update.param;
    nextStates = update.states;
  } else {
    const kept = graph.input(KEPT, [mode.keptCount], 'int64');
    const update = emitUpdate(
      options.optimizer,
      op.gather1d(theta, kept),
      op.gather1d(flatGrad, kept),
      states,
      scalarInputs,
    );
    nextTheta = op.scatter1d(theta, kept, update.param);
    nextStates = update.states;
  }
  const outputs: Tensor[] = [graph.output(loss, 'loss'), graph.output(correct, 'correct')];
  outputs.push(graph.output(nextTheta, nextName(THETA)));
  states.forEach((s, k) => outputs.push(graph.output(nextStates[k], nextName(s.name))));
  const carried = [THETA, ...states.map((s) => s.name)];
  for (const { decl, tensor } of build.buffers) {
    const next = build.bufferUpdates.get(tensor.name);
    if (!next) throw new Error(`buffer ${decl.name} has no update in training mode`);
    carried.push(tensor.name);
    outputs.push(graph.output(next, nextName(tensor.name)));
  }
  const signatures = new Map<string, Signature>();
  for (const t of [...graph.inputs, ...outputs]) signatures.set(t.name, signatureOf(t));
  const compiled = await CompiledGraph.create(
    emitModel(graph, { outputs, inputs: graph.inputs }),
    graph.inputs.map(signatureOf),
    outputs.map(signatureOf),
    { threads: options.threads ?? defaultThreads() },
  );
  return { compiled, signatures, carried, scalarNames: scalars.names, kept: null };
}

export function buildInferenceGraph(model: Model, batch: number) {
  const graph = new Graph(`${model.name}_inference`);
  const build = new BuildContext(graph, false);
  const x = graph.input('x', [batch, ...model.inputShape]);
  const logits = graph.output(model.forward(build, x), 'logits');
  return { graph, build, x, logits };
}

function buildEvalGraph(model: Model, batch: number) {
  const { graph, logits } = buildInferenceGraph(model, batch);
  const labels = graph.input('labels', [batch], 'int32');
  const { loss, correct } = op.softmaxCrossEntropy(logits, labels);
  const lossSum = graph.output(op.scale(loss, batch), 'loss_sum');
  return { graph, outputs: [lossSum, graph.output(correct, 'correct')] };
}
