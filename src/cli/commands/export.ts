/** `ticketlab export`: a trained ticket as a standalone inference ONNX model, checked before it is written. */
import { type Command, Option } from 'commander';
import { controls } from '../../lottery/controls.js';
import type { ExportOptions } from './export-action.js';
import { parseNumber } from './lottery.js';

export function registerExportCommand(program: Command): void {
  program
    .command('export <run-dir>')
    .description(
      'Write a trained network of a run (pruned weights baked in, masked weights exactly 0) as a plain ' +
        'inference ONNX model with input "input" [batch, ...] and output "logits"; it is loaded back and ' +
        "compared with ticketlab's own forward pass before it is written.",
    )
    .summary('write a trained ticket as a standalone inference ONNX model')
    .option('--trial <n>', 'trial', parseNumber('int', 0), 0)
    .option('--level <n>', 'pruning level (default: the sparsest finished level)', parseNumber('int', 0))
    .addOption(
      new Option('--condition <name>', 'the ticket or one of the controls trained beside it')
        .choices(['ticket', ...controls.names()])
        .default('ticket'),
    )
    .option('--weights <which>', 'final weights, or best (at the early-stopping iteration)', 'final')
    .addOption(
      new Option(
        '--format <kind>',
        'smallest: the smallest of dense, ONNX sparse initializers and (MLPs) the compacted network; dense: all weights',
      )
        .choices(['smallest', 'dense'])
        .default('smallest'),
    )
    .option(
      '--out <file>',
      'output file (default: <run-dir>/export/trial<t>-level<ll>-<condition>-<weights>.onnx)',
    )
    // the engine and onnxruntime load only when an export runs
    .action(async (runDir: string, o: ExportOptions) =>
      (await import('./export-action.js')).exportAction(runDir, o),
    );
}
