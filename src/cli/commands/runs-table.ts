/** `ticketlab runs table`: every finished unit of every run as one row, filterable, as text, CSV or JSON. */
import { type Command, Option } from 'commander';
import {
  type Condition,
  allColumns,
  checkColumn,
  filterRows,
  formatCsv,
  formatJson,
  formatText,
  parseCondition,
  unitRows,
  varyingSettings,
} from '../../sweep/table.js';

const RESULTS = [
  'fractionRemaining',
  'earlyStopIteration',
  'testAccuracyAtEarlyStop',
  'finalTestAccuracy',
  'maxValidationAccuracy',
];

interface TableOptions {
  runsDir?: string;
  where: Condition[];
  columns?: string;
  format: 'text' | 'csv' | 'json';
}

export function registerRunsTableCommand(program: Command): void {
  const runs = program.commands.find((c) => c.name() === 'runs') ?? program.command('runs');
  runs
    .command('table')
    .description(
      'One row per finished unit (trial × level × condition) of every run: its run, every setting (by path, as in ' +
        'config.json) and every result — to compare runs and sweeps',
    )
    .option('--runs-dir <dir>', 'runs directory (default: $TICKETLAB_RUNS or ./runs)')
    .option(
      '--where <condition>',
      'keep rows where a column =, !=, <, <=, >, >= a value, e.g. pruning.strategy=random or level>=2 (repeatable)',
      (value: string, previous: Condition[]) => [...previous, parseCondition(value)],
      [] as Condition[],
    )
    .option(
      '--columns <list>',
      'columns to show, comma-separated (default: text shows the unit, the settings that vary and the main results; csv and json everything)',
    )
    .addOption(
      new Option('--format <format>', 'output format').choices(['text', 'csv', 'json']).default('text'),
    )
    .action((o: TableOptions) => {
      const { rows, settings } = unitRows(o.runsDir);
      const all = allColumns(settings);
      const kept = filterRows(rows, o.where, all);
      let columns: string[];
      if (o.columns) {
        columns = o.columns
          .split(',')
          .map((c) => c.trim())
          .filter(Boolean);
        for (const c of columns) checkColumn(c, all, '--columns');
      } else if (o.format === 'text') {
        const varying = varyingSettings(kept, settings).filter(
          (s) => !['levels', 'trials', 'controls'].includes(s),
        );
        columns = [
          'run',
          'trial',
          'level',
          'condition',
          ...varying.filter((s) => !RESULTS.includes(s)),
          ...RESULTS,
        ];
      } else {
        columns = all;
      }
      if (o.format === 'csv') console.log(formatCsv(kept, columns));
      else if (o.format === 'json') console.log(formatJson(kept, columns));
      else console.log(kept.length ? formatText(kept, columns) : 'no finished units match');
    });
}
