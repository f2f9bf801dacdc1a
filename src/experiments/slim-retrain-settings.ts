/**
 * What a retraining of a slimmed network may choose, apart from the training code (slim-retrain-training.ts)
 * so that `ticketlab slim --help` can list them without loading the engine.
 */
export const RETRAIN_FROM = ['slimmed', 'scratch'] as const;
/** slimmed: the surviving trained weights (fine-tuning the thin network); scratch: a fresh init of it. */
export type RetrainFrom = (typeof RETRAIN_FROM)[number];

/**
 * The settings a retraining may change (by their settings-table keys; `ticketlab slim --retrain` takes
 * their flags). The model, dataset, data split and normalization stay the source run's: the slimmed
 * weights were trained on them.
 */
export const RETRAIN_SETTING_KEYS = [
  'iterations',
  'evalEvery',
  'learningRate',
  'optimizer',
  'weightDecay',
  'momentum',
  'nesterov',
  'warmup',
  'warmupFrom',
  'milestones',
  'gamma',
  'batchSize',
  'augment',
  'trainEvalSize',
  'init',
  'bnL1',
  'seed',
  'checkpointEvery',
  'threads',
] as const;
