/**
 * ticketlab as a library: `import { findTickets, registerModel, op, dense } from 'ticketlab'`.
 *
 * The one-call entry is {@link findTickets}. Below it, every layer is open: the graph DSL (`op`) to
 * write models, the models and pruning registries to add models, criteria and scopes, the engine
 * that compiles a model into one ONNX training step, the trainer with its callbacks, the lottery
 * procedure's plan of units with its resets and controls, the run store, datasets and reports.
 */

// the application layer
export { findTickets, type FindTicketsOptions } from './experiments/api.js';
export { executeLottery, type ExecuteOptions } from './experiments/execute.js';
// learned supermasks (Zhou et al. 2019, §5): weights frozen, one trained score per weight
export {
  learnSupermask,
  trainLearnedSupermask,
  SUPERMASK_DEFAULTS,
  type SupermaskResult,
  type SupermaskSettings,
} from './experiments/learned-supermask.js';
export { supermaskModel, type SupermaskModelOptions } from './models/supermask.js';
// a slimmed network (channels removed physically) retrained as a run of its own under <runs>/slim
export {
  RETRAIN_FROM,
  RETRAIN_SETTING_KEYS,
  type RetrainFrom,
  type SlimRetrainConfig,
  type SlimRetrainRequest,
  type SlimRetrainResult,
  type SlimRetrainRun,
  retrainConfig,
  retrainSlim,
  slimEngine,
  slimRetrainIdentity,
} from './experiments/slim-retrain.js';
export {
  presetNamed,
  presetRuns,
  PRESETS,
  type Preset,
  type PresetRun,
  type Scale,
} from './experiments/presets.js';
// a preset's runs as `reproduce` runs them: lottery runs, then slim-retrain runs from their units
export {
  runPreset,
  type PresetExecution,
  type PresetRunOptions,
  type SlimRunOutcome,
} from './experiments/run-preset.js';
export type { SlimRetrainPresetRun } from './experiments/preset-types.js';

// settings: one table, from which configs, flags, docs and run identity derive
export { lotteryConfigSchema, type LotteryConfig, type LotteryRequest } from './lottery/config.js';
export { resolveConfig, resultSettings, runIdentity } from './lottery/resolve.js';
export { LOTTERY_SETTINGS } from './spec/settings.js';
export type { OptimizerSpec } from './spec/optimizer.js';
export type { ModelDefaults } from './spec/defaults.js';

// the graph DSL: models are forward functions over these ops; each op carries its gradient rule
import * as op from './graph/ops.js';
export { op };
export { Graph, Tensor, type DType } from './graph/graph.js';

// models
export {
  registerModel,
  modelNamed,
  modelNames,
  type ModelEntry,
  type ModelOptions,
} from './models/registry.js';
export { conv, dense, dropout, type ConvOptions } from './models/layers.js';
export { mlp, lenet300, lenet5 } from './models/lenet.js';
export { conv2, conv4, conv6 } from './models/conv.js';
export type { InitSpec, LayerKind, Model, ModelContext, ParamDecl } from './models/types.js';

// datasets
export {
  datasetNames,
  datasetNamed,
  loadDataset,
  verifyDataset,
  downloadDataset,
  type DatasetName,
  type ImageSet,
  type LoadedDataset,
} from './data/index.js';

// the engine
export {
  TrainingEngine,
  softmaxCrossEntropyLoss,
  type EngineOptions,
  type EngineState,
  type EvalResult,
  type LossFunction,
  type MaskOptions,
  type StepResult,
} from './engine/engine.js';
export { exportInferenceModel, type ExportMetadata } from './engine/export.js';

// pruning: criteria and scopes are registries
export {
  registerCriterion,
  criterionNamed,
  criterionNames,
  registerScope,
  scopeNamed,
  scopeNames,
  pruneMasks,
  fullMasks,
  randomMasksLike,
  sparsityReport,
  rateForTarget,
  type Criterion,
  type ScoreContext,
  type Scope,
  type Masks,
  type PrunableLayer,
  type PruneSpec,
} from './prune/index.js';
// pruning granularities (weight, row, column, channel, kernel, filter, N:M): a registry too
export { registerGranularity, granularityNamed, granularityNames, type Granularity } from './prune/index.js';

// the run store
export { RunStore, Run, listRuns, loadTensors, saveTensors, type UnitRecord } from './store/index.js';
// integrity, unit states and housekeeping
export {
  readTensorFile,
  TensorFileError,
  findGarbage,
  removeGarbage,
  removeRun,
  type Garbage,
  type UnitCheck,
  type UnitState,
} from './store/index.js';
export { runStatus, listRunStatus, type RunStatus } from './lottery/status.js';
export { collapsedToChance, type Collapse } from './train/collapse.js';
export { DivergedError } from './train/callbacks.js';

// training: the trainer and its callbacks
export { train, runTraining, standardCallbacks } from './train/trainer.js';
export type {
  CallbackDecision,
  CallbackFunction,
  TrainCallback,
  TrainContext,
  TrainOptions,
  TrainResult,
} from './train/trainer.js';
export { namedCallback } from './train/callbacks.js';
export { prepareData, makeSampler, type TrainData } from './train/data.js';
// pruning during training: the gradual-pruning callback and the sparsity-schedule registry
export {
  gradualPruning,
  masksAtSparsity,
  sparsityRecord,
  type GradualOptions,
  type GradualPruning,
  type PruneEvent,
} from './train/gradual.js';
export {
  registerSparsitySchedule,
  sparsityScheduleNamed,
  sparsityScheduleNames,
  type SparsitySchedule,
} from './prune/sparsity-schedules/registry.js';

// the lottery procedure: a plan of units; resets and controls are registries
export {
  runLottery,
  collectResults,
  type LotteryContext,
  type LotteryReporter,
} from './lottery/procedure.js';
export { buildPlan, type Plan, type PlannedUnit } from './lottery/plan.js';
export { resets } from './lottery/resets.js';
export { controls } from './lottery/controls.js';
export type { Condition, ResetStrategy } from './lottery/types.js';
export type { LevelResult, RunSummary } from './lottery/summary.js';

// reports
export { writeReport } from './report/index.js';

// structured pruning (issue 15): removable channel groups, channel masks, the thinner network
export * from './prune/structured/index.js';
export {
  EARLY_BIRD_RATIOS,
  MaskWindow,
  bnChannelMask,
  earlyBirdDetector,
  maskDistance,
  type EarlyBirdDetector,
  type EarlyBirdFound,
  type EarlyBirdOptions,
} from './train/early-bird.js';
export { beforeRetrainingAccuracy, type BeforeRetraining } from './lottery/before-retraining.js';
export type { Retraining } from './lottery/types.js';
export { unitWeights, type UnitWeightsChoice } from './lottery/unit-weights.js';
