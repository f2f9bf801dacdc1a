/**
 * Where and how the optimizer update runs: one interface, UpdatePlan, with three implementations,
 * chosen in one place (chooseUpdatePlan) from the mask's density and the engine's options.
 *
 * - FusedUpdate (default for dense and masked layouts): the step graph writes each parameter's gradient
 *   into WebAssembly memory and one SIMD loop (fused-update.ts) updates θ and the optimizer state in
 *   place: one pass instead of Adam's ten element-wise graph ops.
 * - GraphUpdate (`update: 'graph'`): the same update rule as element-wise ops inside the step graph,
 *   per segment of θ (in cache-sized chunks for large segments). Bit-identical to the fused loop.
 * - SparseUpdate (kept fraction below `sparseBelow`): the graph gathers the kept entries, updates them
 *   with compressed optimizer state, and outputs their new values, which are scattered into θ in
 *   place: the update's cost shrinks with the density. Pruned entries are never touched.
 *
 * In every plan a pruned weight's gradient (weight decay included) is 0, so it stays at its frozen value.
 */
import type ort from 'onnxruntime-node';
import type { Tensor } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import type { UpdateArena } from './fused-update.js';
import { type Segment, defaultMasked } from './layout.js';
import type { EngineOptions } from './options.js';
import { emitUpdate, stateNames } from './optimizers.js';
import { ortTensor } from './session.js';
import {
  KEPT,
  MASK,
  type Piece,
  type StepGraph,
  type StepProgram,
  type StepUpdateBuilder,
  THETA,
  nextName,
  pieceName,
} from './step-graph.js';

/** The feeds and fetches of one run of the step graph. */
export interface RunArgs {
  feeds: Record<string, ort.Tensor>;
  fetches: Record<string, ort.Tensor>;
}

/**
 * One way of running the update. From StepUpdateBuilder: `emit` adds it to the step graph (compiled
 * once per `key`), `scalarsInGraph` says whether the graph takes the per-step optimizer scalars.
 */
export interface UpdatePlan extends StepUpdateBuilder {
  /** Step programs are compiled once per key and shared by every plan with the same key. */
  readonly key: string;
  /** True when optimizer state is kept for the kept entries only (gather/scatter). */
  readonly sparse: boolean;
  /** The array a carried entry lives in when the plan owns it (the fused loop's θ). */
  ownedArray(name: string): Float32Array | undefined;
  /** Optimizer state arrays the plan keeps outside the graph (the fused loop's), by name. */
  ownedStates(): ReadonlyMap<string, Float32Array>;
  /** Writes an optimizer state's dense form (θ's layout) into `into`, in the program's layout. */
  packState(dense: Float32Array, into: Float32Array): void;
  /** An optimizer state in θ's layout, from the program's layout (written into `into` when given). */
  unpackState(packed: Float32Array, length: number, into?: Float32Array): Float32Array;
  /** Adds the plan's own feeds and fetches (views of the mask, kept indices, gradient arrays). */
  bind(program: StepProgram, theta: Float32Array, args: RunArgs): void;
  /** Completes a step after the graph ran: runs the fused loop, or scatters the kept values into θ. */
  afterRun(scalars: readonly number[]): void;
}

/**
 * Default updateChunk. The optimizer's ten element-wise passes over a segment of millions of entries
 * stream each temporary through memory; in chunks of 2^18 entries (1 MB) they stay in cache. Measured
 * on a 4.2M-entry segment (one thread, loaded machine): 65 -> 51 ms median per update.
 */
const UPDATE_CHUNK = 1 << 18;

/** Dense optimizer state: the program's layout is θ's. */
abstract class DenseLayout {
  ownedArray(_name: string): Float32Array | undefined {
    return undefined;
  }
  ownedStates(): ReadonlyMap<string, Float32Array> {
    return new Map();
  }
  packState(dense: Float32Array, into: Float32Array): void {
    if (into !== dense) into.set(dense);
  }
  unpackState(packed: Float32Array): Float32Array {
    return packed;
  }
}

/** The update as one fused WebAssembly loop over θ after the graph has written the gradients. */
class FusedUpdate extends DenseLayout implements UpdatePlan {
  readonly sparse = false;
  readonly scalarsInGraph = false;

  constructor(
    private readonly arena: UpdateArena,
    /** Whether the mask has pruned entries (all kept: the loop without the mask). */
    private readonly masked: boolean,
    /** The flat mask over θ (1 for unmasked parameters). */
    private readonly mask: Float32Array,
  ) {
    super();
  }

  get key(): string {
    return this.masked ? 'masked' : 'full';
  }

  emit(step: StepGraph): void {
    // the graph only reads θ and writes each gradient, in its own shape, into the arena
    const theta = step.carried[0];
    theta.inPlace = true;
    for (const piece of theta.pieces) piece.readOnly = true;
    for (const { name, grad } of step.paramGrads) {
      const output = step.graph.output(grad, `grad:${name}`);
      step.outputs.push(output);
      const slot = step.layout.slot(name);
      step.program.gradOutputs.push({ output: output.name, offset: slot.offset, length: slot.size });
    }
  }

  override ownedArray(name: string): Float32Array | undefined {
    return name === THETA ? this.arena.theta : undefined;
  }

  override ownedStates(): ReadonlyMap<string, Float32Array> {
    return this.arena.states;
  }

  bind(program: StepProgram, _theta: Float32Array, { fetches }: RunArgs): void {
    const sig = program.signatures;
    const grad = this.arena.grad;
    for (const g of program.gradOutputs)
      fetches[g.output] = ortTensor(sig.get(g.output)!, grad.subarray(g.offset, g.offset + g.length));
    this.arena.mask.set(this.mask);
  }

  afterRun(scalars: readonly number[]): void {
    this.arena.update(this.masked, scalars);
  }
}

/** The update as element-wise ops in the step graph, per segment (and chunk) of θ. */
class GraphUpdate extends DenseLayout implements UpdatePlan {
  readonly sparse = false;
  readonly scalarsInGraph = true;

  constructor(
    private readonly masked: boolean,
    private readonly mask: Float32Array,
  ) {
    super();
  }

  get key(): string {
    return this.masked ? 'masked' : 'full';
  }

  emit(step: StepGraph): void {
    const { graph, options, layout, segments, thetas, segmentGrads, scalarInputs, outputs, carried } = step;
    const stateList = stateNames(options.optimizer);
    const statePieces = stateList.map((name) => ({ name, length: layout.size, pieces: [] as Piece[] }));
    const chunkSize = options.updateChunk ?? UPDATE_CHUNK;
    const carriesMask = options.masked ?? defaultMasked;
    segments.forEach((s, k) => {
      const hasMask = this.masked && s.params.some((name) => carriesMask(layout.slot(name).decl));
      // the whole segment feeds the forward pass; its chunks (views of the same memory) the update
      const chunks = s.size > 2 * chunkSize ? Math.round(s.size / chunkSize) : 1;
      if (chunks > 1) carried[0].pieces[k].readOnly = true;
      for (let c = 0; c < chunks; c++) {
        const start = Math.floor((c * s.size) / chunks);
        const end = Math.floor(((c + 1) * s.size) / chunks);
        const name = (n: string) => (chunks === 1 ? pieceName(n, k) : `${pieceName(n, k)}.${c}`);
        const piece = (n: string) => ({ input: name(n), offset: s.offset + start, length: end - start });
        const grad = chunks === 1 ? segmentGrads[k] : op.slice(segmentGrads[k], [start], [end], [0]);
        let mask: Tensor | undefined;
        if (hasMask) {
          step.program.maskPieces.push(piece(MASK));
          mask = graph.input(name(MASK), [end - start]);
        }
        const theta = chunks === 1 ? thetas[k] : graph.input(name(THETA), [end - start]);
        if (chunks > 1) carried[0].pieces.push(piece(THETA));
        const states = stateList.map((n, i) => {
          statePieces[i].pieces.push(piece(n));
          return graph.input(name(n), [end - start]);
        });
        const update = emitUpdate(options.optimizer, theta, grad, states, scalarInputs, mask);
        outputs.push(graph.output(update.param, nextName(theta.name)));
        states.forEach((t, i) => outputs.push(graph.output(update.states[i], nextName(t.name))));
      }
    });
    carried.push(...statePieces);
  }

  bind(program: StepProgram, _theta: Float32Array, { feeds }: RunArgs): void {
    const sig = program.signatures;
    for (const p of program.maskPieces)
      feeds[p.input] = ortTensor(sig.get(p.input)!, this.mask.subarray(p.offset, p.offset + p.length));
  }

  afterRun(): void {}
}

/**
 * The update of the kept entries only: gathered from θ, updated in the graph, scattered back. The
 * program's shapes are its `capacity` per segment (the kept counts unless a larger compiled program
 * is reused): a segment keeping fewer entries pads its index list with its first entry, whose lanes
 * are computed and thrown away, so a mask that changes during training reuses one program.
 */
class SparseUpdate implements UpdatePlan {
  readonly sparse = true;
  readonly scalarsInGraph = true;
  /** New kept values per segment and their flat θ indices, bound to one program. */
  private scatter: { values: Float32Array; index: Int32Array }[] = [];
  private theta: Float32Array = new Float32Array(0);
  private readonly capacity: number[];
  /** For each lane of the packed optimizer state, its θ index (−1 for a padding lane). */
  private readonly lanes: Int32Array;
  /** The plan's arrays, taken over by the next plan of the same capacities. */
  readonly buffers: SparseBuffers;

  constructor(
    /** Kept entries per segment. */
    private readonly keptCounts: number[],
    /** The kept flat indices of θ, ascending. */
    private readonly kept: Int32Array,
    capacity?: number[],
    /** The previous sparse plan's arrays: reused where the capacities are the same. */
    previous?: SparseBuffers,
  ) {
    this.capacity = capacity ?? keptCounts;
    const total = this.capacity.reduce((a, b) => a + b, 0);
    const same = previous !== undefined && previous.capacity.join() === this.capacity.join();
    this.buffers = same ? previous : { capacity: this.capacity, lanes: null, locals: [], values: [] };
    this.buffers.kept = kept;
    this.lanes = this.buffers.lanes ??= new Int32Array(total);
    this.lanes.fill(-1);
    // plain loops with locals: a counter a closure writes is a context slot, several times slower
    for (let k = 0, lane = 0, j = 0; k < keptCounts.length; lane += this.capacity[k], k++) {
      this.lanes.set(kept.subarray(j, j + keptCounts[k]), lane);
      j += keptCounts[k];
    }
  }

  get key(): string {
    return `sparse:${this.capacity.join(',')}`;
  }

  emit(step: StepGraph): void {
    const { graph, options, segments, thetas, segmentGrads, scalarInputs, outputs, carried } = step;
    const keptCounts = this.capacity;
    const keptTotal = keptCounts.reduce((a, b) => a + b, 0);
    const cat = (ts: Tensor[]) => (ts.length === 1 ? ts[0] : op.concat(ts, 0));
    const live = segments.map((_, k) => k).filter((k) => keptCounts[k] > 0);
    const kept = new Map(live.map((k) => [k, graph.input(pieceName(KEPT, k), [keptCounts[k]], 'int64')]));
    const states = stateNames(options.optimizer).map((name) => graph.input(name, [keptTotal]));
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
      step.program.keptValues.push({ output: nextName(thetas[k].name), segment: k });
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

  ownedArray(): Float32Array | undefined {
    return undefined;
  }

  ownedStates(): ReadonlyMap<string, Float32Array> {
    return new Map();
  }

  packState(dense: Float32Array, into: Float32Array): void {
    const lanes = this.lanes;
    // padding lanes hold 0
    for (let j = 0; j < lanes.length; j++) into[j] = lanes[j] >= 0 ? dense[lanes[j]] : 0;
  }

  unpackState(packed: Float32Array, length: number, into?: Float32Array): Float32Array {
    const lanes = this.lanes;
    const dense = into ? into.fill(0) : new Float32Array(length);
    for (let j = 0; j < lanes.length; j++) if (lanes[j] >= 0) dense[lanes[j]] = packed[j];
    return dense;
  }

  bind(program: StepProgram, theta: Float32Array, { feeds, fetches }: RunArgs): void {
    const sig = program.signatures;
    // kept indices local to each segment (the kept list is sorted, so each segment's are a run),
    // each segment's run padded to its capacity with its first local index. The int64 indices are
    // written through an int32 view (low word, high word 0: indices are non-negative and below 2^31;
    // little-endian, as every platform onnxruntime-node ships for): BigInt per entry is 10× slower.
    const kept = this.kept;
    const runs: [number, number][] = [];
    for (let k = 0, start = 0; k < program.segments.length; k++) {
      const s: Segment = program.segments[k];
      const end = start + this.keptCounts[k];
      const local = (this.buffers.locals[k] ??= new BigInt64Array(this.capacity[k]));
      writeLocal(new Int32Array(local.buffer), kept, start, end, s.offset);
      runs.push([start, end]);
      start = end;
      const name = pieceName(KEPT, k);
      if (sig.has(name)) feeds[name] = ortTensor(sig.get(name)!, local);
    }
    this.scatter = [];
    for (const { output, segment } of program.keptValues) {
      const [start, end] = runs[segment];
      // written whole by every run before afterRun reads it
      const values = (this.buffers.values[segment] ??= new Float32Array(this.capacity[segment]));
      fetches[output] = ortTensor(sig.get(output)!, values);
      this.scatter.push({ values, index: kept.subarray(start, end) });
    }
    this.theta = theta;
  }

  afterRun(): void {
    const theta = this.theta;
    for (const { values, index } of this.scatter)
      for (let j = 0; j < index.length; j++) theta[index[j]] = values[j];
  }
}

/**
 * words[2j] ← kept[start + j] − offset: the low words of int64 indices local to a segment; every
 * other word 0 (padding lanes index the segment's entry 0).
 */
function writeLocal(words: Int32Array, kept: Int32Array, start: number, end: number, offset: number): void {
  words.fill(0);
  for (let j = start; j < end; j++) words[2 * (j - start)] = kept[j] - offset;
}

/**
 * A sparse plan's arrays. A mask change during training chooses a new plan with the capacities of the
 * same compiled program; it takes these over instead of allocating them again (large typed arrays
 * cost a garbage collection now and then, which under load cost more than the rest of the change).
 */
interface SparseBuffers {
  capacity: number[];
  /** Room for the kept indices (they are a prefix of it). */
  kept?: Int32Array;
  lanes: Int32Array | null;
  /** Per segment: kept indices local to it (int64), and the new kept values a run outputs. */
  locals: BigInt64Array[];
  values: Float32Array[];
}

/** The capacities of a compiled sparse program's key (`sparse:<count>,<count>,…`), else null. */
export function sparseCapacity(key: string): number[] | null {
  return key.startsWith('sparse:') ? key.slice(7).split(',').map(Number) : null;
}

/**
 * The one place an update plan is chosen: sparse when the mask keeps under `sparseBelow` of θ;
 * otherwise the fused loop when the engine has an arena (the default), else the graph; either one
 * masked when some entry is pruned.
 */
export function chooseUpdatePlan(
  options: EngineOptions,
  segments: readonly Segment[],
  mask: Float32Array,
  arena: UpdateArena | null,
  /** Capacities of compiled sparse programs that may be reused (padded) instead of compiling anew. */
  reusable: readonly number[][] = [],
  /** The plan in use, whose arrays a new sparse plan may take over. */
  previous?: UpdatePlan,
): UpdatePlan {
  const keptCounts = segments.map((s) => keptIn(mask, s.offset, s.offset + s.size));
  const keptCount = keptCounts.reduce((a, b) => a + b, 0);
  if (keptCount < (options.sparseBelow ?? 0.5) * mask.length) {
    const buffers = previous instanceof SparseUpdate ? previous.buffers : undefined;
    const kept = keptIndices(mask, keptCount, buffers?.kept?.buffer);
    // the smallest reusable program that holds every segment's kept entries
    const fits = reusable
      .filter((cap) => cap.length === keptCounts.length && cap.every((c, k) => c >= keptCounts[k]))
      .sort((a, b) => a.reduce((x, y) => x + y, 0) - b.reduce((x, y) => x + y, 0));
    return new SparseUpdate(keptCounts, kept, fits[0], buffers);
  }
  const masked = keptCount !== mask.length;
  return arena ? new FusedUpdate(arena, masked, mask) : new GraphUpdate(masked, mask);
}

/** Kept entries of mask[from, to) (the mask holds 1.0 or +0). */
function keptIn(mask: Float32Array, from: number, to: number): number {
  let n = 0;
  for (let i = from; i < to; i++) n += mask[i];
  return n;
}

/**
 * The kept flat indices, ascending. Branch-free: every index is written and the write position
 * moves on by the mask entry's 0 or 1 (a branch on a random mask is mispredicted half the time).
 */
function keptIndices(mask: Float32Array, keptCount: number, room?: ArrayBufferLike): Int32Array {
  // one more: the last write may fall after the last kept
  const kept =
    room && room.byteLength >= 4 * (keptCount + 1) ? new Int32Array(room) : new Int32Array(keptCount + 1);
  for (let i = 0, j = 0; i < mask.length; i++) {
    kept[j] = i;
    j += mask[i] | 0;
  }
  return kept.subarray(0, keptCount);
}
