import type { Command } from 'commander';
import { registerCalibrateCommand } from './calibrate.js';
import { registerDatasetsCommand } from './datasets.js';
import { registerExportCommand } from './export.js';
import { registerLotteryCommand, registerTrainCommand } from './lottery.js';
import { registerReportCommand } from './report.js';
import { registerReproduceCommand } from './reproduce.js';
import { registerRunsCommand } from './runs.js';
import { registerRunsTableCommand } from './runs-table.js';
import { registerSlimCommand } from './slim.js';
import { registerSupermaskCommand } from './supermask.js';
import { registerSweepCommand } from './sweep.js';
import { registerWorkerCommand } from './worker.js';

/** Each command lives in its own module; this is the one place that lists them. */
export function registerCommands(program: Command): void {
  registerDatasetsCommand(program);
  registerTrainCommand(program);
  registerLotteryCommand(program);
  registerRunsCommand(program);
  registerRunsTableCommand(program);
  registerReportCommand(program);
  registerExportCommand(program);
  registerSlimCommand(program);
  registerReproduceCommand(program);
  registerSupermaskCommand(program);
  registerSweepCommand(program);
  registerWorkerCommand(program);
  registerCalibrateCommand(program);
}
