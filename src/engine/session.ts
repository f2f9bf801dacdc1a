/**
 * A thin layer over onnxruntime-node: compile ONNX bytes into a session and run it on typed arrays.
 * Feeds and fetches are wrapped as ort.Tensor views over caller-owned memory, so a training loop can
 * run without allocating: outputs are written straight into preallocated arrays.
 */
import ort from 'onnxruntime-node';
import type { DType, Tensor, TypedArray } from '../graph/graph.js';

export interface SessionOptions {
  /** Intra-op threads (default: all cores, at most 2 on the project's machines). */
  threads?: number;
  /** Graph optimization level (default 'all'). */
  optimization?: 'disabled' | 'basic' | 'extended' | 'all';
}

export interface Signature {
  name: string;
  shape: readonly number[];
  dtype: DType;
}

const ORT_TYPE: Record<DType, ort.Tensor.Type> = {
  float32: 'float32',
  float64: 'float64',
  int32: 'int32',
  int64: 'int64',
  bool: 'bool',
  uint8: 'uint8',
};

export function signatureOf(t: Tensor): Signature {
  return { name: t.name, shape: [...t.shape], dtype: t.dtype };
}

export function ortTensor(sig: Signature, data: TypedArray): ort.Tensor {
  return new ort.Tensor(ORT_TYPE[sig.dtype], data as never, [...sig.shape]);
}

export function defaultThreads(): number {
  const fromEnv = Number(process.env.TICKETLAB_THREADS);
  if (Number.isInteger(fromEnv) && fromEnv > 0) return fromEnv;
  return 2;
}

export class CompiledGraph {
  private constructor(
    readonly session: ort.InferenceSession,
    readonly inputs: Signature[],
    readonly outputs: Signature[],
  ) {}

  static async create(
    model: Uint8Array,
    inputs: Signature[],
    outputs: Signature[],
    options: SessionOptions = {},
  ): Promise<CompiledGraph> {
    const session = await ort.InferenceSession.create(model, {
      intraOpNumThreads: options.threads ?? defaultThreads(),
      interOpNumThreads: 1,
      executionMode: 'sequential',
      graphOptimizationLevel: options.optimization ?? 'all',
    });
    return new CompiledGraph(session, inputs, outputs);
  }

  /** Runs with typed-array feeds; returns freshly allocated outputs (convenient, allocating). */
  async run(feeds: Record<string, TypedArray>): Promise<Record<string, TypedArray>> {
    const ortFeeds: Record<string, ort.Tensor> = {};
    for (const sig of this.inputs) {
      const data = feeds[sig.name];
      if (!data) throw new Error(`missing feed ${sig.name}`);
      ortFeeds[sig.name] = ortTensor(sig, data);
    }
    const result = await this.session.run(ortFeeds);
    const out: Record<string, TypedArray> = {};
    for (const sig of this.outputs) out[sig.name] = result[sig.name].data as TypedArray;
    return out;
  }

  /** Runs with prepared ort tensors for feeds and preallocated output tensors (no allocation). */
  async runInto(feeds: Record<string, ort.Tensor>, fetches: Record<string, ort.Tensor>): Promise<void> {
    await this.session.run(feeds, fetches);
  }

  async release(): Promise<void> {
    await this.session.release();
  }
}
