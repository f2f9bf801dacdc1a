/**
 * The sparse training step of a pruned MLP: the compacted network (compact.ts) with each layer's kept
 * weights in CSR, run by the WebAssembly SIMD kernels of sparse-kernels.ts — forward, loss, backward
 * and the optimizer update, whose cost scales with the kept weights and the surviving units. The
 * update is the fused loop's rule (fused-update.ts) over the packed kept parameters: the same
 * operations as the dense engine's, entry by entry. Products and sums run in another order than
 * onnxruntime's GEMM, so results agree with the dense step to float32 rounding, not bit for bit.
 *
 * Parameters and optimizer state are packed from θ's flat layout at install() and written back by
 * writeBack(): only the compacted, kept positions, so everything else is returned bit for bit.
 */
import type { OptimizerSpec } from './optimizers.js';
import { stateNames } from './optimizers.js';
import { assemble, updateKernelText } from './fused-update.js';
import { type Compaction, type MlpLayer, compactMlp, layerInputs } from './compact.js';
import type { ThetaLayout } from './layout.js';
import { type SparseKernels, sparseKernels } from './sparse-kernels.js';

const PAGE = 65536;
type UpdateFn = (...args: number[]) => void;

/** Byte offsets of one layer's arrays in the WebAssembly memory. */
interface LayerRegions {
  rows: number;
  kept: number;
  rowptr: number;
  cols: number;
  /** θ, gradient: kept values then bias, inside the packed vectors (entry offsets). */
  valsAt: number;
  biasAt: number;
}

/** Activation rows for one batch size: act[0] input, act[l+1] layer l's output; dact alike. */
interface Activations {
  batch: number;
  bb: number;
  x: number;
  act: number[];
  dact: number[];
}

export interface SparseMlpOptions {
  optimizer: OptimizerSpec;
  batchSize: number;
  evalBatchSize: number;
}

export class SparseMlp {
  private memory = new WebAssembly.Memory({ initial: 1 });
  private kernels!: SparseKernels;
  private update!: UpdateFn;
  private compaction!: Compaction;
  private regions: LayerRegions[] = [];
  private inputCols = 0;
  /** Entries of the packed parameter vector, padded to the update loop's 4 lanes. */
  private packed = 0;
  private theta = 0;
  private grad = 0;
  private states: number[] = [];
  private train!: Activations;
  private evalSet!: Activations;
  private readonly stateList: string[];

  private constructor(
    readonly layers: MlpLayer[],
    private readonly layout: ThetaLayout,
    private readonly options: SparseMlpOptions,
  ) {
    this.stateList = stateNames(options.optimizer);
  }

  static async create(
    layers: MlpLayer[],
    layout: ThetaLayout,
    options: SparseMlpOptions,
  ): Promise<SparseMlp> {
    const s = new SparseMlp(layers, layout, options);
    s.kernels = await sparseKernels(s.memory);
    const update = await WebAssembly.instantiate(await assemble(updateKernelText(options.optimizer, false)), {
      env: { memory: s.memory },
    });
    s.update = update.exports.update as UpdateFn;
    return s;
  }

  /** The compaction in use (which inputs and units the step computes). */
  get units(): Compaction {
    return this.compaction;
  }

  /** Multiply-adds of one training step (forward, input gradient, weight gradient) at the batch size. */
  get macsPerStep(): number {
    let macs = 0;
    this.regions.forEach((r, l) => (macs += r.kept * (l === 0 ? 2 : 3)));
    return macs * this.options.batchSize;
  }

  /**
   * Packs the state: θ and the optimizer states in θ's flat layout, the masks by parameter. The
   * compaction removes only units whose parameters provably never move (see compact.ts).
   */
  install(
    theta: Float32Array,
    states: ReadonlyMap<string, Float32Array>,
    masks: ReadonlyMap<string, Uint8Array>,
  ): void {
    const view = (flat: Float32Array) =>
      new Map(this.layout.params.map((p) => [p.name, this.layout.view(flat, p.name)]));
    this.compaction = compactMlp(this.layers, masks, {
      weights: view(theta),
      states: this.stateList.map((s) => view(states.get(s)!)),
      weightDecay: this.options.optimizer.weightDecay ?? 0,
    });
    const c = this.compaction;
    // the CSR structure: rows = kept units, columns = kept inputs (compacted indices)
    const csr = this.layers.map((layer, l) => {
      const rows = c.units[l];
      const cols = layerInputs(c, l);
      const mask = masks.get(layer.weight);
      const rowptr = new Int32Array(rows.length + 1);
      const colIdx: number[] = [];
      const full: number[] = [];
      rows.forEach((j, a) => {
        cols.forEach((i, b) => {
          if (!mask || mask[j * layer.inFeatures + i]) {
            colIdx.push(b);
            full.push(j * layer.inFeatures + i);
          }
        });
        rowptr[a + 1] = colIdx.length;
      });
      return { rowptr, cols: Int32Array.from(colIdx), full: Int32Array.from(full) };
    });
    // memory plan: ints, packed vectors, activations (train batch and evaluation chunk)
    let top = 0;
    const alloc = (bytes: number) => {
      const at = top;
      top += Math.ceil(bytes / 16) * 16;
      return at;
    };
    this.inputCols = alloc(c.inputs.length * 4);
    let entries = 0;
    this.regions = csr.map((m, l) => {
      const rows = c.units[l].length;
      const r = {
        rows,
        kept: m.cols.length,
        rowptr: alloc((rows + 1) * 4),
        cols: alloc(m.cols.length * 4),
        valsAt: entries,
        biasAt: entries + m.cols.length,
      };
      entries += m.cols.length + rows;
      return r;
    });
    this.packed = Math.ceil(entries / 4) * 4;
    this.theta = alloc(this.packed * 4);
    this.grad = alloc(this.packed * 4);
    this.states = this.stateList.map(() => alloc(this.packed * 4));
    const activations = (batch: number): Activations => {
      const bb = Math.ceil(batch / 4) * 16;
      const rows = [c.inputs.length, ...c.units.map((u) => u.length)];
      return {
        batch,
        bb,
        x: alloc(batch * this.layers[0].inFeatures * 4),
        act: rows.map((n) => alloc(n * bb)),
        dact: rows.map((n, k) => (k === 0 ? 0 : alloc(n * bb))),
      };
    };
    this.train = activations(this.options.batchSize);
    this.evalSet = activations(this.options.evalBatchSize);
    const need = Math.ceil(top / PAGE) - this.memory.buffer.byteLength / PAGE;
    if (need > 0) this.memory.grow(need);
    new Uint8Array(this.memory.buffer, 0, top).fill(0);
    const i32 = (at: number, data: Int32Array) =>
      new Int32Array(this.memory.buffer, at, data.length).set(data);
    i32(this.inputCols, c.inputs);
    csr.forEach((m, l) => {
      i32(this.regions[l].rowptr, m.rowptr);
      i32(this.regions[l].cols, m.cols);
    });
    this.fullIndex = csr.map((m) => m.full);
    this.copy(theta, this.theta, 'in');
    this.stateList.forEach((s, k) => this.copy(states.get(s)!, this.states[k], 'in'));
  }

  /** Full (per-parameter) index of each kept entry of each layer. */
  private fullIndex: Int32Array[] = [];

  /** Moves the packed vector at `at` from (in) or into (out) a θ-layout array. */
  private copy(flat: Float32Array, at: number, dir: 'in' | 'out'): void {
    const packed = new Float32Array(this.memory.buffer, at, this.packed);
    this.layers.forEach((layer, l) => {
      const r = this.regions[l];
      const w = this.layout.slot(layer.weight).offset;
      const full = this.fullIndex[l];
      if (dir === 'in') for (let k = 0; k < r.kept; k++) packed[r.valsAt + k] = flat[w + full[k]];
      else for (let k = 0; k < r.kept; k++) flat[w + full[k]] = packed[r.valsAt + k];
      if (!layer.bias) return;
      const b = this.layout.slot(layer.bias).offset;
      const units = this.compaction.units[l];
      if (dir === 'in') units.forEach((j, a) => (packed[r.biasAt + a] = flat[b + j]));
      else units.forEach((j, a) => (flat[b + j] = packed[r.biasAt + a]));
    });
  }

  /** Writes the packed θ and optimizer states back into their θ-layout arrays (kept positions only). */
  writeBack(theta: Float32Array, states: ReadonlyMap<string, Float32Array>): void {
    this.copy(theta, this.theta, 'out');
    this.stateList.forEach((s, k) => this.copy(states.get(s)!, this.states[k], 'out'));
  }

  /** Forward pass of the batch staged in `a.x` (`n` examples); the logits are a.act[L]. */
  private forward(a: Activations, x: Float32Array, n: number): void {
    const K = this.kernels;
    const D = this.layers[0].inFeatures;
    new Float32Array(this.memory.buffer, a.x, n * D).set(x.subarray(0, n * D));
    if (n < a.batch) K.zero(a.act[0], this.compaction.inputs.length * a.bb);
    K.gather(this.compaction.inputs.length, this.inputCols, a.x, n, D * 4, a.act[0], a.bb);
    this.regions.forEach((r, l) => {
      const bias = this.theta + r.biasAt * 4;
      K.forward(
        r.rows,
        r.rowptr,
        r.cols,
        this.theta + r.valsAt * 4,
        bias,
        a.act[l],
        a.act[l + 1],
        a.bb,
        l < this.regions.length - 1 ? 1 : 0,
      );
    });
  }

  /**
   * Softmax cross-entropy of the logits (feature-major) for `n` examples: the summed loss and correct
   * count; with `grad`, d(mean loss)/d(logits) into a.dact[L] (0 in the padding lanes).
   */
  private loss(
    a: Activations,
    labels: Int32Array,
    n: number,
    grad: boolean,
  ): { lossSum: number; correct: number } {
    const L = this.regions.length;
    const classes = this.regions[L - 1].rows;
    const stride = a.bb / 4;
    const z = new Float32Array(this.memory.buffer, a.act[L], classes * stride);
    const dz = grad ? new Float32Array(this.memory.buffer, a.dact[L], classes * stride) : undefined;
    dz?.fill(0);
    let lossSum = 0;
    let correct = 0;
    for (let b = 0; b < n; b++) {
      let max = -Infinity;
      let arg = 0;
      for (let c = 0; c < classes; c++) {
        if (z[c * stride + b] > max) {
          max = z[c * stride + b];
          arg = c;
        }
      }
      let sum = 0;
      for (let c = 0; c < classes; c++) sum += Math.exp(z[c * stride + b] - max);
      const label = labels[b];
      lossSum += Math.log(sum) + max - z[label * stride + b];
      if (arg === label) correct++;
      if (dz)
        for (let c = 0; c < classes; c++)
          dz[c * stride + b] = (Math.exp(z[c * stride + b] - max) / sum - (c === label ? 1 : 0)) / n;
    }
    return { lossSum, correct };
  }

  /** One training step on a row-major batch; `scalars` are the optimizer's per-step values. */
  step(x: Float32Array, labels: Int32Array, scalars: readonly number[]): { loss: number; correct: number } {
    const a = this.train;
    const n = a.batch;
    this.forward(a, x, n);
    const { lossSum, correct } = this.loss(a, labels, n, true);
    const K = this.kernels;
    for (let l = this.regions.length - 1; l >= 0; l--) {
      const r = this.regions[l];
      const dhin = l > 0 ? a.dact[l] : 0;
      if (dhin) K.zero(dhin, this.regions[l - 1].rows * a.bb);
      const gw = this.grad + r.valsAt * 4;
      K.backward(
        r.rows,
        r.rowptr,
        r.cols,
        this.theta + r.valsAt * 4,
        gw,
        this.grad + r.biasAt * 4,
        a.dact[l + 1],
        a.act[l],
        dhin,
        a.bb,
      );
      if (dhin) K.reluGrad(this.regions[l - 1].rows * a.bb, dhin, a.act[l]);
    }
    for (const [l, layer] of this.layers.entries())
      if (!layer.bias)
        new Float32Array(
          this.memory.buffer,
          this.grad + this.regions[l].biasAt * 4,
          this.regions[l].rows,
        ).fill(0);
    this.update(this.packed, this.theta, this.grad, ...this.states, ...scalars);
    return { loss: lossSum / n, correct };
  }

  /** Summed loss and correct count over a set, in chunks of the evaluation batch. */
  evaluate(x: Float32Array, labels: Int32Array, count: number): { lossSum: number; correct: number } {
    const a = this.evalSet;
    const D = this.layers[0].inFeatures;
    let lossSum = 0;
    let correct = 0;
    for (let start = 0; start < count; start += a.batch) {
      const n = Math.min(a.batch, count - start);
      this.forward(a, x.subarray(start * D, (start + n) * D), n);
      const r = this.loss(a, labels.subarray(start, start + n), n, false);
      lossSum += r.lossSum;
      correct += r.correct;
    }
    return { lossSum, correct };
  }
}
