/** `ticketlab train` and `ticketlab lottery`: one training run, or the full train-prune-reset procedure. */
import { type Command, InvalidArgumentError, Option } from 'commander';
import { executeLottery } from '../../experiments/execute.js';
import { CONTROLS, type LotteryConfig } from '../../lottery/config.js';
import { type LotteryRequest, resolveConfig } from '../../lottery/resolve.js';
import { modelNames } from '../../models/zoo.js';
import { lotteryReporter } from '../progress.js';
import { dataDirOption } from './datasets.js';
import { summaryTable } from './runs.js';

export function parseNumber(kind: 'int' | 'float', min?: number, max?: number) {
  return (value: string): number => {
    const n = Number(value);
    if (value.trim() === '' || !Number.isFinite(n) || (kind === 'int' && !Number.isInteger(n))) {
      throw new InvalidArgumentError(
        `expected ${kind === 'int' ? 'an integer' : 'a number'}, got "${value}"`,
      );
    }
    if (min !== undefined && n < min) throw new InvalidArgumentError(`must be at least ${min}`);
    if (max !== undefined && n > max) throw new InvalidArgumentError(`must be at most ${max}`);
    return n;
  };
}

function parseList<T extends string>(allowed: readonly T[], allowNone: boolean) {
  return (value: string): T[] => {
    if (allowNone && value === 'none') return [];
    const items = value.split(',').map((s) => s.trim());
    for (const item of items) {
      if (!(allowed as readonly string[]).includes(item)) {
        throw new InvalidArgumentError(
          `"${item}" is not one of ${allowed.join(', ')}${allowNone ? ', none' : ''}`,
        );
      }
    }
    return items as T[];
  };
}

const ints = (value: string) => value.split(',').map((v) => parseNumber('int', 1)(v));

/** Options shared by train and lottery; defaults shown as "model default" resolve per model. */
function addTrainingOptions(cmd: Command): Command {
  return cmd
    .addOption(new Option('--model <name>', 'network').choices(modelNames()).default('lenet300'))
    .addOption(
      new Option('--dataset <name>', 'dataset (default: mnist for LeNets, cifar10 for Conv-2/4/6)').choices([
        'mnist',
        'fashion-mnist',
        'cifar10',
      ]),
    )
    .addOption(dataDirOption())
    .option(
      '--iterations <n>',
      'training iterations per level (default: model default, e.g. 50000 for lenet300)',
      parseNumber('int', 1),
    )
    .option('--batch-size <n>', 'batch size (default: model default, 60)', parseNumber('int', 1))
    .option(
      '--lr <rate>',
      'learning rate (default: model default, e.g. 0.0012 for lenet300)',
      parseNumber('float', 0),
    )
    .addOption(
      new Option('--optimizer <name>', 'optimizer (default: model default, adam)').choices(['adam', 'sgd']),
    )
    .option('--momentum <m>', 'SGD momentum (default 0.9 with --optimizer sgd)', parseNumber('float', 0, 1))
    .option('--nesterov', 'SGD with Nesterov momentum', false)
    .option('--weight-decay <wd>', 'L2 weight decay', parseNumber('float', 0), 0)
    .option('--warmup <n>', 'linear learning-rate warmup iterations', parseNumber('int', 0), 0)
    .option(
      '--milestones <list>',
      'step decay: iterations at which the rate is multiplied by --gamma (comma list)',
      ints,
    )
    .option('--gamma <g>', 'step-decay factor', parseNumber('float', 0), 0.1)
    .option(
      '--eval-every <n>',
      'evaluate on validation and test every n iterations',
      parseNumber('int', 1),
      100,
    )
    .option(
      '--validation-size <n>',
      'examples held out of the training set for validation',
      parseNumber('int', 1),
      5000,
    )
    .option(
      '--train-eval-size <n>',
      'measure training accuracy on a fixed sample of n training examples (0 = off)',
      parseNumber('int', 0),
      0,
    )
    .addOption(
      new Option('--normalization <kind>', 'input normalization')
        .choices(['standardize', 'unit'])
        .default('standardize'),
    )
    .option('--augment', 'random crop (4-pixel padding) and horizontal flip, for CIFAR-10', false)
    .option('--dropout <rate>', 'dropout on the fc layers of Conv-2/4/6', parseNumber('float', 0, 0.99), 0)
    .addOption(
      new Option('--init <kind>', 'weight initialization')
        .choices(['glorot_normal', 'glorot_uniform', 'kaiming_normal', 'kaiming_uniform'])
        .default('glorot_normal'),
    )
    .option('--trials <n>', 'independent trials (seeds seed, seed+1, ...)', parseNumber('int', 1), 1)
    .option('--seed <n>', 'seed of the first trial', parseNumber('int', 0), 0)
    .option('--threads <n>', 'onnxruntime intra-op threads', parseNumber('int', 1), 2)
    .option('--runs-dir <dir>', 'where run directories go (default: $TICKETLAB_RUNS or ./runs)')
    .option('--name <name>', 'readable part of the run directory name (default: <model>-<dataset>-<command>)')
    .option(
      '--checkpoint-every <n>',
      'save a resumable checkpoint every n iterations (0 = never)',
      parseNumber('int', 0),
      1000,
    )
    .option('--json', 'print the run summary as JSON when done', false);
}

interface CliOptions {
  model: string;
  dataset?: string;
  dataDir?: string;
  iterations?: number;
  batchSize?: number;
  lr?: number;
  optimizer?: 'adam' | 'sgd';
  momentum?: number;
  nesterov: boolean;
  weightDecay: number;
  warmup: number;
  milestones?: number[];
  gamma: number;
  evalEvery: number;
  validationSize: number;
  trainEvalSize: number;
  normalization: 'standardize' | 'unit';
  augment: boolean;
  dropout: number;
  init: LotteryConfig['init'];
  trials: number;
  seed: number;
  threads: number;
  runsDir?: string;
  name?: string;
  checkpointEvery: number;
  json: boolean;
  levels?: number;
  pruning?: 'iterative' | 'one-shot';
  strategy?: 'magnitude' | 'random';
  scope?: 'layerwise' | 'global';
  rateFc?: number;
  rateConv?: number;
  rateOutput?: number;
  target?: number;
  pruneBiases?: boolean;
  reset?: LotteryConfig['reset'];
  rewindIteration?: number;
  controls?: LotteryConfig['controls'];
}

function toRequest(o: CliOptions): LotteryRequest {
  return {
    model: o.model,
    dataset: o.dataset,
    optimizer: o.optimizer,
    momentum: o.momentum,
    nesterov: o.nesterov,
    weightDecay: o.weightDecay,
    learningRate: o.lr,
    warmup: o.warmup,
    milestones: o.milestones,
    gamma: o.gamma,
    batchSize: o.batchSize,
    iterations: o.iterations,
    evalEvery: o.evalEvery,
    validationSize: o.validationSize,
    normalization: o.normalization,
    augment: o.augment,
    trainEvalSize: o.trainEvalSize,
    dropout: o.dropout,
    init: o.init,
    levels: o.levels ?? 0,
    pruningSchedule: o.pruning,
    strategy: o.strategy,
    scope: o.scope,
    rateFc: o.rateFc,
    rateConv: o.rateConv,
    rateOutput: o.rateOutput,
    target: o.target,
    pruneBiases: o.pruneBiases,
    reset: o.reset,
    rewindIteration: o.rewindIteration,
    controls: o.controls,
    trials: o.trials,
    seed: o.seed,
    checkpointEvery: o.checkpointEvery,
  };
}

async function action(kind: 'train' | 'lottery', o: CliOptions): Promise<void> {
  const config = resolveConfig(toRequest(o));
  const name = o.name ?? `${config.model}-${config.dataset}-${kind}`;
  const summary = await executeLottery(config, {
    runsDir: o.runsDir,
    name,
    dataDir: o.dataDir,
    threads: o.threads,
    reporter: lotteryReporter(),
  });
  if (o.json) console.log(JSON.stringify(summary));
  else console.log(summaryTable(summary));
}

export function registerTrainCommand(program: Command): void {
  addTrainingOptions(
    program
      .command('train')
      .description(
        'Train one network (a lottery run with level 0 only) and record its evaluation curve, early-stopping ' +
          'iteration and test accuracy in a run directory. Running the same command again resumes it.',
      )
      .summary('train one network and record its curve, early stop and test accuracy'),
  ).action((o: CliOptions) => action('train', { ...o, levels: 0 }));
}

export function registerLotteryCommand(program: Command): void {
  addTrainingOptions(
    program
      .command('lottery')
      .description(
        'Find lottery tickets: train, prune the smallest-magnitude weights, reset the survivors, repeat ' +
          '(Frankle & Carbin 2019). Each level and control is stored in the run directory; running the ' +
          'same command again skips finished work and resumes an interrupted level from its checkpoint.',
      )
      .summary('find lottery tickets: train, prune, reset, repeat (with controls)')
      .option('--levels <n>', 'pruning levels after the dense level 0', parseNumber('int', 0), 10)
      .addOption(
        new Option(
          '--pruning <schedule>',
          "iterative: p% of what remains per level; one-shot: level-0 weights straight to each level's target",
        )
          .choices(['iterative', 'one-shot'])
          .default('iterative'),
      )
      .addOption(
        new Option('--strategy <kind>', 'which weights to prune')
          .choices(['magnitude', 'random'])
          .default('magnitude'),
      )
      .addOption(
        new Option('--scope <scope>', 'one rate per layer, or one magnitude threshold across layers')
          .choices(['layerwise', 'global'])
          .default('layerwise'),
      )
      .option(
        '--rate-fc <p>',
        'fraction of remaining fc weights pruned per level (default: model default, 0.2)',
        parseNumber('float', 0, 1),
      )
      .option(
        '--rate-conv <p>',
        'fraction of remaining conv weights pruned per level (default: model default)',
        parseNumber('float', 0, 1),
      )
      .option(
        '--rate-output <p>',
        'fraction of remaining output-layer weights pruned per level (default: model default, 0.1)',
        parseNumber('float', 0, 1),
      )
      .option(
        '--target <fraction>',
        'weights remaining after the last level; sets every rate to 1 - target^(1/levels)',
        parseNumber('float', 0, 1),
      )
      .option(
        '--prune-biases',
        "prune biases too, at their layer's rate (the paper prunes weights only)",
        false,
      )
      .addOption(
        new Option(
          '--reset <kind>',
          'reset survivors to θ₀ (init), θ_k (rewind), a fresh init (reinit) or keep training (none)',
        )
          .choices(['init', 'rewind', 'reinit', 'none'])
          .default('init'),
      )
      .option('--rewind-iteration <k>', 'k for --reset rewind', parseNumber('int', 0), 0)
      .option(
        '--controls <list>',
        `controls per level: ${CONTROLS.join(', ')} (comma list) or none`,
        parseList(CONTROLS, true),
        [],
      ),
  ).action((o: CliOptions) => action('lottery', o));
}
