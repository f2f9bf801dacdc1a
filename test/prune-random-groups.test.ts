/**
 * The random-pruning control under a granularity: whole random groups in the ticket's number per
 * layer (random weights per N:M block), so a structured ticket is compared with a structured control.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { type PrunableLayer, granularityNamed, randomGroupMasksLike } from '../src/prune/index.js';
import { randomPruneControl } from '../src/lottery/controls/random-prune.js';
import type { UnitContext } from '../src/lottery/types.js';
import { Rng } from '../src/util/rng.js';

const conv: PrunableLayer = { name: 'conv', kind: 'conv', shape: [6, 2, 3, 3] };
const fc: PrunableLayer = { name: 'fc', kind: 'fc', shape: [4, 8] };
const FILTER = 18; // 2 × 3 × 3 weights per output filter

/** A ticket mask keeping filters `kept` of the conv layer, the fc layer whole. */
function filterTicket(kept: number[]): Map<string, Uint8Array> {
  const m = new Uint8Array(6 * FILTER);
  for (const f of kept) m.fill(1, f * FILTER, (f + 1) * FILTER);
  return new Map([
    ['conv', m],
    ['fc', new Uint8Array(32).fill(1)],
  ]);
}

const filtersOf = (m: Uint8Array): number[] => {
  const out: number[] = [];
  for (let f = 0; f < 6; f++) {
    const slice = m.subarray(f * FILTER, (f + 1) * FILTER);
    const ones = slice.reduce((s, v) => s + v, 0);
    assert.ok(ones === 0 || ones === FILTER, `filter ${f} is kept or pruned whole (${ones} of ${FILTER})`);
    if (ones === FILTER) out.push(f);
  }
  return out;
};

test('filter granularity: the random mask keeps as many whole filters as the ticket, at random positions', () => {
  const ticket = filterTicket([0, 1]);
  const seen = new Set<string>();
  for (let seed = 0; seed < 40; seed++) {
    const r = randomGroupMasksLike(ticket, [conv, fc], granularityNamed('filter'), new Rng(seed));
    const kept = filtersOf(r.get('conv')!);
    assert.equal(kept.length, 2);
    assert.deepEqual([...r.get('fc')!], [...ticket.get('fc')!], 'a layer the ticket left whole stays whole');
    seen.add(kept.join(','));
  }
  // 15 possible pairs of 6 filters: 40 draws that all landed on the ticket's pair would not be random
  assert.ok(seen.size >= 8, `random filters vary with the seed (${seen.size} distinct pairs)`);
  const again = randomGroupMasksLike(ticket, [conv, fc], granularityNamed('filter'), new Rng(7));
  const first = randomGroupMasksLike(ticket, [conv, fc], granularityNamed('filter'), new Rng(7));
  assert.deepEqual([...again.get('conv')!], [...first.get('conv')!], 'the same seed, the same mask');
});

test('N:M: every block of the random mask keeps as many weights as the ticket’s block', () => {
  const layer: PrunableLayer = { name: 'fc', kind: 'fc', shape: [3, 10] }; // blocks of 4, 4 and 2
  const ticket = new Uint8Array(30);
  for (let o = 0; o < 3; o++) for (const i of [0, 1, 4, 5, 8, 9]) ticket[o * 10 + i] = 1; // 2:4
  const r = randomGroupMasksLike(new Map([['fc', ticket]]), [layer], granularityNamed('2:4'), new Rng(3)).get(
    'fc',
  )!;
  for (let o = 0; o < 3; o++)
    for (const [start, size] of [
      [0, 4],
      [4, 4],
      [8, 2],
    ]) {
      let kept = 0;
      for (let j = 0; j < size; j++) kept += r[o * 10 + start + j];
      assert.equal(kept, 2, `row ${o}, block at ${start}`);
    }
  assert.notDeepEqual([...r], [...ticket], 'not the ticket itself');
});

test('the random-prune control draws whole groups under a group granularity and single weights under weight', () => {
  const ticket = filterTicket([2, 5]);
  const ctx = (granularity: string) =>
    ({
      config: { granularity },
      layers: [conv, fc],
      seed: 11,
      level: 1,
      ticketMasks: () => ticket,
    }) as unknown as UnitContext;
  const grouped = randomPruneControl.masks(ctx('filter')) as Map<string, Uint8Array>;
  assert.equal(filtersOf(grouped.get('conv')!).length, 2);
  const single = randomPruneControl.masks(ctx('weight')) as Map<string, Uint8Array>;
  const m = single.get('conv')!;
  assert.equal(
    m.reduce((s, v) => s + v, 0),
    2 * FILTER,
    'the same count of weights',
  );
  assert.throws(() => filtersOf(m), /kept or pruned whole/, 'single weights do not form whole filters');
});
