/**
 * The optimizer update as one fused SIMD loop. In the step graph, Adam is ten element-wise ONNX ops,
 * each a pass over θ through memory (onnxruntime has no fused optimizer kernel on CPU); here the same
 * update rule (optimizers.ts) is compiled to a WebAssembly loop that reads each entry of θ, its
 * gradient, mask and optimizer state once and writes them back once. The rule's operations and their
 * order are the graph's, and float32 add/sub/mul/div/sqrt are correctly rounded in both, so the two
 * give bit-identical results (the engine tests check this).
 *
 * The arrays live in one WebAssembly memory (the arena); the step graph reads θ from it and writes the
 * gradients into it, so nothing is copied between the graph and the update.
 */
import {
  type Arithmetic,
  type OptimizerSpec,
  optimizerScalars,
  stateNames,
  updateRule,
} from './optimizers.js';

// @types/node 20 does not declare WebAssembly; the members used here:
declare global {
  // eslint-disable-next-line @typescript-eslint/no-namespace -- the global is a namespace in the DOM typings too
  namespace WebAssembly {
    class Memory {
      constructor(descriptor: { initial: number });
      readonly buffer: ArrayBuffer;
      grow(pages: number): number;
    }
    class Module {}
    interface Instance {
      readonly exports: Record<string, unknown>;
    }
    function compile(bytes: Uint8Array): Promise<Module>;
    function instantiate(module: Module, imports: Record<string, Record<string, unknown>>): Promise<Instance>;
  }
}

type Wabt = Awaited<ReturnType<typeof import('wabt')>>;
/** The WebAssembly text assembler, loaded on first use (it is a few MB of JavaScript). */
let wabt: Promise<Wabt> | undefined;

/** Floats per SIMD lane group; arrays are padded to a multiple so the loop needs no scalar tail. */
const LANES = 4;
const PAGE = 65536;

/** A v128 value in the generated code: the name of a local holding it. */
type Local = string;

/** updateRule's arithmetic as WebAssembly text: each operation becomes one statement into a new local. */
class SimdArithmetic implements Arithmetic<Local> {
  readonly locals: Local[] = [];
  /** Statements before the loop (splatted constants and scalars). */
  readonly prelude: string[] = [];
  /** Statements of the loop body. */
  readonly body: string[] = [];

  fresh(): Local {
    const name = `$t${this.locals.length}`;
    this.locals.push(name);
    return name;
  }

  constant(value: number): Local {
    const bits = new Int32Array(Float32Array.of(value).buffer)[0];
    const t = this.fresh();
    this.prelude.push(`(local.set ${t} (f32x4.splat (f32.reinterpret_i32 (i32.const ${bits}))))`);
    return t;
  }

  private op(instr: string, ...args: Local[]): Local {
    const t = this.fresh();
    this.body.push(`(local.set ${t} (${instr} ${args.map((a) => `(local.get ${a})`).join(' ')}))`);
    return t;
  }

  add = (a: Local, b: Local) => this.op('f32x4.add', a, b);
  sub = (a: Local, b: Local) => this.op('f32x4.sub', a, b);
  mul = (a: Local, b: Local) => this.op('f32x4.mul', a, b);
  div = (a: Local, b: Local) => this.op('f32x4.div', a, b);
  sqrt = (a: Local) => this.op('f32x4.sqrt', a);
}

/**
 * WebAssembly text of the update loop for one optimizer: `update(n, θ, grad, [mask,] states…, scalars…)`
 * with byte offsets of arrays of n floats (n a multiple of 4), updating θ and the states in place.
 */
export function updateKernelText(spec: OptimizerSpec, masked: boolean): string {
  const A = new SimdArithmetic();
  const states = stateNames(spec);
  const scalarCount = optimizerScalars(spec).names.length;
  const arrays = ['theta', 'grad', ...(masked ? ['mask'] : []), ...states.map((_, i) => `state${i}`)];
  const loaded = new Map(arrays.map((a) => [a, A.fresh()]));
  const scalars = Array.from({ length: scalarCount }, (_, i) => {
    const t = A.fresh();
    A.prelude.push(`(local.set ${t} (f32x4.splat (local.get $s${i})))`);
    return t;
  });
  const at = (a: string) => `(i32.add (local.get $${a}) (local.get $i))`;
  const loads = arrays.map((a) => `(local.set ${loaded.get(a)} (v128.load ${at(a)}))`);
  const next = updateRule(
    spec,
    A,
    loaded.get('theta')!,
    loaded.get('grad')!,
    states.map((_, i) => loaded.get(`state${i}`)!),
    scalars,
    masked ? loaded.get('mask')! : undefined,
  );
  const stores = [
    `(v128.store ${at('theta')} (local.get ${next.param}))`,
    ...next.states.map((t, i) => `(v128.store ${at(`state${i}`)} (local.get ${t}))`),
  ];
  const params = [
    '(param $n i32)',
    ...arrays.map((a) => `(param $${a} i32)`),
    ...scalars.map((_, i) => `(param $s${i} f32)`),
  ];
  return `(module
  (import "env" "memory" (memory 1))
  (func (export "update") ${params.join(' ')}
    (local $i i32) (local $end i32) ${A.locals.map((l) => `(local ${l} v128)`).join(' ')}
    ${A.prelude.join('\n    ')}
    (local.set $end (i32.shl (local.get $n) (i32.const 2)))
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $end)))
        ${[...loads, ...A.body, ...stores].join('\n        ')}
        (local.set $i (i32.add (local.get $i) (i32.const 16)))
        (br $next)))))`;
}

/** Assembles WebAssembly text (SIMD enabled) into a compiled module. */
export async function assemble(text: string): Promise<WebAssembly.Module> {
  const w = await (wabt ??= import('wabt').then((m) => m.default()));
  const parsed = w.parseWat('update.wat', text, { simd: true });
  try {
    parsed.validate();
    return await WebAssembly.compile(parsed.toBinary({}).buffer);
  } finally {
    parsed.destroy();
  }
}

type UpdateFn = (...args: number[]) => void;

/**
 * θ, its gradient, the mask and the optimizer state of one engine, in WebAssembly memory, with the
 * compiled update loops (unmasked and masked) for the engine's optimizer.
 */
export class UpdateArena {
  readonly theta: Float32Array;
  readonly grad: Float32Array;
  readonly mask: Float32Array;
  readonly states: Map<string, Float32Array>;
  /** The loops' leading arguments (entry count, then byte offsets of the arrays), fixed per arena. */
  private readonly plainArgs: number[];
  private readonly maskedArgs: number[];

  private constructor(
    memory: WebAssembly.Memory,
    readonly length: number,
    stateList: string[],
    private readonly kernels: { plain: UpdateFn; masked: UpdateFn },
  ) {
    const padded = paddedLength(length);
    const names = ['theta', 'grad', 'mask', ...stateList];
    const offset = new Map(names.map((n, i) => [n, i * padded * 4]));
    const view = (n: string) => new Float32Array(memory.buffer, offset.get(n)!, length);
    this.theta = view('theta');
    this.grad = view('grad');
    this.mask = view('mask');
    this.states = new Map(stateList.map((s) => [s, view(s)]));
    // argument order of updateKernelText: n, θ, grad, [mask,] states…
    const states = stateList.map((s) => offset.get(s)!);
    this.plainArgs = [padded, offset.get('theta')!, offset.get('grad')!, ...states];
    this.maskedArgs = [padded, offset.get('theta')!, offset.get('grad')!, offset.get('mask')!, ...states];
  }

  /**
   * An arena for `length` parameters, or null where WebAssembly memory cannot hold it (a 32-bit
   * memory tops out at 4 GiB), in which case the engine keeps the update in the graph.
   */
  static async create(spec: OptimizerSpec, length: number): Promise<UpdateArena | null> {
    const stateList = stateNames(spec);
    const bytes = (3 + stateList.length) * paddedLength(length) * 4;
    let memory: WebAssembly.Memory;
    try {
      memory = new WebAssembly.Memory({ initial: Math.max(1, Math.ceil(bytes / PAGE)) });
    } catch {
      return null;
    }
    const instantiate = async (masked: boolean) => {
      const module = await assemble(updateKernelText(spec, masked));
      const instance = await WebAssembly.instantiate(module, { env: { memory } });
      return instance.exports.update as UpdateFn;
    };
    const [plain, masked] = await Promise.all([instantiate(false), instantiate(true)]);
    return new UpdateArena(memory, length, stateList, { plain, masked });
  }

  /** One update of every entry of θ and the optimizer state from `grad` (and `mask` if masked). */
  update(masked: boolean, scalars: readonly number[]): void {
    if (masked) this.kernels.masked(...this.maskedArgs, ...scalars);
    else this.kernels.plain(...this.plainArgs, ...scalars);
  }
}

/** Entries per array in the arena: the length rounded up to whole SIMD lane groups. */
function paddedLength(length: number): number {
  return Math.ceil(length / LANES) * LANES;
}
