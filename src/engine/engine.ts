/**
 * The training engine: compiles a model's whole training step (forward, backward, masks, optimizer)
 * into one ONNX graph and an evaluation graph that shares the weights, runs them with onnxruntime,
 * and owns the state (parameters, masks, optimizer moments, BatchNorm statistics) in typed arrays.
 *
 * Speed decisions (measured, see README "Performance"):
 * - By default the dense and masked updates leave the graph: it writes each parameter's gradient into
 *   WebAssembly memory and one fused SIMD loop (fused-update.ts) updates θ and the optimizer state in
 *   place, one pass instead of Adam's ten element-wise graph ops, with bit-identical results. The
 *   points below are about the update inside the graph (`update: 'graph'`, and sparse layouts).
 * - All parameters live in one flat vector θ. The step graph takes it as a few inputs, views of
 *   segments of it: each large parameter alone (read and written in place, no slicing copy of θ and
 *   no concatenation of its gradient), small neighbours together (one optimizer update for all of
 *   them, so the memory-bound update costs ten element-wise passes per segment, not per tensor).
 * - When a mask keeps under `sparseBelow` of the weights, the update gathers just the kept entries
 *   (with compressed optimizer state), and the engine writes their new values into θ in place (θ is
 *   then one array, only read by the graph): the update's cost shrinks with the density.
 * - One `session.run` per step; outputs are written into a second set of preallocated arrays and the
 *   two sets swap roles after each step. Feeds and fetches for both directions are prepared once,
 *   so the step loop allocates nothing.
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
import { UpdateArena } from './fused-update.js';

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
  /**
   * Parameters with at least this many entries are graph inputs of their own in the training step;
   * smaller neighbours share one (default 65536). Only speed depends on it, never a result.
   */
  segmentFrom?: number;
  /**
   * A segment of more than twice this many entries gets its dense update in chunks of about this
   * size (default 262144), each of which keeps its temporaries in cache. Only speed depends on it.
   */
  updateChunk?: number;
  /**
   * Where the optimizer update of dense and masked layouts runs: 'fused' (default), one WebAssembly
   * SIMD loop over θ after the step graph has written the gradients; or 'graph', as element-wise ops
   * inside the step graph. Both evaluate the same operations in the same order: results are
   * bit-identical. Sparse layouts always update inside the graph (gather/scatter of the kept entries).
   */
  update?: 'fused' | 'graph';
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
 * A contiguous range of θ that the step graph takes as one input and updates as one vector. A large
 * parameter is a segment of its own, so the graph reads and writes it in place instead of slicing it
 * out of one θ input (a copy of θ per step) and concatenating the gradients (another); consecutive
 * small parameters share a segment, which keeps the optimizer's op count (and its per-op overhead) low.
 */
interface Segment {
  offset: number;
  size: number;
  params: string[];
}

/**
 * Default segmentFrom: at 2^16 entries, the two copies a shared segment costs (a slice out of it and
 * the gradient's concatenation, ~0.5 MB) outweigh a dozen more small ops.
 */
const SEGMENT_FROM = 1 << 16;

/**
 * Default updateChunk. The optimizer's ten element-wise passes over a segment of millions of entries
 * stream each temporary through memory; in chunks of 2^18 entries (1 MB) they stay in cache. Measured
 * on a 4.2M-entry segment (one thread, loaded machine): 65 -> 51 ms median per update.
 */
const UPDATE_CHUNK = 1 << 18;

function segmentsOf(params: ParamDecl[], from = SEGMENT_FROM): Segment[] {
  const segments: Segment[] = [];
  let open: Segment | undefined;
  let offset = 0;
  for (const decl of params) {
    const n = size(decl.shape);
    if (n >= from) {
      segments.push({ offset, size: n, params: [decl.name] });
      open = undefined;
    } else {
      if (!open) segments.push((open = { offset, size: 0, params: [] }));
      open.size += n;
      open.params.push(decl.name);
    }
    offset += n;
  }
  return segments;
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

/**
 * A flat array read and rewritten by every step (θ, an optimizer state, a buffer), fed to the graph
 * as one or more inputs, each a view of a range of it (θ and dense optimizer states: one per segment).
 */
interface Carried {
  name: string;
  length: number;
  pieces: Piece[];
  /** One array for both sets: the graph only reads it, and the engine updates it in place. */
  inPlace?: boolean;
}

/** A graph input that is a view of a range of a flat array; the step writes its successor unless readOnly. */
interface Piece {
  input: string;
  offset: number;
  length: number;
  readOnly?: boolean;
}

/** A compiled training step for one mask layout (dense, or sparse with K kept entries). */
interface StepProgram {
  compiled: CompiledGraph;
  signatures: Map<string, Signature>;
  /** θ, optimizer states, buffers (ping-ponged between two sets of arrays). */
  carried: Carried[];
  scalarNames: string[];
  segments: Segment[];
  /** Inputs that are views of the flat mask (masked dense update). */
  maskPieces: Piece[];
  /** null for the dense program; kept flat indices of θ for the sparse one. */
  kept: BigInt64Array | null;
  /** Sparse update: outputs holding the new kept values of each segment, scattered into θ after the run. */
  keptValues: { output: string; segment: number }[];
  /**
   * Fused update: the graph writes each parameter's gradient into the arena's gradient array (these
   * outputs, at these offsets) and the arena's loop updates θ and the optimizer state in place.
   */
  fused: { masked: boolean; gradOutputs: { output: string; offset: number; length: number }[] } | null;
}

/** Feeds and fetches of one step, prepared for both directions of the ping-pong. */
interface RunArgs {
  feeds: Record<string, ort.Tensor>;
  fetches: Record<string, ort.Tensor>;
}

const THETA = 'theta';
const MASK = 'mask';
const KEPT = 'kept_index';
const nextName = (n: string) => `next:${n}`;
/** The graph input holding segment k of a flat array. */
const pieceName = (name: string, k: number) => `${name}:${k}`;

export class TrainingEngine {
  readonly params: ParamDecl[];
  readonly buffers: BufferDecl[];
  readonly maskedParams: string[];
  private readonly slots: Map<string, Slot>;
  readonly parameterCount: number;
  /** θ, optimizer states and buffers, dense (canonical state between programs). */
  private current = new Map<string, Float32Array>();
  private spare = new Map<string, Float32Array>();
  /** runArgs[parity] reads `current` and writes `spare`; the roles swap after every step. */
  private runArgs: [RunArgs, RunArgs] = [
    { feeds: {}, fetches: {} },
    { feeds: {}, fetches: {} },
  ];
  private parity = 0;
  /** Sparse update: new kept values per segment and their flat θ indices (θ is updated in place). */
  private keptScatter: { values: Float32Array; index: Int32Array }[] = [];
  /** The flat mask over θ (1 for unmasked parameters such as biases). */
  private readonly mask: Float32Array;
  private program!: StepProgram;
  private readonly programs = new Map<string, Promise<StepProgram>>();
  private readonly x: Float32Array;
  private readonly labels: Int32Array;
  private readonly scalarArrays: Float32Array[];
  private readonly lossOut = new Float32Array(1);
  private readonly correctOut = new Float32Array(1);
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
    /** θ, gradients, mask and optimizer state for the fused update; null when it runs in the graph. */
    private readonly arena: UpdateArena | null,
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
    this.scalarArrays = optimizerScalars(options.optimizer).names.map(() => new Float32Array(1));
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
    const total = discovery.params.reduce((s, p) => s + size(p.decl.shape), 0);
    const arena = options.update === 'graph' ? null : await UpdateArena.create(options.optimizer, total);
    const plan = await compileStep(model, options, discovery, { kind: 'full', fused: arena !== null });
    return new TrainingEngine(model, options, discovery, plan, arena);
  }

  /** Makes `program` current, (re)allocating state arrays in its layout from the dense state. */
  private install(program: StepProgram): void {
    const dense = this.denseState();
    const sig = program.signatures;
    this.program = program;
    this.current = new Map();
    this.spare = new Map();
    // ort tensors over views of both array sets: as inputs (by input name) and as the outputs that
    // replace them (by output name, with the output's shape)
    const inputs = [new Map<string, ort.Tensor>(), new Map<string, ort.Tensor>()];
    const outputs = [new Map<string, ort.Tensor>(), new Map<string, ort.Tensor>()];
    const arena = program.fused ? this.arena! : null;
    for (const c of program.carried) {
      const shared = c.inPlace
        ? arena && c.name === THETA
          ? arena.theta
          : new Float32Array(c.length)
        : undefined;
      [this.current, this.spare].forEach((arrays, set) => {
        const data = shared ?? new Float32Array(c.length);
        arrays.set(c.name, data);
        for (const p of c.pieces) {
          const view = data.subarray(p.offset, p.offset + p.length);
          inputs[set].set(p.input, ortTensor(sig.get(p.input)!, view));
          const next = nextName(p.input);
          if (!p.readOnly) outputs[set].set(next, ortTensor(sig.get(next)!, view));
        }
      });
      const src = dense.get(c.name)!;
      const dst = this.current.get(c.name)!;
      if (program.kept && isOptimizerState(c.name)) {
        const kept = program.kept;
        for (let j = 0; j < kept.length; j++) dst[j] = src[Number(kept[j])];
      } else dst.set(src);
    }
    if (arena) {
      // the fused loop updates the optimizer state in place, outside the graph
      for (const [name, data] of arena.states) {
        data.set(dense.get(name)!);
        this.current.set(name, data);
        this.spare.set(name, data);
      }
      arena.mask.set(this.mask);
    }
    const feeds: Record<string, ort.Tensor> = {
      x: ortTensor(sig.get('x')!, this.x),
      labels: ortTensor(sig.get('labels')!, this.labels),
    };
    program.scalarNames.forEach((name, i) => (feeds[name] = ortTensor(sig.get(name)!, this.scalarArrays[i])));
    for (const d of this.dropouts) {
      const name = `dropout_mask:${d.name}`;
      feeds[name] = ortTensor(sig.get(name)!, this.dropoutArrays.get(d.name)!);
    }
    const fetches: Record<string, ort.Tensor> = {
      loss: ortTensor(sig.get('loss')!, this.lossOut),
      correct: ortTensor(sig.get('correct')!, this.correctOut),
    };
    this.keptScatter = [];
    for (const g of program.fused?.gradOutputs ?? [])
      fetches[g.output] = ortTensor(sig.get(g.output)!, arena!.grad.subarray(g.offset, g.offset + g.length));
    if (program.kept) {
      // kept indices local to each segment (the kept list is sorted, so each segment's are a run)
      const kept = program.kept;
      const local = new BigInt64Array(kept.length);
      const global = Int32Array.from(kept, Number);
      const runs: [number, number][] = [];
      let j = 0;
      program.segments.forEach((s, k) => {
        const start = j;
        const end = BigInt(s.offset + s.size);
        for (; j < kept.length && kept[j] < end; j++) local[j] = kept[j] - BigInt(s.offset);
        runs.push([start, j]);
        const name = pieceName(KEPT, k);
        if (sig.has(name)) feeds[name] = ortTensor(sig.get(name)!, local.subarray(start, j));
      });
      for (const { output, segment } of program.keptValues) {
        const [start, end] = runs[segment];
        const values = new Float32Array(end - start);
        fetches[output] = ortTensor(sig.get(output)!, values);
        this.keptScatter.push({ values, index: global.subarray(start, end) });
      }
    } else {
      for (const p of program.maskPieces)
        feeds[p.input] = ortTensor(sig.get(p.input)!, this.mask.subarray(p.offset, p.offset + p.length));
    }
    this.runArgs = [0, 1].map((set) => ({
      feeds: { ...feeds, ...Object.fromEntries(inputs[set]) },
      fetches: { ...fetches, ...Object.fromEntries(outputs[1 - set]) },
    })) as [RunArgs, RunArgs];
    this.parity = 0;
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

  /** onnxruntime intra-op threads of this engine's sessions. */
  get threads(): number {
    return this.options.threads ?? defaultThreads();
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
    const { feeds, fetches } = this.runArgs[this.parity];
    await this.program.compiled.runInto(feeds, fetches);
    if (this.program.fused) this.arena!.update(this.program.fused.masked, values);
    [this.current, this.spare] = [this.spare, this.current];
    this.parity ^= 1;
    if (this.keptScatter.length) {
      const theta = this.current.get(THETA)!;
      for (const { values, index } of this.keptScatter)
        for (let j = 0; j < index.length; j++) theta[index[j]] = values[j];
    }
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
          { threads: this.threads },
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
      { threads: this.threads },
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
    const keptCounts = this.program.segments.map((s) => {
      let n = 0;
      for (let i = s.offset; i < s.offset + s.size; i++) n += this.mask[i];
      return n;
    });
    const keptCount = keptCounts.reduce((a, b) => a + b, 0);
    const useSparse = keptCount < (this.options.sparseBelow ?? 0.5) * this.parameterCount;
    const mode: UpdateMode = useSparse
      ? { kind: 'sparse', keptCounts }
      : { kind: keptCount === this.parameterCount ? 'full' : 'masked', fused: this.arena !== null };
    const key = mode.kind === 'sparse' ? `sparse:${keptCounts.join(',')}` : mode.kind;
    let kept: BigInt64Array | null = null;
    if (useSparse) {
      kept = new BigInt64Array(keptCount);
      for (let i = 0, j = 0; i < this.mask.length; i++) if (this.mask[i]) kept[j++] = BigInt(i);
    }
    // the program depends only on the kept count per segment; the kept indices themselves are inputs
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
 * The training-step graph. θ [P] holds every parameter and comes in as one input per segment; each
 * segment's loss gradient is flattened (concatenated, for a segment of several parameters) and the
 * optimizer runs on flat vectors: each segment's whole vector with a mask (dense), or the K kept
 * entries gathered from all segments with compressed state, scattered back into each segment (sparse).
 * With the fused update the graph has no optimizer: it outputs each parameter's gradient instead.
 */
/** How the optimizer applies the mask: not at all (all kept), by multiplication, or by gather/scatter. */
type UpdateMode = { kind: 'full' | 'masked'; fused: boolean } | { kind: 'sparse'; keptCounts: number[] };

async function compileStep(
  model: Model,
  options: EngineOptions,
  discovery: BuildContext,
  mode: UpdateMode,
): Promise<StepProgram> {
  const params = discovery.params.map((p) => p.decl);
  const slots = layout(params);
  const segments = segmentsOf(params, options.segmentFrom);
  const total = params.reduce((s, p) => s + size(p.shape), 0);
  const masked = options.masked ?? defaultMasked;
  const graph = new Graph(`${model.name}_train_step`);
  const thetas = segments.map((s, k) => graph.input(pieceName(THETA, k), [s.size]));
  const build = new BuildContext(graph, true, { thetas, segments, slots });
  const x = graph.input('x', [options.batchSize, ...model.inputShape]);
  const labels = graph.input('labels', [options.batchSize], 'int32');
  const logits = model.forward(build, x);
  const { loss, correct } = op.softmaxCrossEntropy(logits, labels);
  const grads = gradients(
    loss,
    build.params.map((p) => p.tensor),
  );
  const flatGrads = new Map(build.params.map((p, i) => [p.decl.name, op.reshape(grads[i], [grads[i].size])]));
  const cat = (ts: Tensor[]) => (ts.length === 1 ? ts[0] : op.concat(ts, 0));
  const segmentGrads = segments.map((s) => cat(s.params.map((name) => flatGrads.get(name)!)));
  // the per-step scalars are graph inputs only where the graph runs the update
  const updateInGraph = mode.kind === 'sparse' || !mode.fused;
  const scalarNames = updateInGraph ? optimizerScalars(options.optimizer).names : [];
  const scalarInputs = scalarNames.map((n) => graph.input(n, [], 'float32'));
  const stateList = stateNames(options.optimizer);
  const outputs: Tensor[] = [graph.output(loss, 'loss'), graph.output(correct, 'correct')];
  const segmentPieces = (name: string) =>
    segments.map((s, k) => ({ input: pieceName(name, k), offset: s.offset, length: s.size }));
  const carried: Carried[] = [{ name: THETA, length: total, pieces: segmentPieces(THETA) }];
  const maskPieces: Piece[] = [];
  const keptValues: StepProgram['keptValues'] = [];
  let fused: StepProgram['fused'] = null;
  if (!updateInGraph) {
    // the graph only reads θ and writes each gradient, in its own shape, into the arena
    carried[0].inPlace = true;
    for (const piece of carried[0].pieces) piece.readOnly = true;
    const gradOutputs = build.params.map((p, i) => {
      const output = graph.output(grads[i], `grad:${p.decl.name}`);
      outputs.push(output);
      const slot = slots.get(p.decl.name)!;
      return { output: output.name, offset: slot.offset, length: slot.size };
    });
    fused = { masked: mode.kind === 'masked', gradOutputs };
  } else if (mode.kind !== 'sparse') {
    const statePieces = stateList.map((name) => ({ name, length: total, pieces: [] as Piece[] }));
    const chunkSize = options.updateChunk ?? UPDATE_CHUNK;
    segments.forEach((s, k) => {
      const hasMask = mode.kind === 'masked' && s.params.some((name) => masked(slots.get(name)!.decl));
      // the whole segment feeds the forward pass; its chunks (views of the same memory) the update
      const chunks = s.size > 2 * chunkSize ? Math.round(s.size / chunkSize) : 1;
      if (chunks > 1) carried[0].pieces[k].readOnly = true;
      for (let c = 0; c < chunks; c++) {
        const start = Math.floor((c * s.size) / chunks);
        const end = Math.floor(((c + 1) * s.size) / chunks);
        const name = (n: string) => (chunks === 1 ? pieceName(n, k) : `${pieceName(n, k)}.${c}`);
        const piece = (n: string) => ({ input: name(n), offset: s.offset + start, length: end - start });
        let grad = chunks === 1 ? segmentGrads[k] : op.slice(segmentGrads[k], [start], [end], [0]);
        if (hasMask) {
          maskPieces.push(piece(MASK));
          grad = op.mul(grad, graph.input(name(MASK), [end - start]));
        }
        const theta = chunks === 1 ? thetas[k] : graph.input(name(THETA), [end - start]);
        if (chunks > 1) carried[0].pieces.push(piece(THETA));
        const states = stateList.map((n, i) => {
          statePieces[i].pieces.push(piece(n));
          return graph.input(name(n), [end - start]);
        });
        const update = emitUpdate(options.optimizer, theta, grad, states, scalarInputs);
        outputs.push(graph.output(update.param, nextName(theta.name)));
        states.forEach((t, i) => outputs.push(graph.output(update.states[i], nextName(t.name))));
      }
    });
    carried.push(...statePieces);
  } else {
    const { keptCounts } = mode;
    const keptTotal = keptCounts.reduce((a, b) => a + b, 0);
    const live = segments.map((_, k) => k).filter((k) => keptCounts[k] > 0);
    const kept = new Map(live.map((k) => [k, graph.input(pieceName(KEPT, k), [keptCounts[k]], 'int64')]));
    const states = stateList.map((name) => graph.input(name, [keptTotal]));
    const update = emitUpdate(
      options.optimizer,
      cat(live.map((k) => op.gather1d(thetas[k], kept.get(k)!))),
      cat(live.map((k) => op.gather1d(segmentGrads[k], kept.get(k)!))),
      states,
      scalarInputs,
    );
    // θ is only read: the new kept values come out per segment and the engine writes them into θ in
    // place (a few thousand entries instead of a copy of every segment)
    carried[0].inPlace = true;
    for (const piece of carried[0].pieces) piece.readOnly = true;
    let start = 0;
    for (const k of live) {
      const end = start + keptCounts[k];
      const part = live.length === 1 ? update.param : op.slice(update.param, [start], [end], [0]);
      outputs.push(graph.output(part, nextName(thetas[k].name)));
      keptValues.push({ output: nextName(thetas[k].name), segment: k });
      start = end;
    }
    states.forEach((t, i) => {
      outputs.push(graph.output(update.states[i], nextName(t.name)));
      carried.push({
        name: t.name,
        length: keptTotal,
        pieces: [{ input: t.name, offset: 0, length: keptTotal }],
      });
    });
  }
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
  return {
    compiled,
    signatures,
    carried,
    scalarNames,
    segments,
    maskPieces,
    keptValues,
    kept: null,
    fused,
  };
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
