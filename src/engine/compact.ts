/**
 * Exact compaction of a pruned MLP (a chain of fully connected layers, ReLU between them). At high
 * sparsity some hidden units have no kept outgoing connection (they cannot change the output) and
 * some inputs have no kept connection at all; removing them, and their incoming weights and biases,
 * leaves the function unchanged when pruned weights are frozen at 0. A unit with no kept incoming
 * connection computes the constant relu(b): for inference it is folded into the next layer's bias.
 *
 * For training, a removed unit's kept incoming weights and bias must never move: their gradient is
 * exactly 0, so they stay put when their optimizer state is 0 and weight decay cannot pull them
 * (decay 0, or the value is 0). A unit that fails this test is kept (the compaction is then smaller,
 * never wrong). Mapping back writes only the compacted positions, so everything else in the full
 * arrays (pruned weights' frozen values, removed units) is returned untouched, bit for bit.
 */
import { buildInferenceGraph } from './step-graph.js';
import type { Model } from '../models/types.js';

/** One fully connected layer of an MLP: weight [out, in] (torch layout), bias [out]. */
export interface MlpLayer {
  weight: string;
  bias?: string;
  inFeatures: number;
  outFeatures: number;
  /** ReLU after this layer (every layer but the last). */
  relu: boolean;
}

/**
 * The layers of `model` when its inference graph is exactly an MLP — [Flatten] (Gemm transB=1 [+
 * bias], Relu)* Gemm — reading parameters only; otherwise null (conv nets, dropout, BatchNorm, …).
 */
export function mlpLayers(model: Model): MlpLayer[] | null {
  const { graph, build, logits } = buildInferenceGraph(model, 1);
  const params = new Map(build.params.map((p) => [p.tensor.name, p.decl]));
  if (build.buffers.length || build.dropouts.length) return null;
  const nodes = graph.nodes.filter((n) => !n.gradientOnly && n.op !== 'GradientRule');
  const layers: MlpLayer[] = [];
  let current = graph.inputs.find((t) => t.name === 'x')?.name;
  for (const n of nodes) {
    if (n.op === 'Flatten' && layers.length === 0 && n.inputs[0] === current) {
      current = n.outputs[0];
    } else if (n.op === 'Gemm' && n.inputs[0] === current) {
      const w = params.get(n.inputs[1]);
      const b = n.inputs[2] ? params.get(n.inputs[2]) : undefined;
      const flag = (name: string) => {
        const a = n.attrs[name];
        return a && 'i' in a ? a.i : undefined;
      };
      if (!w || w.shape.length !== 2 || flag('transB') !== 1 || (flag('transA') ?? 0) !== 0) return null;
      if ((n.inputs[2] && !b) || n.attrs.alpha || n.attrs.beta) return null;
      layers.push({
        weight: w.name,
        bias: b?.name,
        outFeatures: w.shape[0],
        inFeatures: w.shape[1],
        relu: false,
      });
      current = n.outputs[0];
    } else if (n.op === 'Relu' && n.inputs[0] === current && layers.length && !layers.at(-1)!.relu) {
      layers.at(-1)!.relu = true;
      current = n.outputs[0];
    } else return null;
  }
  const out = graph.aliases.get(current ?? '') ?? current;
  if (!layers.length || layers.at(-1)!.relu || out !== logits.name) return null;
  if (layers.slice(0, -1).some((l) => !l.relu)) return null;
  return layers;
}

/** Which units of each layer a compacted network keeps (indices into the full layer). */
export interface Compaction {
  layers: MlpLayer[];
  /** Kept input features of layer 0 (indices into the input vector). */
  inputs: Int32Array;
  /** Per layer, its kept output units; layer l's inputs are layer l-1's units. The last keeps all. */
  units: Int32Array[];
}

/** What decides whether a kept weight of a removed unit may be dropped from training. */
export interface CompactionState {
  /** Full-size parameters by name. */
  weights: ReadonlyMap<string, Float32Array>;
  /** Full-size optimizer states (θ's parameters by name, per state), if any are non-zero. */
  states?: readonly ReadonlyMap<string, Float32Array>[];
  weightDecay: number;
}

/**
 * The compaction of an MLP under `masks` (1 = keep; a parameter without a mask is all kept). Without
 * `state` (inference) every unit without a kept path to the output is removed; with it (training)
 * only those whose kept incoming weights and bias provably never move.
 */
export function compactMlp(
  layers: MlpLayer[],
  masks: ReadonlyMap<string, Uint8Array>,
  state?: CompactionState,
): Compaction {
  const L = layers.length;
  const units: Int32Array[] = new Array(L);
  // useful[l][j]: unit j of layer l has a kept path to the output
  let useful = new Uint8Array(layers[L - 1].outFeatures).fill(1);
  units[L - 1] = Int32Array.from(useful.keys());
  let inputs = new Int32Array(0);
  for (let l = L - 1; l >= 0; l--) {
    const { inFeatures: n, outFeatures: m, weight } = layers[l];
    const mask = masks.get(weight);
    const next = new Uint8Array(n);
    for (let j = 0; j < m; j++) {
      if (!useful[j]) continue;
      if (!mask) next.fill(1);
      else for (let i = 0; i < n; i++) if (mask[j * n + i]) next[i] = 1;
    }
    if (l > 0 && state)
      for (let i = 0; i < n; i++) if (!next[i] && !stays(layers[l - 1], i, masks, state)) next[i] = 1;
    if (l === 0) inputs = Int32Array.from(indicesOf(next));
    else units[l - 1] = Int32Array.from(indicesOf(next));
    useful = next;
  }
  return { layers, inputs, units };
}

function* indicesOf(flags: Uint8Array): Generator<number> {
  for (let i = 0; i < flags.length; i++) if (flags[i]) yield i;
}

/** Whether unit `j` of `layer` (gradient 0: no kept path to the output) stays where it is in training. */
function stays(
  layer: MlpLayer,
  j: number,
  masks: ReadonlyMap<string, Uint8Array>,
  s: CompactionState,
): boolean {
  const n = layer.inFeatures;
  const mask = masks.get(layer.weight);
  const entries: [string, number][] = [];
  for (let i = 0; i < n; i++) if (!mask || mask[j * n + i]) entries.push([layer.weight, j * n + i]);
  if (layer.bias) entries.push([layer.bias, j]);
  for (const [name, k] of entries) {
    if (s.weightDecay !== 0 && s.weights.get(name)![k] !== 0) return false;
    for (const st of s.states ?? []) if (st.get(name)![k] !== 0) return false;
  }
  return true;
}

/** Input features of layer l in the compaction (indices into the full layer's inputs). */
export function layerInputs(c: Compaction, l: number): Int32Array {
  return l === 0 ? c.inputs : c.units[l - 1];
}

/** A compacted weight [units, inputs] (row-major) from the full weight [out, in]. */
export function compactWeight(c: Compaction, l: number, full: Float32Array): Float32Array {
  const rows = c.units[l];
  const cols = layerInputs(c, l);
  const n = c.layers[l].inFeatures;
  const out = new Float32Array(rows.length * cols.length);
  for (let a = 0; a < rows.length; a++)
    for (let b = 0; b < cols.length; b++) out[a * cols.length + b] = full[rows[a] * n + cols[b]];
  return out;
}

/** Writes a compacted weight back into the full weight at its positions (nothing else is touched). */
export function expandWeight(c: Compaction, l: number, compact: Float32Array, full: Float32Array): void {
  const rows = c.units[l];
  const cols = layerInputs(c, l);
  const n = c.layers[l].inFeatures;
  for (let a = 0; a < rows.length; a++)
    for (let b = 0; b < cols.length; b++) full[rows[a] * n + cols[b]] = compact[a * cols.length + b];
}

export function compactBias(c: Compaction, l: number, full: Float32Array): Float32Array {
  return Float32Array.from(c.units[l], (j) => full[j]);
}

export function expandBias(c: Compaction, l: number, compact: Float32Array, full: Float32Array): void {
  c.units[l].forEach((j, a) => (full[j] = compact[a]));
}

/** The compacted mask of layer l (1 where a kept position of the full mask is kept). */
export function compactMask(c: Compaction, l: number, full: Uint8Array | undefined): Uint8Array {
  const rows = c.units[l];
  const cols = layerInputs(c, l);
  if (!full) return new Uint8Array(rows.length * cols.length).fill(1);
  const f = Float32Array.from(full);
  return Uint8Array.from(compactWeight(c, l, f));
}

/**
 * The inference network of a compaction with units without kept incoming connections folded away:
 * each such hidden unit is the constant relu(b), added (times its kept outgoing weights) to the next
 * layer's bias. Returns per layer the compacted weight, bias and kept rows/columns (full indices).
 */
export function foldedInference(
  c: Compaction,
  weights: ReadonlyMap<string, Float32Array>,
  masks: ReadonlyMap<string, Uint8Array>,
): { inputs: Int32Array; layers: { weight: Float32Array; bias: Float32Array; rows: Int32Array }[] } {
  const L = c.layers.length;
  const W = c.layers.map((_, l) => compactWeight(c, l, weights.get(c.layers[l].weight)!));
  const M = c.layers.map((layer, l) => compactMask(c, l, masks.get(layer.weight)));
  const B = c.layers.map((layer, l) =>
    layer.bias ? compactBias(c, l, weights.get(layer.bias)!) : new Float32Array(c.units[l].length),
  );
  // kept[l]: positions (into c.units[l]) that stay after folding
  const kept = c.units.map((u) => Array.from(u.keys()));
  for (let l = 0; l < L - 1; l++) {
    const cols = layerInputs(c, l).length;
    const nextCols = c.units[l].length;
    const constant = kept[l].filter((a) => {
      for (let b = 0; b < cols; b++) if (M[l][a * cols + b]) return false;
      return true;
    });
    if (!constant.length) continue;
    const nextRows = c.units[l + 1].length;
    for (const a of constant) {
      const value = Math.max(0, B[l][a]);
      for (let r = 0; r < nextRows; r++) B[l + 1][r] += W[l + 1][r * nextCols + a] * value;
    }
    const drop = new Set(constant);
    kept[l] = kept[l].filter((a) => !drop.has(a));
  }
  const inputs = c.inputs;
  const layers = c.layers.map((_, l) => {
    const rowsKept = kept[l];
    const colsKept = l === 0 ? Array.from(inputs.keys()) : kept[l - 1];
    const cols = layerInputs(c, l).length;
    const weight = new Float32Array(rowsKept.length * colsKept.length);
    rowsKept.forEach((a, r) =>
      colsKept.forEach((b, k) => (weight[r * colsKept.length + k] = W[l][a * cols + b])),
    );
    return {
      weight,
      bias: Float32Array.from(rowsKept, (a) => B[l][a]),
      rows: Int32Array.from(rowsKept, (a) => c.units[l][a]),
    };
  });
  return { inputs, layers };
}
