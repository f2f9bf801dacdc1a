/**
 * WebAssembly SIMD kernels for a fully connected layer whose weight is stored as CSR over its kept
 * entries only (rows = output units): forward product, input gradient and the weight gradient at kept
 * positions, each costing O(kept × batch) instead of O(out × in × batch). Activations are stored
 * feature-major, [features][batch padded to 4], so each kept weight is one SIMD axpy or dot product
 * over the batch. Every sum runs in a fixed order (ascending kept index, 4 batch lanes then their
 * horizontal sum), so results are deterministic and do not depend on how the work is split.
 *
 * All pointers are byte offsets into one WebAssembly memory; `bb` is the bytes of one activation row.
 */
import { assemble } from './fused-update.js';

const get = (n: string) => `(local.get $${n})`;
const set = (n: string, v: string) => `(local.set $${n} ${v})`;
const add = (a: string, b: string) => `(i32.add ${a} ${b})`;
const at4 = (base: string, index: string) => add(get(base), `(i32.shl ${index} (i32.const 2))`);

/** `for (v = from; v < end; v += step) body` */
function loop(v: string, from: string, end: string, step: number, body: string[]): string {
  const id = `${v}_${Math.random().toString(36).slice(2, 8)}`;
  return `${set(v, from)}
    (block $done_${id} (loop $next_${id}
      (br_if $done_${id} (i32.ge_u ${get(v)} ${end}))
      ${body.join('\n      ')}
      ${set(v, add(get(v), `(i32.const ${step})`))}
      (br $next_${id})))`;
}

const hsum = (v: string) =>
  `(f32.add (f32.add (f32x4.extract_lane 0 ${v}) (f32x4.extract_lane 1 ${v})) (f32.add (f32x4.extract_lane 2 ${v}) (f32x4.extract_lane 3 ${v})))`;

const rowStart = `(i32.load ${at4('rowptr', get('j'))})`;
const rowEnd = `(i32.load ${at4('rowptr', add(get('j'), '(i32.const 1)'))})`;
/** The activation row of kept entry k's input column. */
const columnRow = (base: string) =>
  add(get(base), `(i32.mul (i32.load ${at4('cols', get('k'))}) ${get('bb')})`);

/** Accumulates row j's kept products over `lanes` v128 registers of the batch starting at byte b. */
function forwardBlock(lanes: number): string[] {
  const acc = (r: number) => `a${r}`;
  const at = (base: string, r: number) => add(add(get(base), get('b')), `(i32.const ${16 * r})`);
  const regs = Array.from({ length: lanes }, (_, r) => r);
  return [
    ...regs.map((r) => set(acc(r), get('bias4'))),
    loop('k', rowStart, get('kend'), 1, [
      set('w', `(f32x4.splat (f32.load ${at4('vals', get('k'))}))`),
      set('src', columnRow('hin')),
      ...regs.map((r) =>
        set(acc(r), `(f32x4.add ${get(acc(r))} (f32x4.mul ${get('w')} (v128.load ${at('src', r)})))`),
      ),
    ]),
    ...regs.map(
      (r) =>
        `(v128.store ${at('out', r)} (if (result v128) ${get('relu')} (then (f32x4.max ${get(acc(r))} (v128.const i32x4 0 0 0 0))) (else ${get(acc(r))})))`,
    ),
  ];
}

/**
 * out[j] = bias[j] + Σ_k vals[k]·hin[cols[k]] (ascending k), then ReLU if asked. The sums for 16
 * batch entries at a time stay in registers across the row's kept entries; a tail of 4 at a time.
 */
const FORWARD = `(func (export "forward") (param $rows i32) (param $rowptr i32) (param $cols i32) (param $vals i32)
    (param $bias i32) (param $hin i32) (param $hout i32) (param $bb i32) (param $relu i32)
    (local $j i32) (local $k i32) (local $kend i32) (local $b i32) (local $out i32) (local $src i32) (local $w v128)
    (local $bias4 v128) (local $a0 v128) (local $a1 v128) (local $a2 v128) (local $a3 v128) (local $wide i32)
    ${set('wide', `(i32.and ${get('bb')} (i32.const -64))`)}
    ${loop('j', '(i32.const 0)', get('rows'), 1, [
      set('out', add(get('hout'), `(i32.mul ${get('j')} ${get('bb')})`)),
      set('bias4', `(f32x4.splat (f32.load ${at4('bias', get('j'))}))`),
      set('kend', rowEnd),
      loop('b', '(i32.const 0)', get('wide'), 64, forwardBlock(4)),
      loop('b', get('wide'), get('bb'), 16, forwardBlock(1)),
    ])})`;

/** Weight gradient at kept entries (dot of dz's row and the input's column row), bias gradient, and
 * (when dhin ≠ 0) the input gradient accumulated into dhin. */
const BACKWARD = `(func (export "backward") (param $rows i32) (param $rowptr i32) (param $cols i32) (param $vals i32)
    (param $gw i32) (param $gb i32) (param $dz i32) (param $hin i32) (param $dhin i32) (param $bb i32)
    (local $j i32) (local $k i32) (local $kend i32) (local $b i32) (local $g i32) (local $src i32) (local $dst i32)
    (local $w v128) (local $acc v128) (local $d v128)
    ${loop('j', '(i32.const 0)', get('rows'), 1, [
      set('g', add(get('dz'), `(i32.mul ${get('j')} ${get('bb')})`)),
      set('acc', '(v128.const i32x4 0 0 0 0)'),
      loop('b', '(i32.const 0)', get('bb'), 16, [
        set('acc', `(f32x4.add ${get('acc')} (v128.load ${add(get('g'), get('b'))}))`),
      ]),
      `(f32.store ${at4('gb', get('j'))} ${hsum(get('acc'))})`,
      set('kend', rowEnd),
      loop('k', rowStart, get('kend'), 1, [
        set('src', columnRow('hin')),
        set('acc', '(v128.const i32x4 0 0 0 0)'),
        `(if ${get('dhin')} (then
          ${set('w', `(f32x4.splat (f32.load ${at4('vals', get('k'))}))`)}
          ${set('dst', columnRow('dhin'))}
          ${loop('b', '(i32.const 0)', get('bb'), 16, [
            set('d', `(v128.load ${add(get('g'), get('b'))})`),
            set(
              'acc',
              `(f32x4.add ${get('acc')} (f32x4.mul ${get('d')} (v128.load ${add(get('src'), get('b'))})))`,
            ),
            `(v128.store ${add(get('dst'), get('b'))} (f32x4.add (v128.load ${add(get('dst'), get('b'))}) (f32x4.mul ${get('w')} ${get('d')})))`,
          ])})
          (else ${loop('b', '(i32.const 0)', get('bb'), 16, [
            set(
              'acc',
              `(f32x4.add ${get('acc')} (f32x4.mul (v128.load ${add(get('g'), get('b'))}) (v128.load ${add(get('src'), get('b'))})))`,
            ),
          ])}))`,
        `(f32.store ${at4('gw', get('k'))} ${hsum(get('acc'))})`,
      ]),
    ])})`;

/** dh ← dh · [h > 0] (the ReLU's gradient), over `bytes` bytes. */
const RELU_GRAD = `(func (export "reluGrad") (param $bytes i32) (param $dh i32) (param $h i32) (local $b i32)
    ${loop('b', '(i32.const 0)', get('bytes'), 16, [
      `(v128.store ${add(get('dh'), get('b'))} (v128.and (v128.load ${add(get('dh'), get('b'))})
        (f32x4.gt (v128.load ${add(get('h'), get('b'))}) (v128.const i32x4 0 0 0 0))))`,
    ])})`;

const ZERO = `(func (export "zero") (param $p i32) (param $bytes i32) (local $b i32)
    ${loop('b', '(i32.const 0)', get('bytes'), 16, [`(v128.store ${add(get('p'), get('b'))} (v128.const i32x4 0 0 0 0))`])})`;

/**
 * h[c][b] = x[b][cols[c]]: the kept input features of a row-major batch, feature-major. Four examples
 * at a time (their rows stay in cache while every feature is picked), then the remaining ones singly.
 */
const GATHER = `(func (export "gather") (param $count i32) (param $cols i32) (param $x i32) (param $batch i32)
    (param $rowBytes i32) (param $h i32) (param $bb i32) (local $c i32) (local $b i32) (local $src i32) (local $dst i32)
    (local $full i32) (local $v v128)
    ${set('full', `(i32.and ${get('batch')} (i32.const -4))`)}
    ${loop('b', '(i32.const 0)', get('full'), 4, [
      loop('c', '(i32.const 0)', get('count'), 1, [
        set(
          'src',
          add(
            add(get('x'), `(i32.mul ${get('b')} ${get('rowBytes')})`),
            `(i32.shl (i32.load ${at4('cols', get('c'))}) (i32.const 2))`,
          ),
        ),
        set('v', `(f32x4.splat (f32.load ${get('src')}))`),
        ...[1, 2, 3].map((lane) =>
          set(
            'v',
            `(f32x4.replace_lane ${lane} ${get('v')} (f32.load ${add(get('src'), `(i32.mul ${get('rowBytes')} (i32.const ${lane}))`)}))`,
          ),
        ),
        `(v128.store ${add(add(get('h'), `(i32.mul ${get('c')} ${get('bb')})`), `(i32.shl ${get('b')} (i32.const 2))`)} ${get('v')})`,
      ]),
    ])}
    ${loop('c', '(i32.const 0)', get('count'), 1, [
      set('src', add(get('x'), `(i32.shl (i32.load ${at4('cols', get('c'))}) (i32.const 2))`)),
      set('dst', add(get('h'), `(i32.mul ${get('c')} ${get('bb')})`)),
      loop('b', get('full'), get('batch'), 1, [
        `(f32.store ${add(get('dst'), `(i32.shl ${get('b')} (i32.const 2))`)} (f32.load ${add(get('src'), `(i32.mul ${get('b')} ${get('rowBytes')})`)}))`,
      ]),
    ])})`;

export function sparseKernelText(): string {
  return `(module
  (import "env" "memory" (memory 1))
  ${FORWARD}
  ${BACKWARD}
  ${RELU_GRAD}
  ${ZERO}
  ${GATHER})`;
}

export interface SparseKernels {
  forward(
    rows: number,
    rowptr: number,
    cols: number,
    vals: number,
    bias: number,
    hin: number,
    hout: number,
    bb: number,
    relu: number,
  ): void;
  backward(
    rows: number,
    rowptr: number,
    cols: number,
    vals: number,
    gw: number,
    gb: number,
    dz: number,
    hin: number,
    dhin: number,
    bb: number,
  ): void;
  reluGrad(bytes: number, dh: number, h: number): void;
  zero(p: number, bytes: number): void;
  gather(
    count: number,
    cols: number,
    x: number,
    batch: number,
    rowBytes: number,
    h: number,
    bb: number,
  ): void;
}

let compiled: Promise<WebAssembly.Module> | undefined;

/** The kernels, bound to `memory`. */
export async function sparseKernels(memory: WebAssembly.Memory): Promise<SparseKernels> {
  const module = await (compiled ??= assemble(sparseKernelText()));
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as SparseKernels;
}
