/** A run directory given on the command line (export, slim): its path and its stored configuration. */
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { datasetNamed } from '../../data/registry.js';
import { type LotteryConfig, lotteryConfigSchema } from '../../lottery/config.js';
import { modelEntry } from '../../lottery/resolve.js';
import { readJson } from '../../store/index.js';
import { UserError } from '../../util/errors.js';

export function readRunDir(runDir: string): { dir: string; config: LotteryConfig } {
  const dir = resolve(runDir);
  const configPath = join(dir, 'config.json');
  if (!existsSync(configPath))
    throw new UserError(
      `${dir} is not a run directory (no config.json)`,
      'pass a directory listed by `ticketlab runs list`',
    );
  return { dir, config: readJson(configPath, lotteryConfigSchema) };
}

/** The network a run trained, built from its stored config (its classes come from the dataset). */
export function runModel(config: LotteryConfig) {
  return modelEntry(config.model).create({
    inputShape: config.inputShape,
    classes: datasetNamed(config.dataset).classes,
    init: { kind: config.init },
    dropout: config.dropout,
    bnInit: config.bnInit,
  });
}
