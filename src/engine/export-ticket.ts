/**
 * An exported ticket that shrinks with its mask. Candidates, the smallest wins:
 * - the dense export (export.ts);
 * - the same network with each pruned weight tensor as an ONNX sparse initializer (the non-zero
 *   values and their linearized indices in the narrowest integer type that holds them; stock
 *   onnxruntime expands it to the same dense tensor at load, so outputs are identical);
 * - for an MLP, the compacted network (compact.ts: dead units and inputs removed, constant units
 *   folded into the next bias; an input Gather picks the surviving features), dense or with sparse
 *   initializers. Its sums have fewer (zero) terms, so outputs agree to float32 rounding.
 */
import onnxProto from 'onnx-proto';
import ort from 'onnxruntime-node';
import { type Tensor, attr } from '../graph/graph.js';
import * as op from '../graph/ops.js';
import type { Model } from '../models/types.js';
import { compactMlp, foldedInference, mlpLayers } from './compact.js';
import { type ExportMetadata, exportWeights } from './export.js';

const { onnx } = onnxProto;

export type TicketFormat = 'dense' | 'sparse-initializers' | 'compacted' | 'compacted+sparse-initializers';

export interface TicketExport {
  bytes: Uint8Array;
  format: TicketFormat;
  /** Size of the plain dense export, for comparison. */
  denseBytes: number;
  /** Every candidate's size. */
  sizes: Partial<Record<TicketFormat, number>>;
}

/** The smallest of the candidate encodings of a ticket (see the module comment). */
export function exportTicket(
  model: Model,
  weights: ReadonlyMap<string, Float32Array>,
  buffers: ReadonlyMap<string, Float32Array>,
  masks: ReadonlyMap<string, Uint8Array>,
  metadata: ExportMetadata = {},
): TicketExport {
  const dense = exportWeights(model, weights, buffers, metadata);
  const masked = new Set(masks.keys());
  const candidates: [TicketFormat, Uint8Array][] = [
    ['dense', dense],
    ['sparse-initializers', sparsify(dense, masked)],
  ];
  const compacted = compactedModel(model, weights, masks);
  if (compacted) {
    const bytes = exportWeights(compacted.model, compacted.weights, buffers, {
      ...metadata,
      compacted: true,
    });
    candidates.push(['compacted', bytes], ['compacted+sparse-initializers', sparsify(bytes, masked)]);
  }
  const sizes = Object.fromEntries(candidates.map(([f, b]) => [f, b.length]));
  const [format, bytes] = candidates.reduce((a, b) => (b[1].length < a[1].length ? b : a));
  return { bytes, format, denseBytes: dense.length, sizes };
}

/** What `ticketlab export` would write for this ticket: its size and format beside the dense export's. */
export function exportSizes(
  model: Model,
  weights: ReadonlyMap<string, Float32Array>,
  buffers: ReadonlyMap<string, Float32Array>,
  masks: ReadonlyMap<string, Uint8Array>,
): { exportBytes: number; denseExportBytes: number; exportFormat: TicketFormat } {
  const t = exportTicket(model, weights, buffers, masks);
  return { exportBytes: t.bytes.length, denseExportBytes: t.denseBytes, exportFormat: t.format };
}

/** Smallest signed integer ONNX type for indices up to `max`: [elem type, array constructor]. */
function indexType(
  max: number,
): [number, Int8ArrayConstructor | Int16ArrayConstructor | Int32ArrayConstructor] {
  if (max < 1 << 7) return [3, Int8Array];
  if (max < 1 << 15) return [5, Int16Array];
  return [6, Int32Array];
}

/** Moves the named float initializers to sparse initializers where that is smaller. */
export function sparsify(model: Uint8Array, names: ReadonlySet<string>): Uint8Array {
  const m = onnx.ModelProto.decode(model);
  const graph = m.graph!;
  const keep: onnxProto.onnx.ITensorProto[] = [];
  const sparse: onnxProto.onnx.ISparseTensorProto[] = [];
  for (const init of graph.initializer ?? []) {
    const raw = init.rawData;
    if (!names.has(init.name ?? '') || init.dataType !== 1 || !raw) {
      keep.push(init);
      continue;
    }
    // a copy: the decoded bytes may be a Node Buffer view into a larger pool (its slice() copies nothing)
    const bytes = new Uint8Array(raw.byteLength);
    bytes.set(raw);
    const data = new Float32Array(bytes.buffer);
    const at: number[] = [];
    for (let i = 0; i < data.length; i++) if (data[i] !== 0) at.push(i);
    const [type, Index] = indexType(data.length - 1);
    if (at.length * (4 + Index.BYTES_PER_ELEMENT) >= raw.byteLength) {
      keep.push(init);
      continue;
    }
    const values = Float32Array.from(at, (i) => data[i]);
    const indices = Index.from(at);
    sparse.push(
      onnx.SparseTensorProto.create({
        dims: init.dims,
        values: { name: init.name, dataType: 1, dims: [at.length], rawData: new Uint8Array(values.buffer) },
        indices: { dataType: type, dims: [at.length], rawData: new Uint8Array(indices.buffer) },
      }),
    );
  }
  graph.initializer = keep;
  graph.sparseInitializer = sparse;
  return onnx.ModelProto.encode(m).finish();
}

/** The folded, compacted inference network of an MLP ticket, or null (not an MLP, or nothing left). */
function compactedModel(
  model: Model,
  weights: ReadonlyMap<string, Float32Array>,
  masks: ReadonlyMap<string, Uint8Array>,
): { model: Model; weights: Map<string, Float32Array> } | null {
  const layers = mlpLayers(model);
  if (!layers) return null;
  const folded = foldedInference(compactMlp(layers, masks), weights, masks);
  if (!folded.inputs.length || folded.layers.some((l) => !l.rows.length)) return null;
  const compact: Model = {
    name: `${model.name}_compacted`,
    inputShape: model.inputShape,
    classes: model.classes,
    forward(ctx, x) {
      let h: Tensor = x.rank > 2 ? op.flatten(x) : x;
      if (folded.inputs.length < h.shape[1]) {
        const index = h.graph.constant(
          BigInt64Array.from(folded.inputs, BigInt),
          [folded.inputs.length],
          'int64',
        );
        const shape = [h.shape[0], folded.inputs.length];
        h = h.graph.addNode('Gather', [h, index], [{ name: 'inputs', shape, dtype: h.dtype }], {
          axis: attr.i(1),
        })[0];
      }
      folded.layers.forEach((f, l) => {
        const decl = (role: 'weight' | 'bias', shape: number[]) =>
          ctx.param({
            name: role === 'weight' ? layers[l].weight : (layers[l].bias ?? `${layers[l].weight}:bias`),
            shape,
            init: { kind: 'constant', value: 0 },
            role,
            fanIn: shape.at(-1)!,
            fanOut: shape[0],
          });
        const w = decl('weight', [f.rows.length, h.shape[1]]);
        const b = decl('bias', [f.rows.length]);
        h = op.linear(h, w, b);
        if (layers[l].relu) h = op.relu(h);
      });
      return h;
    },
  };
  // the baked values, under the names the forward pass declares
  const weightsOut = new Map<string, Float32Array>();
  folded.layers.forEach((f, l) => {
    weightsOut.set(layers[l].weight, f.weight);
    weightsOut.set(layers[l].bias ?? `${layers[l].weight}:bias`, f.bias);
  });
  return { model: compact, weights: weightsOut };
}

/** Median milliseconds of one inference of a batch of `batch` random inputs (after warm-up runs). */
export async function inferenceLatency(
  model: Uint8Array,
  inputShape: readonly number[],
  batch: number,
  runs = 50,
): Promise<number> {
  const session = await ort.InferenceSession.create(model, { intraOpNumThreads: 1, interOpNumThreads: 1 });
  const size = inputShape.reduce((a, b) => a * b, 1);
  const x = new ort.Tensor(
    'float32',
    Float32Array.from({ length: batch * size }, (_, i) => Math.sin(i)),
    [batch, ...inputShape],
  );
  const times: number[] = [];
  for (let r = 0; r < runs + 5; r++) {
    const t = performance.now();
    await session.run({ input: x });
    if (r >= 5) times.push(performance.now() - t);
  }
  await session.release();
  times.sort((a, b) => a - b);
  return times[times.length >> 1];
}
