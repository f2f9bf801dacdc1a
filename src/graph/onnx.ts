/**
 * Emits a graph as an ONNX ModelProto (IR 8, default opset 18). Only nodes that the declared
 * outputs depend on are kept, so a graph can hold training and evaluation pieces side by side.
 */
import onnxProto from 'onnx-proto';
import { type DType, type Graph, type GraphNode, type Initializer, type Tensor } from './graph.js';

const { onnx } = onnxProto;

export const OPSET = 18;

const ELEM_TYPE: Record<DType, number> = { float32: 1, uint8: 2, int32: 6, int64: 7, bool: 9, float64: 11 };

function valueInfo(t: { name: string; shape: readonly number[]; dtype: DType }, batchDim?: string) {
  const dim = t.shape.map((d, i) => (i === 0 && batchDim ? { dimParam: batchDim } : { dimValue: d }));
  return onnx.ValueInfoProto.create({
    name: t.name,
    type: { tensorType: { elemType: ELEM_TYPE[t.dtype], shape: { dim } } },
  });
}

export function tensorProto(init: Initializer) {
  const data = init.data;
  return onnx.TensorProto.create({
    name: init.name,
    dataType: ELEM_TYPE[init.dtype],
    dims: [...init.shape],
    rawData: new Uint8Array(data.buffer, data.byteOffset, data.byteLength),
  });
}

function attributeProto(name: string, a: GraphNode['attrs'][string]) {
  const T = onnx.AttributeProto.AttributeType;
  if ('i' in a) return onnx.AttributeProto.create({ name, type: T.INT, i: a.i });
  if ('f' in a) return onnx.AttributeProto.create({ name, type: T.FLOAT, f: a.f });
  if ('ints' in a) return onnx.AttributeProto.create({ name, type: T.INTS, ints: a.ints });
  if ('floats' in a) return onnx.AttributeProto.create({ name, type: T.FLOATS, floats: a.floats });
  return onnx.AttributeProto.create({ name, type: T.STRING, s: new TextEncoder().encode(a.s) });
}

export interface EmitOptions {
  /** Outputs to emit (defaults to the graph's declared outputs). */
  outputs?: readonly Tensor[];
  /** Inputs to declare (defaults to every graph input the kept nodes read). */
  inputs?: readonly Tensor[];
  /** Extra initializers to bake in (e.g. trained weights for export), replacing inputs of the same name. */
  bake?: ReadonlyMap<string, Initializer>;
  docString?: string;
  /** Rename graph inputs in the emitted model (e.g. x → input). */
  rename?: Record<string, string>;
  /** Declare the first axis of every input and output as this symbolic dimension (any batch size). */
  batchDim?: string;
}

/** The nodes needed for `outputs`, in graph order. */
export function liveNodes(graph: Graph, outputs: readonly string[]): GraphNode[] {
  const producerOf = new Map<string, GraphNode>();
  for (const n of graph.nodes) if (!n.gradientOnly) for (const o of n.outputs) producerOf.set(o, n);
  const live = new Set<GraphNode>();
  // a renamed output (graph.output) may be read under its new name by later nodes
  const original = new Map([...graph.aliases].map(([from, to]) => [to, from]));
  const stack = outputs.map((name) => original.get(name) ?? name);
  while (stack.length) {
    const name = stack.pop()!;
    const node = producerOf.get(name);
    if (!node || live.has(node)) continue;
    live.add(node);
    for (const i of node.inputs) if (i) stack.push(original.get(i) ?? i);
  }
  return graph.nodes.filter((n) => live.has(n));
}

/**
 * Optional trailing outputs that nothing reads are left off: a MaxPool's Indices exist for the
 * backward pass only, and runtimes such as onnxruntime-web's WebGPU backend refuse to compute them
 * ("The Indices output is not supported yet"). The pooled values are the same either way.
 */
const OPTIONAL_TRAILING_OUTPUTS: Readonly<Record<string, number>> = { MaxPool: 1 };

function keptOutputs(n: GraphNode, isUsed: (name: string) => boolean): readonly string[] {
  const required = OPTIONAL_TRAILING_OUTPUTS[n.domain === '' ? n.op : ''];
  if (required === undefined) return n.outputs;
  let end = n.outputs.length;
  while (end > required && !isUsed(n.outputs[end - 1])) end--;
  return n.outputs.slice(0, end);
}

export function emitModel(graph: Graph, options: EmitOptions = {}): Uint8Array {
  const outputs = options.outputs ?? graph.outputs;
  const nodes = liveNodes(
    graph,
    outputs.map((t) => t.name),
  );
  const emitted = (name: string) => options.rename?.[name] ?? graph.aliases.get(name) ?? name;
  const used = new Set<string>(outputs.map((t) => t.name));
  for (const n of nodes) for (const i of n.inputs) if (i) used.add(emitted(i));
  const bake = options.bake ?? new Map<string, Initializer>();
  const inputs = (options.inputs ?? graph.inputs.filter((t) => used.has(t.name))).filter(
    (t) => !bake.has(t.name),
  );
  const initializers = [...graph.initializers.values(), ...bake.values()].filter((i) => used.has(i.name));
  const model = onnx.ModelProto.create({
    irVersion: 8,
    producerName: 'ticketlab',
    producerVersion: '0.1.0',
    docString: options.docString ?? '',
    opsetImport: [
      { domain: '', version: OPSET },
      // onnxruntime's contrib ops (e.g. FusedMatMul), imported only when a kept node uses them
      ...[...new Set(nodes.map((n) => n.domain).filter((d) => d !== ''))].map((domain) => ({
        domain,
        version: 1,
      })),
    ],
    graph: onnx.GraphProto.create({
      name: graph.name,
      node: nodes.map((n, k) =>
        onnx.NodeProto.create({
          name: `${n.op}_${k}`,
          opType: n.op,
          domain: n.domain,
          input: n.inputs.map(emitted),
          output: keptOutputs(n, (o) => used.has(emitted(o))).map(emitted),
          attribute: Object.entries(n.attrs).map(([name, a]) => attributeProto(name, a)),
        }),
      ),
      input: inputs.map((t) => valueInfo({ ...t, name: emitted(t.name) }, options.batchDim)),
      output: outputs.map((t) => valueInfo(t, options.batchDim)),
      initializer: initializers.map(tensorProto),
    }),
  });
  return onnx.ModelProto.encode(model).finish();
}
