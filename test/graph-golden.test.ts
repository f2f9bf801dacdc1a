/**
 * Golden ONNX bytes: the sha256 of the serialized ModelProto of graphs built with the graph DSL,
 * recorded before ops.ts was split into op families, so a refactor of src/graph that changes any
 * node, attribute, name or initializer fails here.
 *
 * The networks are the paper's lenet300, lenet5 and conv2, written out with the DSL's ops exactly as
 * the model zoo and the engine build them (same parameter names and order, same flat-θ segments,
 * same unused-but-named nodes), without importing either: this test pins the graph layer only, so
 * changes in models/ or engine/ do not move it. Per network: the fused training step (forward,
 * backward, gradients as outputs), the evaluation graph, the prediction graph and the export graph.
 * Small extra graphs cover every op family and every branch of the gradient rules (strided, dilated
 * and float64-lowered convolutions, the three conv weight-gradient kernels, both max-pool routings
 * and the ReLU-after-max-pool shortcut, both average-pool lowerings, batch norm, losses, indexing).
 *
 * Set TICKETLAB_GOLDEN_PRINT=1 to print the table of hashes (to record new ones deliberately).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { gradients } from '../src/graph/autodiff.js';
import { Graph, type Initializer, type Tensor, sizeOf } from '../src/graph/graph.js';
import { emitModel } from '../src/graph/onnx.js';
import * as op from '../src/graph/ops.js';

// ---------------------------------------------------------------------------------------------------
// the paper's networks, as src/models/zoo.ts and layers.ts build them

/** Supplies parameters (as the engine's BuildContext does): separate graph inputs, or views of θ. */
type ParamSource = (name: string, shape: number[]) => Tensor;

interface Net {
  name: string;
  inputShape: number[];
  forward(param: ParamSource, x: Tensor): Tensor;
}

function dense(param: ParamSource, name: string, x: Tensor, units: number): Tensor {
  const w = param(`${name}.weight`, [units, x.shape[1]]);
  const b = param(`${name}.bias`, [units]);
  return op.linear(x, w, b);
}

function conv(
  param: ParamSource,
  name: string,
  x: Tensor,
  filters: number,
  kernel: number,
  padding: op.Padding = 0,
): Tensor {
  const w = param(`${name}.weight`, [filters, x.shape[1], kernel, kernel]);
  const b = param(`${name}.bias`, [filters]);
  return op.conv2d(x, w, b, { stride: undefined, padding });
}

const NETS: Net[] = [
  {
    name: 'lenet300',
    inputShape: [784],
    forward(param, x) {
      let h = x.rank > 2 ? op.flatten(x) : x;
      h = op.relu(dense(param, 'fc1', h, 300));
      h = op.relu(dense(param, 'fc2', h, 100));
      return dense(param, 'fc3', h, 10);
    },
  },
  {
    name: 'lenet5',
    inputShape: [1, 28, 28],
    forward(param, x) {
      let h = op.maxPool2d(op.relu(conv(param, 'conv1', x, 20, 5)), { kernel: 2 });
      h = op.maxPool2d(op.relu(conv(param, 'conv2', h, 50, 5)), { kernel: 2 });
      h = op.relu(dense(param, 'fc1', op.flatten(h), 500));
      return dense(param, 'fc2', h, 10);
    },
  },
  {
    name: 'conv2',
    inputShape: [3, 32, 32],
    forward(param, x) {
      let h = x;
      for (let k = 1; k <= 2; k++) h = op.relu(conv(param, `conv${k}`, h, 64, 3, 'same'));
      h = op.flatten(op.maxPool2d(h, { kernel: 2 }));
      h = op.relu(dense(param, 'fc1', h, 256));
      h = op.relu(dense(param, 'fc2', h, 256));
      return dense(param, 'fc3', h, 10);
    },
  },
];

const BATCH = 60;
const EVAL_BATCH = 1000;
/** The engine's default segmentFrom: parameters this large are θ inputs of their own. */
const SEGMENT_FROM = 1 << 16;

interface Segment {
  offset: number;
  size: number;
  params: string[];
}

/** The fused training step (engine.ts compileStep, update 'fused', no mask): loss, correct, gradients. */
function trainingStep(net: Net): Uint8Array {
  const decls: { name: string; shape: number[]; offset: number }[] = [];
  let total = 0;
  const discovery = new Graph('discovery');
  net.forward(
    (name, shape) => {
      decls.push({ name, shape, offset: total });
      total += sizeOf(shape);
      return discovery.input(name, shape);
    },
    discovery.input('x', [BATCH, ...net.inputShape]),
  );
  const segments: Segment[] = [];
  let open: Segment | undefined;
  for (const d of decls) {
    const n = sizeOf(d.shape);
    if (n >= SEGMENT_FROM) {
      segments.push({ offset: d.offset, size: n, params: [d.name] });
      open = undefined;
    } else {
      if (!open) segments.push((open = { offset: d.offset, size: 0, params: [] }));
      open.size += n;
      open.params.push(d.name);
    }
  }
  const graph = new Graph(`${net.name}_train_step`);
  const thetas = segments.map((s, k) => graph.input(`theta:${k}`, [s.size]));
  const params: { name: string; tensor: Tensor }[] = [];
  const x = graph.input('x', [BATCH, ...net.inputShape]);
  const labels = graph.input('labels', [BATCH], 'int32');
  const logits = net.forward((name, shape) => {
    const decl = decls.find((d) => d.name === name)!;
    const k = segments.findIndex((s) => s.params.includes(name));
    const size = sizeOf(shape);
    const start = decl.offset - segments[k].offset;
    const part = segments[k].size === size ? thetas[k] : op.slice(thetas[k], [start], [start + size], [0]);
    const tensor = op.reshape(part, shape);
    params.push({ name, tensor });
    return tensor;
  }, x);
  const { loss, correct } = op.softmaxCrossEntropy(logits, labels);
  const grads = gradients(
    loss,
    params.map((p) => p.tensor),
  );
  // built by the engine for the in-graph update and left unused by the fused one; their names
  // still take up the graph's name counter, so they are part of the emitted bytes
  const flatGrads = new Map(params.map((p, i) => [p.name, op.reshape(grads[i], [grads[i].size])]));
  for (const s of segments) {
    const parts = s.params.map((name) => flatGrads.get(name)!);
    if (parts.length > 1) op.concat(parts, 0);
  }
  const outputs = [graph.output(loss, 'loss'), graph.output(correct, 'correct')];
  params.forEach((p, i) => outputs.push(graph.output(grads[i], `grad:${p.name}`)));
  return emitModel(graph, { outputs, inputs: graph.inputs });
}

/** engine.ts buildInferenceGraph: x first, then each parameter as a graph input of its own. */
function inferenceGraph(net: Net, batch: number) {
  const graph = new Graph(`${net.name}_inference`);
  const params: { name: string; shape: number[] }[] = [];
  const x = graph.input('x', [batch, ...net.inputShape]);
  const forward = net.forward((name, shape) => {
    params.push({ name, shape });
    return graph.input(name, shape, 'float32');
  }, x);
  return { graph, params, x, logits: graph.output(forward, 'logits') };
}

function evaluationGraph(net: Net): Uint8Array {
  const { graph, logits } = inferenceGraph(net, EVAL_BATCH);
  const labels = graph.input('labels', [EVAL_BATCH], 'int32');
  const { loss, correct } = op.softmaxCrossEntropy(logits, labels);
  const outputs = [graph.output(op.scale(loss, EVAL_BATCH), 'loss_sum'), graph.output(correct, 'correct')];
  return emitModel(graph, { outputs, inputs: graph.inputs });
}

function predictionGraph(net: Net): Uint8Array {
  const { graph, logits } = inferenceGraph(net, 100);
  return emitModel(graph, { outputs: [logits], inputs: graph.inputs });
}

/** engine/export.ts exportWeights, with weights 0.001·(index mod 1000) baked in. */
function exportGraph(net: Net): Uint8Array {
  const { graph, params, x, logits } = inferenceGraph(net, 1);
  const bake = new Map<string, Initializer>();
  for (const { name, shape } of params) {
    const data = new Float32Array(sizeOf(shape)).map((_, i) => 0.001 * (i % 1000));
    bake.set(name, { name, dtype: 'float32', shape, data });
  }
  return emitModel(graph, {
    inputs: [x],
    outputs: [logits],
    bake,
    batchDim: 'batch',
    docString: JSON.stringify({ producer: 'ticketlab', model: net.name }),
    rename: { [x.name]: 'input' },
  });
}

// ---------------------------------------------------------------------------------------------------
// every op family and gradient-rule branch, in small graphs

/** A graph whose scalar loss is differentiated with respect to all its float inputs. */
function differentiated(name: string, build: (g: Graph) => { loss: Tensor; extra?: Tensor[] }): Uint8Array {
  const graph = new Graph(name);
  const { loss, extra = [] } = build(graph);
  const wrt = graph.inputs.filter((t) => t.dtype === 'float32' || t.dtype === 'float64');
  const grads = gradients(loss, wrt);
  const outputs = [graph.output(loss, 'loss'), ...extra.map((t, i) => graph.output(t, `extra${i}`))];
  wrt.forEach((t, i) => outputs.push(graph.output(grads[i], `grad:${t.name}`)));
  return emitModel(graph, { outputs, inputs: graph.inputs });
}

const total = (ts: Tensor[]) => op.sum(ts.map((t) => op.reshape(op.reduceSum(t), [])));

const COVERAGE: [string, () => Uint8Array][] = [
  [
    'elementwise',
    () =>
      differentiated('elementwise', (g) => {
        const x = g.input('x', [3, 4]);
        const y = g.input('y', [1, 4]);
        const z = g.input('z', [3, 1]);
        const positive = op.add(op.square(x), g.scalar(1));
        const picked = op.where(op.greater(x, y), x, y);
        const same = op.where(op.equal(x, x), op.neg(x), z);
        const round = op.cast(op.cast(op.tanh(x), 'float64'), 'float32');
        return {
          loss: total([
            op.add(x, y),
            op.sub(x, z),
            op.mul(x, y),
            op.div(x, op.add(op.exp(y), g.scalar(1))),
            op.log(positive),
            op.sqrt(positive),
            op.sigmoid(z),
            op.relu(x),
            op.residual(x, op.scale(x, 0.5)),
            picked,
            same,
            round,
          ]),
        };
      }),
  ],
  [
    'shape',
    () =>
      differentiated('shape', (g) => {
        const x = g.input('x', [2, 3, 4]);
        const row = g.input('row', [4]);
        const parts = [
          op.reshape(x, [6, -1]),
          op.flatten(x),
          op.flatten(x, 2),
          op.transpose(x, [2, 0, 1]),
          op.concat([x, op.scale(x, 2)], 1),
          op.slice(x, [1, -3], [3, 4], [1, 2]),
          op.pad(x, [0, 1, 0, 0, 2, 1]),
          op.expand(row, [2, 3, 4]),
          op.reduceSum(x, [1], true),
          op.reduceMean(x, [-1]),
          op.flip(x, [1, 2]),
          op.sumToShape(x, [3, 1]),
        ];
        return { loss: total(parts), extra: [op.stridedSlice(x, [0, 0], [3, 4], [1, 2], [2, 3])] };
      }),
  ],
  [
    'linear',
    () =>
      differentiated('linear', (g) => {
        const a = g.input('a', [3, 4]);
        const b = g.input('b', [4, 5]);
        const bt = g.input('bt', [5, 4]);
        const at = g.input('at', [4, 3]);
        const c = g.input('c', [5]);
        const ba = g.input('ba', [2, 3, 4]);
        const bb = g.input('bb', [2, 4, 5]);
        const bbt = g.input('bbt', [2, 5, 4]);
        const da = g.input('da', [2, 3, 4], 'float64');
        const db = g.input('db', [2, 5, 4], 'float64');
        return {
          loss: total([
            op.matmul(a, b),
            op.matmul(at, bt, { transA: true, transB: true }),
            op.matmul(at, b, { transA: true }),
            op.gemm(a, b, c),
            op.gemm(a, b, op.reshape(c, [1, 5])),
            op.linear(a, bt, c),
            op.linear(a, bt),
            op.batchMatmul(ba, bb),
            op.batchMatmul(ba, bbt, { transB: true }),
            op.cast(op.batchMatmul(da, db, { transB: true }), 'float32'),
          ]),
        };
      }),
  ],
  [
    'conv float32',
    () =>
      differentiated('conv32', (g) => {
        const x = g.input('x', [4, 3, 9, 9]);
        const w = g.input('w', [8, 3, 3, 3]); // C·kh·kw > Co: stride 1 uses the flattened-image kernel
        const wIm2col = g.input('w_im2col', [32, 3, 3, 3]); // C·kh·kw <= Co: the im2col kernel
        const wNarrow = g.input('w_narrow', [2, 3, 3, 3]); // C > Co: the transposed product order
        const w1 = g.input('w1', [4, 3, 1, 1]);
        const b = g.input('b', [8]);
        return {
          loss: total([
            op.conv2d(x, w, b, { padding: 'same' }),
            op.conv2d(x, w, undefined, { stride: 2, padding: 1 }),
            op.conv2d(x, w, b, { stride: 3, padding: 'valid' }),
            op.conv2d(x, w, undefined, { dilation: 2, padding: [1, 0, 2, 1] }),
            op.conv2d(x, wIm2col, undefined, { padding: 1 }),
            op.conv2d(x, wIm2col, undefined, { stride: 2 }),
            op.conv2d(x, wNarrow, undefined, { padding: 'same' }),
            op.conv2d(x, w1, undefined, { padding: 1 }), // pads beyond the kernel: ConvTranspose at stride 1
            op.conv2d(op.relu(op.conv2d(x, w, b, { padding: 1 })), op.transpose(w, [1, 0, 2, 3]), undefined),
          ]),
        };
      }),
  ],
  [
    'conv float64 (lowered)',
    () =>
      differentiated('conv64', (g) => {
        const x = g.input('x', [2, 2, 6, 6], 'float64');
        const w = g.input('w', [3, 2, 3, 3], 'float64');
        const b = g.input('b', [3], 'float64');
        return {
          loss: total([
            op.conv2d(x, w, b, { padding: 'same' }),
            op.conv2d(x, w, undefined, { stride: 2, padding: 1 }),
            op.conv2d(x, w, b, { dilation: 2 }),
          ]),
        };
      }),
  ],
  [
    'pooling',
    () =>
      differentiated('pool', (g) => {
        const x = g.input('x', [2, 3, 8, 8]);
        const x64 = g.input('x64', [2, 2, 6, 6], 'float64');
        const r = op.relu(x);
        const shared = op.relu(op.scale(x, 3));
        return {
          loss: total([
            op.maxPool2d(r, { kernel: 2 }), // ReLU whose only consumer is a pool: masks the pooled gradient
            op.maxPool2d(shared, { kernel: 2 }),
            shared, // a second consumer: ReLU masks the summed gradient
            op.maxPool2d(x, { kernel: 3, stride: 2, padding: 1 }), // overlapping: ScatterElements
            op.cast(op.maxPool2d(op.relu(x64), { kernel: 2 }), 'float32'),
            op.avgPool2d(x, { kernel: 2 }),
            op.avgPool2d(x, { kernel: 3, stride: 2, padding: 1 }),
            op.cast(op.avgPool2d(x64, { kernel: 3 }), 'float32'),
            op.globalAvgPool(x),
          ]),
        };
      }),
  ],
  [
    'norm and losses',
    () =>
      differentiated('norm', (g) => {
        const x = g.input('x', [4, 3, 5, 5]);
        const h = g.input('h', [4, 3]);
        const gamma = g.input('gamma', [3]);
        const beta = g.input('beta', [3]);
        const mean = g.input('mean', [3]);
        const variance = g.input('var', [3]);
        const keep = g.input('keep', [4, 3]);
        const labels32 = g.input('labels32', [4], 'int32');
        const labels64 = g.input('labels64', [4], 'int64');
        const bn4 = op.batchNorm(x, gamma, beta, mean, variance, { training: true });
        const bn2 = op.batchNorm(h, gamma, beta, mean, variance, {
          training: true,
          momentum: 0.2,
          eps: 1e-3,
        });
        const bnInfer = op.batchNorm(x, gamma, beta, mean, variance, { training: false });
        const logits = op.dropout(op.add(h, op.reshape(op.globalAvgPool(bn4.y), [4, 3])), keep, 0.25);
        const a = op.softmaxCrossEntropy(logits, labels32);
        const b = op.softmaxCrossEntropy(bn2.y, labels64);
        return {
          loss: total([a.loss, b.loss, op.meanSquaredError(bnInfer.y, x), op.logSoftmax(h, 0)]),
          extra: [a.correct, b.correct, bn4.runningMean!, bn4.runningVar!, bn2.runningMean!, bn2.runningVar!],
        };
      }),
  ],
  [
    'indexing',
    () => {
      const g = new Graph('indexing');
      const x = g.input('x', [10]);
      const idx = g.input('idx', [3], 'int64');
      const gathered = op.gather1d(x, idx);
      const out = g.output(op.scatter1d(x, idx, op.scale(gathered, 2)), 'scattered');
      return emitModel(g, { outputs: [out], inputs: g.inputs });
    },
  ],
];

// ---------------------------------------------------------------------------------------------------
// the pinned hashes (recorded on ops.ts before the split into op families)

const GOLDEN: Record<string, string> = {
  'lenet300 training step': '0572ddd88c49359466f288e9d38e683aba10bc6ef20fc7bed9e1c33fd7865b17',
  'lenet300 evaluation': '0e7a6f50a038eeb0e92bd6ea2733140e595206502627bf88c4ec7d037bb14280',
  'lenet300 prediction': '147f26c12768c40a518b5fae9b7ddfe90941a188bcea7848b0735b7054cb82a9',
  'lenet300 export': '97367bf5d4fc52359395b3149b6352ecedd52472ed1098d44584534a2067000d',
  'lenet5 training step': '0f9a079fd839eea2b27d6d8b1d0c07184645608de170f79fdabda714683d5df4',
  'lenet5 evaluation': 'd6d4e932bff94e849e51d4bd4d2073b52995b5b4ec975a02ca571611878e8df0',
  'lenet5 prediction': 'bb3d2dd5aa73480bfcba60f407a7c6884933ede4b7c60557aa4c52ad65fced30',
  'lenet5 export': '3cc6d0681ad3e28b43f92c95ac8cfb592b3ae856dc469efc75fc2979c3df2c30',
  'conv2 training step': '801f92610932d85156b5cf42cafd3f409cc0bc41f20339a6cb608e3e7d91fde5',
  'conv2 evaluation': '4e7b425948372d55c4748d0dab674e13e6b73ed1ef4d82bc80ccff3a95eb9cc4',
  'conv2 prediction': '0035d9b4dda2853a3e79190f5c2d9de639ddaba776ac9014e4d52ef9cda625e9',
  'conv2 export': '9fe5f90755b277dca6631dd99f2451d1707d1afc73f1dfa68e94259777280efd',
  elementwise: '7817a8f1c8bd1da4abfeefa5c5ac335c54274493c1fd15b14f547da72660a673',
  shape: '3984c75c724bccc48639b8dcffcf2efcd3c0973cb1cef6760601d0b6873db4f4',
  linear: '134c80f52e186deece75c839a28887f397f668e8ab7580d98e5403c784b268b3',
  'conv float32': '5baf225bb1a6efc9694339b7b3093ee7d76fb7592e52f5559e4719fe4f9913cd',
  'conv float64 (lowered)': 'efa47a9e19d2072ce85290ce07711b830a7819fc9f88c2b33ab6e01ba49ce7e9',
  pooling: '32330192a91b1dcca48505fda7f277900a10a6f9081cd052907c5444ccfa32a4',
  'norm and losses': '96f5a8741b16719680f14b210ee68c76657fdca13148d7380913789d37bf0f09', // BatchNorm as one node (issue 12; graph-batchnorm.test.ts)
  indexing: '238edb5fab3c8f845cb173fb999cd58f3ad82ed079ef96b2b395ce32d2369088',
};

function sha256(bytes: Uint8Array): string {
  return createHash('sha256').update(bytes).digest('hex');
}

const cases: [string, () => Uint8Array][] = [
  ...NETS.flatMap((net): [string, () => Uint8Array][] => [
    [`${net.name} training step`, () => trainingStep(net)],
    [`${net.name} evaluation`, () => evaluationGraph(net)],
    [`${net.name} prediction`, () => predictionGraph(net)],
    [`${net.name} export`, () => exportGraph(net)],
  ]),
  ...COVERAGE,
];

const recorded: string[] = [];
for (const [label, build] of cases) {
  test(`golden ONNX bytes: ${label}`, () => {
    const hash = sha256(build());
    recorded.push(`  '${label}': '${hash}',`);
    if (process.env.TICKETLAB_GOLDEN_PRINT) return;
    assert.equal(hash, GOLDEN[label], `${label}: the emitted ONNX model changed`);
  });
}

test('golden table', () => {
  if (process.env.TICKETLAB_GOLDEN_PRINT) console.log(`{\n${recorded.join('\n')}\n}`);
  assert.deepEqual(Object.keys(GOLDEN).sort(), cases.map(([label]) => label).sort());
});
