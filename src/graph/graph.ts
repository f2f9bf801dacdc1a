/**
 * The graph DSL: tensors with static shapes and a dtype, nodes that are ONNX operators, and for each
 * differentiable node a closure that emits its gradient as more nodes. Shapes are checked when a node
 * is built, so a mistake names the op and the shapes instead of failing inside onnxruntime.
 */

export type DType = 'float32' | 'float64' | 'int64' | 'int32' | 'bool' | 'uint8';
export const FLOAT_TYPES: readonly DType[] = ['float32', 'float64'];

export type Attr = { i: number } | { f: number } | { ints: number[] } | { floats: number[] } | { s: string };

export const attr = {
  i: (i: number): Attr => ({ i }),
  f: (f: number): Attr => ({ f }),
  ints: (ints: number[]): Attr => ({ ints }),
  floats: (floats: number[]): Attr => ({ floats }),
  s: (s: string): Attr => ({ s }),
};

/** Gradient rule: given the gradients of a node's outputs (undefined where none flows), emit input gradients. */
export type Backward = (outputGrads: (Tensor | undefined)[]) => (Tensor | undefined)[];

export interface GraphNode {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly attrs: Readonly<Record<string, Attr>>;
  readonly domain: string;
  readonly backward?: Backward;
  /** Tensors this node reads, in input order (used by autodiff to route gradients). */
  readonly inputTensors: readonly (Tensor | undefined)[];
  /**
   * A gradient-only node: it is never emitted; it states the gradient rule of a logical op whose
   * outputs were computed by a lowered subgraph (see lowering.ts).
   */
  readonly gradientOnly?: boolean;
}

export type TypedArray = Float32Array | Float64Array | Int32Array | BigInt64Array | Uint8Array;

export interface Initializer {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  readonly data: TypedArray;
}

export class ShapeError extends Error {
  constructor(op: string, detail: string) {
    super(`${op}: ${detail}`);
    this.name = 'ShapeError';
  }
}

export class Tensor {
  constructor(
    readonly graph: Graph,
    readonly name: string,
    readonly shape: readonly number[],
    readonly dtype: DType,
    /** The node that produced this tensor (undefined for graph inputs and initializers). */
    readonly producer?: GraphNode,
  ) {}

  get rank(): number {
    return this.shape.length;
  }

  get size(): number {
    return sizeOf(this.shape);
  }

  toString(): string {
    return `${this.name}[${this.shape.join('x')}:${this.dtype}]`;
  }
}

export function sizeOf(shape: readonly number[]): number {
  let n = 1;
  for (const d of shape) n *= d;
  return n;
}

export function shapeStr(shape: readonly number[]): string {
  return `[${shape.join(', ')}]`;
}

export class Graph {
  readonly nodes: GraphNode[] = [];
  readonly inputs: Tensor[] = [];
  readonly outputs: Tensor[] = [];
  readonly initializers = new Map<string, Initializer>();
  private readonly names = new Set<string>();
  /** Node outputs renamed when emitted (see output()); name outputs after differentiating. */
  readonly aliases = new Map<string, string>();
  private readonly scalarCache = new Map<string, Tensor>();
  private counter = 0;

  constructor(readonly name = 'ticketlab') {}

  /** A unique tensor name derived from a hint. */
  fresh(hint: string): string {
    let name = hint;
    while (this.names.has(name)) name = `${hint}_${++this.counter}`;
    this.names.add(name);
    return name;
  }

  input(name: string, shape: readonly number[], dtype: DType = 'float32'): Tensor {
    if (this.names.has(name))
      throw new ShapeError('input', `the name "${name}" is already used in this graph`);
    this.names.add(name);
    const t = new Tensor(this, name, [...shape], dtype);
    this.inputs.push(t);
    return t;
  }

  output(t: Tensor, name?: string): Tensor {
    const out = name && name !== t.name ? this.rename(t, name) : t;
    this.outputs.push(out);
    return out;
  }

  private rename(t: Tensor, name: string): Tensor {
    if (this.names.has(name))
      throw new ShapeError('output', `the name "${name}" is already used in this graph`);
    const renamable = t.producer && !t.producer.gradientOnly && !this.aliases.has(t.name);
    if (!renamable) {
      return this.addNode('Identity', [t], [{ name, shape: t.shape, dtype: t.dtype }], {}, (g) => [g[0]])[0];
    }
    // rename at emission instead of copying through an Identity node (a copy of a whole weight tensor)
    this.names.add(name);
    this.aliases.set(t.name, name);
    return new Tensor(this, name, t.shape, t.dtype, t.producer);
  }

  constant(data: TypedArray, shape: readonly number[], dtype: DType, hint = 'const'): Tensor {
    if (data.length !== sizeOf(shape)) {
      throw new ShapeError('constant', `${data.length} values for shape ${shapeStr(shape)}`);
    }
    const name = this.fresh(hint);
    this.initializers.set(name, { name, dtype, shape: [...shape], data });
    return new Tensor(this, name, [...shape], dtype);
  }

  /** A scalar constant of the given dtype, shared across the graph. */
  scalar(value: number, dtype: DType = 'float32'): Tensor {
    const key = `${dtype}:${Object.is(value, -0) ? '-0' : value}`;
    let t = this.scalarCache.get(key);
    if (!t) {
      t = this.constant(typedArrayOf(dtype, [value]), [], dtype, 'scalar');
      this.scalarCache.set(key, t);
    }
    return t;
  }

  /** A constant filled with one value, shaped like `t`. */
  constantLike(t: Tensor, value: number): Tensor {
    const data = typedArrayOf(t.dtype, t.size);
    if (value !== 0) (data as Float32Array).fill(value);
    return this.constant(data, t.shape, t.dtype, 'filled');
  }

  /** A 1-D int64 constant (shapes, axes, pads). */
  ints(values: readonly number[], hint = 'ints'): Tensor {
    return this.constant(BigInt64Array.from(values.map((v) => BigInt(v))), [values.length], 'int64', hint);
  }

  /**
   * Appends a node. `outputs` give each output's name hint, shape and dtype (computed by the op's
   * shape rule). Returns the output tensors.
   */
  addNode(
    op: string,
    inputs: (Tensor | undefined)[],
    outputs: { name: string; shape: readonly number[]; dtype: DType }[],
    attrs: Record<string, Attr> = {},
    backward?: Backward,
    domain = '',
  ): Tensor[] {
    for (const t of inputs) {
      if (t && t.graph !== this) throw new ShapeError(op, `input ${t.name} belongs to another graph`);
    }
    const outNames = outputs.map((o) => this.fresh(o.name));
    const node: GraphNode = {
      op,
      inputs: inputs.map((t) => (t ? t.name : '')),
      outputs: outNames,
      attrs,
      domain,
      backward,
      inputTensors: inputs,
    };
    this.nodes.push(node);
    return outputs.map((o, i) => new Tensor(this, outNames[i], [...o.shape], o.dtype, node));
  }

  /** States the gradient rule of a logical op whose outputs a lowered subgraph computed. */
  addGradientRule(inputs: (Tensor | undefined)[], outputs: Tensor[], backward: Backward): void {
    this.nodes.push({
      op: 'GradientRule',
      inputs: inputs.map((t) => (t ? t.name : '')),
      outputs: outputs.map((t) => t.name),
      attrs: {},
      domain: '',
      backward,
      inputTensors: inputs,
      gradientOnly: true,
    });
  }
}

export function typedArrayOf(dtype: DType, values: readonly number[] | number): TypedArray {
  const n = typeof values === 'number' ? values : values.length;
  const fill = typeof values === 'number' ? undefined : values;
  switch (dtype) {
    case 'float32':
      return fill ? Float32Array.from(fill) : new Float32Array(n);
    case 'float64':
      return fill ? Float64Array.from(fill) : new Float64Array(n);
    case 'int32':
      return fill ? Int32Array.from(fill) : new Int32Array(n);
    case 'int64':
      return fill ? BigInt64Array.from(fill.map((v) => BigInt(v))) : new BigInt64Array(n);
    case 'bool':
    case 'uint8':
      return fill ? Uint8Array.from(fill) : new Uint8Array(n);
  }
}
