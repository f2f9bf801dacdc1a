/**
 * The engine's state between steps and in checkpoints. The step graph reads θ, the optimizer state and
 * the buffers from one set of arrays and writes their successors into a second set; the two swap roles
 * after every step, so a step copies nothing. Feeds and fetches for both directions are prepared once
 * per program, so the step loop allocates nothing. Arrays a plan updates in place (θ under the fused
 * and sparse updates, the fused loop's optimizer state) are one array shared by both sets.
 */
import type ort from 'onnxruntime-node';
import { ortTensor } from './session.js';
import { THETA, type StepProgram, nextName } from './step-graph.js';
import type { RunArgs, UpdatePlan } from './update-plans.js';

/** Everything needed to continue training bit-identically (optimizer state always dense). */
export interface EngineState {
  step: number;
  tensors: Map<string, Float32Array>;
}

/** The checkpoint entry holding the flat mask over θ (1 = keep). */
export const MASK_TENSOR = 'mask';

const OPTIMIZER_STATES = new Set(['adam_m', 'adam_v', 'momentum_buffer']);
export function isOptimizerState(name: string): boolean {
  return OPTIMIZER_STATES.has(name);
}

/** The step's own input and output arrays, fed to every program. */
export interface StepIO {
  x: Float32Array;
  labels: Int32Array;
  /** One array of length 1 per per-step optimizer scalar. */
  scalars: Float32Array[];
  /** Dropout keep-masks and uniform noise by graph input (`dropout_mask:<layer>`, `noise:<name>`). */
  dropouts: ReadonlyMap<string, Float32Array>;
  loss: Float32Array;
  correct: Float32Array;
}

export class StepArrays {
  /** θ, optimizer states and buffers as the next step reads them (optimizer state in the plan's layout). */
  current = new Map<string, Float32Array>();
  private spare = new Map<string, Float32Array>();
  /** runArgs[parity] reads `current` and writes `spare`. */
  private runArgs: [RunArgs, RunArgs] = [
    { feeds: {}, fetches: {} },
    { feeds: {}, fetches: {} },
  ];
  /** The feeds and fetches of the carried arrays and the step's own io, per direction (no plan's own). */
  private base: [RunArgs, RunArgs] = this.runArgs;
  private parity = 0;
  /** The program the arrays were allocated for. */
  private program: StepProgram | undefined;
  /** Times the arrays were allocated (a new program or plan-owned arrays); counted by tests. */
  allocations = 0;
  /** Optimizer states expanded for a caller that copies them at once (see dense). */
  private readonly scratch = new Map<string, Float32Array>();

  /**
   * Fills the arrays `program` carries from `dense` (every carried array in θ's layout) and prepares
   * the feeds and fetches of both directions. The arrays and their tensors are allocated once per
   * program: installing the same program again (a mask change that keeps the compiled step) only
   * copies what differs and rebinds the plan's own inputs.
   */
  install(
    program: StepProgram,
    plan: UpdatePlan,
    dense: ReadonlyMap<string, Float32Array>,
    io: StepIO,
  ): void {
    if (!this.holds(program, plan)) this.allocate(program, plan, io);
    for (const c of program.carried) {
      const dst = this.current.get(c.name)!;
      const src = dense.get(c.name)!;
      if (isOptimizerState(c.name)) plan.packState(src, dst);
      else if (src !== dst) dst.set(src);
    }
    // optimizer state the plan updates in place, outside the graph
    for (const [name, data] of plan.ownedStates()) {
      const src = dense.get(name)!;
      if (src !== data) data.set(src);
    }
    const own: RunArgs = { feeds: {}, fetches: {} };
    plan.bind(program, this.current.get(THETA)!, own);
    this.runArgs = this.base.map((b) => ({
      feeds: { ...b.feeds, ...own.feeds },
      fetches: { ...b.fetches, ...own.fetches },
    })) as [RunArgs, RunArgs];
  }

  /** Whether the arrays were allocated for `program`, with the arrays `plan` owns. */
  private holds(program: StepProgram, plan: UpdatePlan): boolean {
    if (program !== this.program) return false;
    for (const c of program.carried) {
      const owned = c.inPlace ? plan.ownedArray(c.name) : undefined;
      if (owned && owned !== this.current.get(c.name)) return false;
    }
    for (const [name, data] of plan.ownedStates()) if (this.current.get(name) !== data) return false;
    return true;
  }

  /** Allocates the arrays `program` carries and the ort tensors over them and over `io`. */
  private allocate(program: StepProgram, plan: UpdatePlan, io: StepIO): void {
    this.allocations++;
    this.program = program;
    const sig = program.signatures;
    this.current = new Map();
    this.spare = new Map();
    // ort tensors over views of both array sets: as inputs (by input name) and as the outputs that
    // replace them (by output name, with the output's shape)
    const inputs = [new Map<string, ort.Tensor>(), new Map<string, ort.Tensor>()];
    const outputs = [new Map<string, ort.Tensor>(), new Map<string, ort.Tensor>()];
    for (const c of program.carried) {
      const shared = c.inPlace ? (plan.ownedArray(c.name) ?? new Float32Array(c.length)) : undefined;
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
    }
    for (const [name, data] of plan.ownedStates()) {
      this.current.set(name, data);
      this.spare.set(name, data);
    }
    const feeds: Record<string, ort.Tensor> = {
      x: ortTensor(sig.get('x')!, io.x),
      labels: ortTensor(sig.get('labels')!, io.labels),
    };
    program.scalarNames.forEach((name, i) => (feeds[name] = ortTensor(sig.get(name)!, io.scalars[i])));
    for (const [name, data] of io.dropouts) feeds[name] = ortTensor(sig.get(name)!, data);
    const fetches: Record<string, ort.Tensor> = {
      loss: ortTensor(sig.get('loss')!, io.loss),
      correct: ortTensor(sig.get('correct')!, io.correct),
    };
    this.base = [0, 1].map((set) => ({
      feeds: { ...feeds, ...Object.fromEntries(inputs[set]) },
      fetches: { ...fetches, ...Object.fromEntries(outputs[1 - set]) },
    })) as [RunArgs, RunArgs];
    this.parity = 0;
  }

  /** The feeds and fetches of the next step. */
  get args(): RunArgs {
    return this.runArgs[this.parity];
  }

  /** After a step: its outputs become the current arrays. */
  swap(): void {
    [this.current, this.spare] = [this.spare, this.current];
    this.parity ^= 1;
  }

  /**
   * The current state with optimizer state expanded to θ's layout (arrays shared, not copied). With
   * `scratch`, expanded states go into arrays kept here for the purpose (for a caller that copies
   * them at once, as a mask change does), not into new ones.
   */
  dense(plan: UpdatePlan, parameterCount: number, scratch = false): Map<string, Float32Array> {
    const out = new Map<string, Float32Array>();
    for (const [name, data] of this.current) {
      if (!isOptimizerState(name)) {
        out.set(name, data);
        continue;
      }
      let into = this.scratch.get(name);
      if (scratch && into?.length !== parameterCount)
        this.scratch.set(name, (into = new Float32Array(parameterCount)));
      out.set(name, plan.unpackState(data, parameterCount, scratch ? into : undefined));
    }
    return out;
  }
}

/** A checkpoint: copies of the dense state, the mask and the step count. */
export function captureState(
  dense: ReadonlyMap<string, Float32Array>,
  mask: Float32Array,
  step: number,
): EngineState {
  const tensors = new Map<string, Float32Array>();
  for (const [name, data] of dense) tensors.set(name, data.slice());
  tensors.set(MASK_TENSOR, mask.slice());
  return { step, tensors };
}

/** The checkpoint's flat mask, checked against θ's size. */
export function checkpointMask(state: EngineState, parameterCount: number): Float32Array {
  const mask = state.tensors.get(MASK_TENSOR);
  if (!mask || mask.length !== parameterCount) throw new Error('checkpoint has no mask of the right size');
  return mask;
}

/** Copies of the checkpoint's arrays, one for each array of `dense` (same names and sizes). */
export function restoreDense(
  dense: ReadonlyMap<string, Float32Array>,
  state: EngineState,
): Map<string, Float32Array> {
  const out = new Map<string, Float32Array>();
  for (const [name, data] of dense) {
    const src = state.tensors.get(name);
    if (!src || src.length !== data.length)
      throw new Error(`checkpoint is missing or has a wrong-sized ${name}`);
    out.set(name, Float32Array.from(src));
  }
  return out;
}
