/**
 * The training engine: compiles a model's whole training step (forward, loss, backward, masks,
 * optimizer) into one ONNX graph and an evaluation graph that shares the weights, runs them with
 * onnxruntime, and owns the state (parameters, masks, optimizer moments, BatchNorm statistics) in
 * typed arrays. This class is the facade; the parts, each with one job:
 *
 * - layout.ts: θ's layout. All parameters live in one flat vector θ, which the step graph takes as a
 *   few inputs (segments): each large parameter alone, read and written in place, small neighbours
 *   together, so the memory-bound update runs per segment, not per tensor.
 * - step-graph.ts: graph construction (the model context, the step, evaluation and inference graphs).
 * - update-plans.ts: where the optimizer update runs — a fused WebAssembly loop (default), ops in the
 *   graph, or a gather/scatter of the kept entries for sparse masks — behind one interface, chosen in
 *   one place. All three give bit-identical results.
 * - masks.ts: the mask policy (pruned weights frozen at a value, 0 by default).
 * - state.ts: the arrays the step reads and writes (two sets that swap roles after each step, so one
 *   `session.run` per step allocates and copies nothing) and checkpoints.
 *
 * Speed decisions are measured; see README "Performance".
 */
import { type TypedArray, sizeOf } from '../graph/graph.js';
import { emitModel } from '../graph/onnx.js';
import type { BufferDecl, Model, ParamDecl } from '../models/types.js';
import { Rng } from '../util/rng.js';
import { UpdateArena } from './fused-update.js';
import { initialValues } from './init.js';
import { type Segment, ThetaLayout, defaultMasked } from './layout.js';
import { type MaskOptions, MaskPolicy } from './masks.js';
import type { EngineOptions } from './options.js';
import { optimizerScalars, stateNames } from './optimizers.js';
import { CompiledGraph, defaultThreads, signatureOf } from './session.js';
import {
  type EngineState,
  type StepIO,
  StepArrays,
  captureState,
  checkpointMask,
  isOptimizerState,
  restoreDense,
} from './state.js';
import {
  type BuildContext,
  type DropoutDecl,
  type StepProgram,
  THETA,
  buildInferenceGraph,
  compileEval,
  compileStep,
  discover,
} from './step-graph.js';
import { type UpdatePlan, chooseUpdatePlan, sparseCapacity } from './update-plans.js';
import { mlpLayers } from './compact.js';
import { SparseMlp } from './sparse-mlp.js';
import { type SparseDecision, decideSparse } from './crossover.js';

export type { EngineOptions, LossFunction } from './options.js';
export { softmaxCrossEntropyLoss } from './options.js';
export type { EngineState } from './state.js';
export type { MaskOptions } from './masks.js';
export { buildInferenceGraph };

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

export class TrainingEngine {
  readonly params: ParamDecl[];
  readonly buffers: BufferDecl[];
  readonly maskedParams: string[];
  readonly parameterCount: number;
  private readonly layout: ThetaLayout;
  private readonly segments: Segment[];
  private readonly masks: MaskPolicy;
  private readonly arrays = new StepArrays();
  private plan!: UpdatePlan;
  private program!: StepProgram;
  /** Compiled step programs by plan key (a sparse program depends only on the kept count per segment). */
  private readonly programs = new Map<string, Promise<StepProgram>>();
  private readonly io: StepIO;
  private readonly evalPrograms = new Map<number, Promise<CompiledGraph>>();
  private readonly dropouts: DropoutDecl[];
  private dropoutSeed = 0;
  stepCount = 0;
  /** The sparse MLP step (options.sparseKernelsBelow), when the model is an MLP. */
  private sparseMlp: SparseMlp | null = null;
  /** Whether the sparse step runs now, and whether it holds newer θ and optimizer state than the arrays. */
  private sparseActive = false;
  private sparseDirty = false;
  /** The step forced by pinKernels (a resumed unit runs the step it was checkpointed with). */
  private pinned: 'sparse' | 'dense' | undefined;
  /** The last 'auto' decision, with its predicted times. */
  private lastDecision: SparseDecision | undefined;

  private constructor(
    readonly model: Model,
    readonly options: EngineOptions,
    discovery: BuildContext,
    /** θ, gradients, mask and optimizer state for the fused update; null when it runs in the graph. */
    private readonly arena: UpdateArena | null,
  ) {
    this.params = discovery.params.map((p) => p.decl);
    this.buffers = discovery.buffers.map((b) => b.decl);
    this.layout = new ThetaLayout(this.params);
    this.segments = this.layout.segments(options.segmentFrom);
    this.parameterCount = this.layout.size;
    this.maskedParams = this.params.filter(options.masked ?? defaultMasked).map((d) => d.name);
    this.masks = new MaskPolicy(this.layout, this.maskedParams);
    this.dropouts = discovery.dropouts.map((d) => d.decl);
    this.io = {
      x: new Float32Array(options.batchSize * sizeOf(model.inputShape)),
      labels: new Int32Array(options.batchSize),
      scalars: optimizerScalars(options.optimizer).names.map(() => new Float32Array(1)),
      dropouts: new Map(this.dropouts.map((d) => [d.input, new Float32Array(sizeOf(d.shape))])),
      loss: new Float32Array(1),
      correct: new Float32Array(1),
    };
  }

  static async create(model: Model, options: EngineOptions): Promise<TrainingEngine> {
    // discovery pass: learn the parameters (and so θ's layout) by building the forward once
    const discovery = discover(model, options.batchSize);
    const total = discovery.params.reduce((s, p) => s + sizeOf(p.decl.shape), 0);
    const arena = options.update === 'graph' ? null : await UpdateArena.create(options.optimizer, total);
    const engine = new TrainingEngine(model, options, discovery, arena);
    const mode = options.sparseKernels ?? 'off';
    if (mode === 'auto' && !options.crossover)
      throw new Error("sparseKernels 'auto' needs crossover timings");
    const wanted = mode !== 'off' || (options.sparseKernelsBelow ?? 0) > 0;
    const layers = wanted && !options.loss ? mlpLayers(model) : null;
    if (layers)
      engine.sparseMlp = await SparseMlp.create(layers, engine.layout, {
        optimizer: options.optimizer,
        batchSize: options.batchSize,
        evalBatchSize: options.evalBatchSize ?? 1000,
      });
    // everything kept, all state 0 until initialize() or setWeights()
    const zeros = new Map<string, Float32Array>([[THETA, new Float32Array(total)]]);
    for (const s of stateNames(options.optimizer)) zeros.set(s, new Float32Array(total));
    for (const b of engine.buffers) zeros.set(b.name, new Float32Array(sizeOf(b.shape)));
    await engine.usePlan(engine.choosePlan(), zeros);
    return engine;
  }

  private choosePlan(reusePrograms = false): UpdatePlan {
    const reusable = reusePrograms
      ? [...this.programs.keys()].map(sparseCapacity).filter((c): c is number[] => c !== null)
      : [];
    return chooseUpdatePlan(this.options, this.segments, this.masks.mask, this.arena, reusable, this.plan);
  }

  /** Step programs compiled so far (one onnxruntime session each; counted to prove mask changes reuse them). */
  get stepCompiles(): number {
    return this.programs.size;
  }

  /** Times the step's arrays were allocated: once per program made current (counted by tests). */
  get stepArrayAllocations(): number {
    return this.arrays.allocations;
  }

  /** Makes `plan` current (compiling its program once per key), its arrays filled from `dense`. */
  private async usePlan(plan: UpdatePlan, dense: ReadonlyMap<string, Float32Array>): Promise<void> {
    let program = this.programs.get(plan.key);
    if (!program) {
      program = compileStep(this.model, this.options, this.layout, plan);
      this.programs.set(plan.key, program);
    }
    this.program = await program;
    this.plan = plan;
    this.arrays.install(this.program, plan, dense, this.io);
  }

  /** The state with optimizer state expanded to θ's layout (into scratch arrays: read at once). */
  private denseState(scratch = false): Map<string, Float32Array> {
    this.pullSparse();
    return this.arrays.dense(this.plan, this.parameterCount, scratch);
  }

  private get theta(): Float32Array {
    this.pullSparse();
    return this.arrays.current.get(THETA)!;
  }

  /** Brings θ and the optimizer state the sparse step has moved back into the engine's arrays. */
  private pullSparse(): void {
    if (!this.sparseActive || !this.sparseDirty) return;
    this.sparseDirty = false;
    const dense = this.arrays.dense(this.plan, this.parameterCount);
    this.sparseMlp!.writeBack(dense.get(THETA)!, dense);
    // the gather/scatter plan keeps its optimizer state packed: install the updated dense copies
    if (this.plan.sparse) this.arrays.install(this.program, this.plan, dense, this.io);
  }

  /**
   * After any change of masks or state: the sparse step runs when enabled, the mask policy freezes
   * pruned weights at 0 and the kept fraction of the masked weights is below sparseKernelsBelow.
   */
  private refreshSparse(): void {
    const possible = this.sparseMlp !== null && this.masks.frozenAtZero();
    if (this.pinned === 'sparse' && !possible)
      throw new Error(
        'the sparse step was pinned, but the model is no MLP or pruned weights are not frozen at 0',
      );
    this.sparseActive = possible && (this.pinned ? this.pinned === 'sparse' : this.wantsSparse());
    this.sparseDirty = false;
    if (this.sparseActive) {
      const dense = this.arrays.dense(this.plan, this.parameterCount);
      this.sparseMlp!.install(dense.get(THETA)!, dense, this.masks.get());
    }
  }

  /** Whether the masks call for the sparse step, by the engine's options. */
  private wantsSparse(): boolean {
    const mode = this.options.sparseKernels ?? 'off';
    if (mode === 'always') return true;
    if (mode === 'auto') {
      const masks = this.masks.get();
      const layers = this.sparseMlp!.layers.map((l) => {
        const m = masks.get(l.weight);
        let kept = 0;
        if (m) for (let i = 0; i < m.length; i++) kept += m[i];
        return { inFeatures: l.inFeatures, outFeatures: l.outFeatures, density: m ? kept / m.length : 1 };
      });
      this.lastDecision = decideSparse(layers, this.options.crossover!);
      return this.lastDecision.sparse;
    }
    const { kept, total } = this.masks.keptOfMasked();
    return kept < (this.options.sparseKernelsBelow ?? 0) * total;
  }

  /** Which step trains now: onnxruntime's dense one or the sparse MLP kernels. */
  get kernelPath(): 'sparse' | 'dense' {
    return this.sparseActive ? 'sparse' : 'dense';
  }

  /** True when the sparse step can run for this model (an MLP, and the engine was asked for it). */
  get sparseKernelsAvailable(): boolean {
    return this.sparseMlp !== null;
  }

  /** The last 'auto' decision and the step times it predicted (ms per step, summed over layers). */
  get sparseDecision(): SparseDecision | undefined {
    return this.lastDecision;
  }

  /**
   * Forces the sparse or the dense step whatever the masks (undefined: decide again). A resumed unit
   * pins the step its checkpoint was computed with, so a unit never mixes the two roundings.
   */
  pinKernels(path: 'sparse' | 'dense' | undefined): void {
    this.pullSparse();
    this.pinned = path;
    this.refreshSparse();
  }

  /** True when steps and evaluation run the sparse MLP kernels; their multiply-adds per step. */
  get sparseKernels(): { macsPerStep: number; inputs: number; units: number[] } | null {
    if (!this.sparseActive) return null;
    const c = this.sparseMlp!.units;
    return {
      macsPerStep: this.sparseMlp!.macsPerStep,
      inputs: c.inputs.length,
      units: c.units.map((u) => u.length),
    };
  }

  /** Draws θ₀ from the parameters' init specs; resets optimizer state, buffers and the step count. */
  initialize(seed: number): void {
    const theta = this.theta;
    for (const decl of this.params) theta.set(initialValues(decl, seed), this.layout.slot(decl.name).offset);
    for (const b of this.buffers) this.arrays.current.get(b.name)!.fill(b.init);
    this.dropoutSeed = seed;
    this.resetOptimizer();
    this.applyMask();
    this.refreshSparse();
  }

  /** Seeds the dropout masks' stream (each step draws from (seed, step, layer)). */
  setDropoutSeed(seed: number): void {
    this.dropoutSeed = seed;
  }

  /** Zeroes optimizer moments and the step count (a fresh optimizer, as at the start of each level). */
  resetOptimizer(): void {
    this.pullSparse();
    for (const [name, data] of this.arrays.current) if (isOptimizerState(name)) data.fill(0);
    this.stepCount = 0;
    this.refreshSparse();
  }

  /** The input batch buffer to fill before calling step(): [batch, ...inputShape] floats. */
  get inputBuffer(): Float32Array {
    return this.io.x;
  }

  get labelBuffer(): Int32Array {
    return this.io.labels;
  }

  /** onnxruntime intra-op threads of this engine's sessions. */
  get threads(): number {
    return this.options.threads ?? defaultThreads();
  }

  /** True when the sparse (gather/scatter) update is in use. */
  get sparseUpdate(): boolean {
    return this.plan.sparse;
  }

  /** One training step on the batch in inputBuffer/labelBuffer. */
  async step(lr: number): Promise<StepResult> {
    this.stepCount++;
    const values = optimizerScalars(this.options.optimizer).values(lr, this.stepCount);
    values.forEach((v, i) => (this.io.scalars[i][0] = v));
    if (this.sparseActive) {
      this.sparseDirty = true;
      return this.sparseMlp!.step(this.io.x, this.io.labels, values);
    }
    if (this.dropouts.length) this.fillDropoutMasks();
    const { feeds, fetches } = this.arrays.args;
    await this.program.compiled.runInto(feeds, fetches);
    this.plan.afterRun(values);
    this.arrays.swap();
    return { loss: this.io.loss[0], correct: this.io.correct[0] };
  }

  private fillDropoutMasks(): void {
    for (const d of this.dropouts) {
      const data = this.io.dropouts.get(d.input)!;
      if (d.uniform) {
        // its own stream, so adding noise to a model changes no dropout mask
        const rng = Rng.derive(this.dropoutSeed, 'noise', this.stepCount, d.name);
        for (let i = 0; i < data.length; i++) data[i] = rng.float();
        continue;
      }
      const rng = Rng.derive(this.dropoutSeed, 'dropout', this.stepCount, d.name);
      for (let i = 0; i < data.length; i++) data[i] = rng.float() >= d.rate ? 1 : 0;
    }
  }

  /** Mean loss (the engine's loss option) and accuracy over a whole set, in chunks of evalBatchSize. */
  async evaluate(x: Float32Array, labels: Int32Array, count: number): Promise<EvalResult> {
    if (this.sparseActive) {
      const { lossSum, correct } = this.sparseMlp!.evaluate(x, labels, count);
      return { loss: lossSum / count, accuracy: correct / count, correct, count };
    }
    const chunk = this.options.evalBatchSize ?? 1000;
    const exampleSize = sizeOf(this.model.inputShape);
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
    for (const [name, data] of this.weightViews()) feeds[name] = data;
    for (const b of this.buffers) feeds[b.name] = this.arrays.current.get(b.name)!;
    return feeds;
  }

  private evalProgram(batch: number): Promise<CompiledGraph> {
    let p = this.evalPrograms.get(batch);
    if (!p) {
      p = compileEval(this.model, batch, { ...this.options, threads: this.threads });
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

  /** Live views of the parameters in θ (read-only by contract; valid until the next step or change). */
  weightViews(): Map<string, Float32Array> {
    const theta = this.theta;
    return new Map(this.params.map((p) => [p.name, this.layout.view(theta, p.name)]));
  }

  /** A copy of one parameter. */
  getParam(name: string): Float32Array {
    return this.layout.view(this.theta, name).slice();
  }

  /** Copies of all parameters, pruned ones at their frozen values (slice: 25× faster than from). */
  getWeights(): Map<string, Float32Array> {
    return new Map([...this.weightViews()].map(([k, v]) => [k, v.slice()]));
  }

  getBuffers(): Map<string, Float32Array> {
    return new Map(this.buffers.map((b) => [b.name, this.arrays.current.get(b.name)!.slice()]));
  }

  /** Sets parameters (and optionally buffers); pruned weights then get their frozen values. */
  setWeights(weights: ReadonlyMap<string, Float32Array>, buffers?: ReadonlyMap<string, Float32Array>): void {
    const theta = this.theta;
    for (const p of this.params) {
      const w = weights.get(p.name);
      if (!w || w.length !== sizeOf(p.shape)) throw new Error(`missing or wrong-sized parameter ${p.name}`);
      theta.set(w, this.layout.slot(p.name).offset);
    }
    if (buffers) {
      for (const b of this.buffers) {
        const v = buffers.get(b.name);
        if (!v) throw new Error(`missing buffer ${b.name}`);
        this.arrays.current.get(b.name)!.set(v);
      }
    }
    this.applyMask();
    this.refreshSparse();
  }

  getMasks(): Map<string, Uint8Array> {
    return this.masks.get();
  }

  /** The masks as views, by masked parameter: read-only by contract, valid until the next setMasks. */
  maskViews(): Map<string, Uint8Array> {
    return this.masks.views();
  }

  /**
   * Installs masks (1 = keep) and the mask policy: each pruned weight is frozen at its value in
   * `options.frozen` (0 when not given) and its optimizer state becomes 0; the update never moves it
   * (weight decay included). Chooses the update plan for the new density (compiling it once per key).
   */
  async setMasks(masks: ReadonlyMap<string, Uint8Array>, options: MaskOptions = {}): Promise<void> {
    const dense = this.denseState(true);
    this.masks.set(masks, options);
    // install from the dense state taken before the switch, then freeze what the mask removed
    await this.usePlan(this.choosePlan(options.reusePrograms), dense);
    this.applyMask();
    this.refreshSparse();
  }

  private applyMask(): void {
    const states: Float32Array[] = [];
    if (!this.plan.sparse)
      for (const [name, data] of this.arrays.current) if (isOptimizerState(name)) states.push(data);
    this.masks.apply(this.theta, states);
  }

  /** The complete state for checkpoints: θ, mask, optimizer state (dense), buffers, step. */
  getState(): EngineState {
    return captureState(this.denseState(), this.masks.mask, this.stepCount);
  }

  /** Restores a checkpoint; pruned weights stay frozen at the values its θ holds for them. */
  async setState(state: EngineState, dropoutSeed?: number): Promise<void> {
    const mask = checkpointMask(state, this.parameterCount);
    await this.setMasks(this.masks.split(mask));
    const dense = restoreDense(this.denseState(), state);
    this.arrays.install(this.program, this.plan, dense, this.io);
    this.masks.freezeFrom(this.theta);
    this.refreshSparse();
    this.stepCount = state.step;
    if (dropoutSeed !== undefined) this.dropoutSeed = dropoutSeed;
  }

  async release(): Promise<void> {
    for (const p of this.programs.values()) await (await p).compiled.release();
    for (const p of this.evalPrograms.values()) await (await p).release();
  }
}
