/**
 * The optimizers' settings, shared by the engine (which compiles them), the models (whose defaults
 * name one) and the settings table. The engine treats fields left out as neutral (no momentum, no
 * weight decay, Adam's usual β and ε).
 */
export type OptimizerSpec =
  | { kind: 'sgd'; momentum?: number; nesterov?: boolean; weightDecay?: number }
  | { kind: 'adam'; beta1?: number; beta2?: number; eps?: number; weightDecay?: number };

export type OptimizerKind = OptimizerSpec['kind'];

/** An optimizer with every field given, as a resolved configuration stores it. */
export type FullOptimizerSpec =
  | { kind: 'sgd'; momentum: number; nesterov: boolean; weightDecay: number }
  | { kind: 'adam'; beta1: number; beta2: number; eps: number; weightDecay: number };

/**
 * Each optimizer's standard values: used when a run picks another optimizer than its model's default
 * (SGD's momentum defaults to 0.9 then, as in the paper's conv-net experiments).
 */
export const OPTIMIZER_DEFAULTS: { [K in OptimizerKind]: Extract<FullOptimizerSpec, { kind: K }> } = {
  sgd: { kind: 'sgd', momentum: 0.9, nesterov: false, weightDecay: 0 },
  adam: { kind: 'adam', beta1: 0.9, beta2: 0.999, eps: 1e-8, weightDecay: 0 },
};
