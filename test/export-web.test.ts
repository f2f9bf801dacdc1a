// Exported tickets run in browsers: onnxruntime-web with its wasm backend (in node, and in Debian's
// headless Chromium) and its WebGPU backend (in Chromium, on a software SwiftShader adapter when the
// machine has no GPU), with the engine's logits. Run alone with `npm run test:web`.
import { test, before } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import onnxProto from 'onnx-proto';
import * as ort from 'onnxruntime-web';
import { CHROMIUM, openBrowserOrt } from './helpers/browser-ort.js';
import { exportedTicket, maxAbsDiff, type ExportedTicket } from './helpers/export-tickets.js';

const TOLERANCE = 1e-5;
const MODELS = ['lenet300', 'conv2'] as const;
const tickets = new Map<string, ExportedTicket>();

before(async () => {
  for (const m of MODELS) tickets.set(m, await exportedTicket(m));
});

test('exported inference graphs ask no MaxPool for its Indices output', () => {
  const model = onnxProto.onnx.ModelProto.decode(tickets.get('conv2')!.onnx);
  const pools = model.graph!.node!.filter((n) => n.opType === 'MaxPool');
  assert.ok(pools.length > 0, 'conv2 has max pools');
  for (const p of pools) assert.equal(p.output!.length, 1, `${p.name} outputs ${p.output}`);
});

test('an exported LeNet and conv2 ticket run in onnxruntime-web (wasm, in node) with the engine’s logits', async () => {
  ort.env.wasm.numThreads = 1;
  for (const t of tickets.values()) {
    const session = await ort.InferenceSession.create(t.onnx, { executionProviders: ['wasm'] });
    const out = await session.run({ input: new ort.Tensor('float32', t.input, [t.batch, ...t.inputShape]) });
    await session.release();
    const d = maxAbsDiff(out.logits.data as Float32Array, t.logits);
    assert.ok(d <= TOLERANCE, `${t.model}: max |Δ logits| = ${d}`);
  }
});

test(
  'an exported LeNet and conv2 ticket run in headless Chromium: onnxruntime-web wasm and WebGPU',
  { skip: existsSync(CHROMIUM) ? false : `${CHROMIUM} is not installed` },
  async (t) => {
    const models = Object.fromEntries([...tickets].map(([m, x]) => [`${m}.onnx`, x.onnx]));
    const browser = await openBrowserOrt(models);
    try {
      for (const provider of ['wasm', 'webgpu'] as const) {
        await t.test(provider, async (st) => {
          if (provider === 'webgpu' && !browser.webgpu.adapter) {
            st.skip(`no WebGPU adapter in ${CHROMIUM}: ${browser.webgpu.reason}`);
            return;
          }
          if (provider === 'webgpu') st.diagnostic(`WebGPU adapter: ${browser.webgpu.adapter}`);
          for (const x of tickets.values()) {
            const r = await browser.run(`${x.model}.onnx`, provider, x.input, [x.batch, ...x.inputShape]);
            assert.equal(r.error, undefined, `${x.model} on ${provider}: ${r.error}`);
            const d = maxAbsDiff(r.logits!, x.logits);
            st.diagnostic(`${x.model} on ${provider}: max |Δ logits| = ${d.toExponential(2)}`);
            assert.ok(d <= TOLERANCE, `${x.model} on ${provider}: max |Δ logits| = ${d}`);
          }
        });
      }
    } finally {
      await browser.close();
    }
  },
);
