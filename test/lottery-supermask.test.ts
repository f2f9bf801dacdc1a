/**
 * Through the lottery: supermask accuracies are recorded without changing training, the weight
 * actions reach the units (frozen pruned weights in the stored weights), and snip prunes from a
 * gradient saved per trial.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadMasks, loadWeights } from '../src/lottery/weights-io.js';
import { runSmallLottery, smallConfig, withoutTimes } from './helpers/small-lottery.js';
import { prunableLayers } from '../src/lottery/tickets.js';
import { smallSetup } from './helpers/small-lottery.js';

async function inTemp<T>(f: (root: string) => Promise<T>): Promise<T> {
  const root = mkdtempSync(join(tmpdir(), 'ticketlab-supermask-'));
  try {
    return await f(root);
  } finally {
    rmSync(root, { recursive: true, force: true });
  }
}

test('--supermask records untrained accuracies and changes no training result', async () => {
  const plain = await inTemp((root) => runSmallLottery(root, smallConfig({ controls: ['random-prune'] })));
  const measured = await inTemp((root) =>
    runSmallLottery(root, smallConfig({ controls: ['random-prune'], supermask: true })),
  );
  const strip = (rs: typeof measured.results) => withoutTimes(rs).map(({ supermask: _s, ...r }) => r);
  assert.deepEqual(strip(measured.results), withoutTimes(plain.results));
  assert.ok(plain.results.every((r) => r.supermask === undefined));
  for (const r of measured.results) {
    const s = r.supermask!;
    assert.ok(s, `${r.level}/${r.condition}`);
    for (const v of [s.mask, s.randomMask, s.unmasked]) assert.ok(v >= 0 && v <= 1);
    if (r.level === 0) assert.ok(s.mask === s.unmasked && s.randomMask === s.unmasked);
  }
  // the ticket and random-prune at level 1 start from the same θ₀ with no mask: the same accuracy
  const level1 = measured.results.filter((r) => r.level === 1);
  assert.equal(level1[0].supermask!.unmasked, level1[1].supermask!.unmasked);
});

test('freeze_init: the stored weights hold θ₀ at every pruned position after training', async () => {
  await inTemp(async (root) => {
    const config = smallConfig({ prunedWeights: 'freeze_init', keptWeights: 'signed_constant' });
    const summary = await runSmallLottery(root, config);
    const dir = summary.dir;
    const theta0 = loadWeights(join(dir, 'trial-0', 'init.safetensors')).weights;
    const final = loadWeights(join(dir, 'trial-0', 'level-01', 'ticket', 'final.safetensors')).weights;
    const { engine } = await smallSetup(config);
    const layers = prunableLayers(engine);
    await engine.release();
    const masks = loadMasks(join(dir, 'trial-0', 'level-01', 'ticket', 'masks.safetensors'), layers);
    let frozen = 0;
    let signedKept = 0;
    for (const l of layers) {
      const m = masks.get(l.name)!;
      const w0 = theta0.get(l.name)!;
      const wf = final.get(l.name)!;
      for (let i = 0; i < m.length; i++) {
        if (m[i] === 0) {
          assert.ok(Object.is(wf[i], w0[i]), `${l.name}[${i}]`);
          frozen++;
        } else if (Math.sign(wf[i]) === Math.sign(w0[i])) signedKept++;
      }
    }
    assert.ok(frozen > 1000 && signedKept > 1000, `${frozen} frozen, ${signedKept} kept with θ₀'s sign`);
  });
});

test('snip prunes from the gradient of the first batch at θ₀, saved once per trial', async () => {
  await inTemp(async (root) => {
    const summary = await runSmallLottery(root, smallConfig({ strategy: 'snip' }));
    const gradient = join(summary.dir, 'trial-0', 'gradient.safetensors');
    assert.ok(existsSync(gradient));
    const g = loadWeights(gradient).weights;
    assert.ok([...g.values()].some((v) => v.some((x) => x !== 0)));
    assert.ok(summary.results[1].fractionRemaining < 0.85);
  });
});
