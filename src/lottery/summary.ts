/**
 * What a lottery run reports: one LevelResult per (trial, level, condition), gathered in
 * <run-dir>/summary.json — the input of `ticketlab report` and the output of `runs show --json`.
 */
import type { EvalPoint } from '../train/trainer.js';

export interface LayerSparsity {
  layer: string;
  kind: 'fc' | 'conv' | 'output';
  total: number;
  kept: number;
}

export interface LevelResult {
  trial: number;
  seed: number;
  level: number;
  condition: string;
  fractionRemaining: number;
  earlyStopIteration: number;
  validationLossAtEarlyStop: number;
  testAccuracyAtEarlyStop: number;
  trainAccuracyAtEarlyStop?: number;
  finalTestAccuracy: number;
  finalTrainAccuracy?: number;
  iterations: number;
  curve: EvalPoint[];
  sparsity: LayerSparsity[];
  wallSeconds: number;
}

export interface RunSummary {
  name: string;
  dir: string;
  hash: string;
  createdAt: string;
  config: Record<string, unknown>;
  model: string;
  dataset: string;
  scale?: 'quick' | 'paper' | 'custom';
  standIn?: string;
  preset?: string;
  machine: {
    cpus: number;
    cpuModel: string;
    memoryGB: number;
    node: string;
    onnxruntime: string;
    platform: string;
  };
  wallSeconds: number;
  results: LevelResult[];
}
