// A custom network written in the graph DSL, registered as a model, and its lottery ticket found.
import { dense, findTickets, lenet300, op, registerModel, type Model, type ModelOptions } from 'ticketlab';

// 784-128-10: one hidden layer of ReLUs. `dense` declares a layer's weight and bias; weights are
// pruned by layer kind ('fc' by default; 'output' is pruned at half the rate, as in the paper).
function mlp128(o: ModelOptions): Model {
  const classes = o.classes ?? 10;
  return {
    name: 'mlp128',
    inputShape: o.inputShape ?? [784],
    classes,
    forward(ctx, x) {
      const h = op.relu(dense(ctx, 'hidden', x, 128, { init: o.init }));
      return dense(ctx, 'out', h, classes, { layerKind: 'output', init: o.init });
    },
  };
}

// Its defaults are LeNet-300-100's: MNIST, Adam 1.2e-3, batch 60, fc 20% and output 10% per level.
registerModel({
  name: 'mlp128',
  description: '784-128-10',
  input: 'flat',
  create: mlp128,
  defaults: lenet300.defaults,
});

// Train, prune, reset the survivors to θ₀, three times; beside each ticket, the same mask with a
// fresh initialization (the paper's random re-initialization control).
const summary = await findTickets({
  model: 'mlp128',
  levels: 3,
  iterations: 600,
  controls: ['random-reinit'],
});

for (const r of summary.results) {
  const remaining = `${(100 * r.fractionRemaining).toFixed(1)}%`;
  const accuracy = `${(100 * r.testAccuracyAtEarlyStop).toFixed(2)}%`;
  console.log(`level ${r.level} ${r.condition}: ${remaining} of weights, test accuracy ${accuracy}`);
}
