/** ShrinkBench accounting: parameters, non-zero parameters, FLOPs and non-zero FLOPs, by hand. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { modelCost } from '../src/engine/cost.js';
import { TrainingEngine } from '../src/engine/engine.js';
import { MODELS } from '../src/models/zoo.js';
import { costTable } from '../src/report/cost-table.js';
import type { RunSummary } from '../src/report/schema.js';

async function weightsOf(name: 'lenet300' | 'lenet5') {
  const model = MODELS[name].create();
  const engine = await TrainingEngine.create(model, {
    batchSize: 1,
    optimizer: { kind: 'adam' },
    threads: 1,
  });
  engine.initialize(0);
  const w = engine.getWeights();
  await engine.release();
  for (const [k, v] of w) if (k.endsWith('.bias')) v.fill(0.5);
  return { model, w };
}

test('LeNet-300-100: 266,610 parameters, 266,200 multiply-adds; pruning scales both', async () => {
  const { model, w } = await weightsOf('lenet300');
  const dense = modelCost(model, w);
  assert.deepEqual(
    [dense.parameters, dense.nonzeroParameters, dense.flops, dense.nonzeroFlops, dense.theoreticalSpeedup],
    [266_610, 266_610, 266_200, 266_200, 1],
  );
  // keep every 10th weight of fc1 (23,520 of 235,200), all of fc2 and fc3
  const fc1 = w.get('fc1.weight')!;
  fc1.forEach((_, i) => i % 10 !== 0 && (fc1[i] = 0));
  const c = modelCost(model, w);
  assert.equal(c.nonzeroParameters, 266_610 - 235_200 + 23_520);
  assert.equal(c.nonzeroFlops, 266_200 - 235_200 + 23_520);
  assert.ok(Math.abs(c.compressionRatio - 266_610 / 54_930) < 1e-12);
  assert.ok(Math.abs(c.theoreticalSpeedup - 266_200 / 54_520) < 1e-12);
});

test('LeNet-5: convolution FLOPs count every output position', async () => {
  const { model, w } = await weightsOf('lenet5');
  // conv1 20·1·5·5·24·24 + conv2 50·20·5·5·8·8 + fc1 800·500 + fc2 500·10
  assert.equal(modelCost(model, w).flops, 288_000 + 1_600_000 + 400_000 + 5_000);
});

test('the report shows a cost table only for runs that recorded costs', () => {
  const result = {
    trial: 0,
    level: 1,
    condition: 'ticket',
    fractionRemaining: 0.5,
    cost: {
      parameters: 10,
      nonzeroParameters: 5,
      compressionRatio: 2,
      flops: 8,
      nonzeroFlops: 4,
      theoreticalSpeedup: 2,
    },
    wallSeconds: 3,
    iterations: 2000,
  };
  const table = costTable({ results: [result] } as unknown as RunSummary)!;
  assert.deepEqual(table.rows, [[1, 'ticket', 50, 10, 5, 2, 8, 4, 2, 1.5]]);
  assert.equal(costTable({ results: [{ ...result, cost: undefined }] } as unknown as RunSummary), null);
  // runs that recorded their export's size show it beside the dense export's
  const sized = {
    ...result,
    cost: { ...result.cost, exportBytes: 250, denseExportBytes: 1000, exportFormat: 'compacted' },
  };
  const withExport = costTable({ results: [sized] } as unknown as RunSummary)!;
  assert.deepEqual(withExport.rows, [[1, 'ticket', 50, 10, 5, 2, 8, 4, 2, 1.5, 250, 0.25, 'compacted']]);
  assert.deepEqual(
    withExport.columns.slice(-3).map((c) => c.title),
    ['export (bytes)', 'vs dense export', 'export form'],
  );
});
