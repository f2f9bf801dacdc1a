/**
 * Every setting either applies or is refused (issue 11, problem 2): each reproduction command of the
 * issue, run through the CLI, stops with one message naming the setting and why, a fix, a non-zero
 * exit and no stack trace — before any data is read or any run directory is made (the data directory
 * given does not exist, and the runs directory stays empty).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { cliInProcess } from './helpers/cli-in-process.js';

const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];

const NO_DATA = {
  TICKETLAB_DATA: '/nonexistent-ticketlab-data',
  XDG_CACHE_HOME: '/nonexistent-cache',
};

/**
 * Runs the CLI with no usable data and an empty runs directory; returns its outcome and what it left.
 * In a child process (the first case: what a user runs) or by main() in this process (the rest: the
 * same code and messages without starting Node, tsx and every module again, ~4 s of CPU each).
 */
async function refusedRun(args: string[], inProcess: boolean) {
  const runs = mkdtempSync(join(tmpdir(), 'ticketlab-refused-'));
  try {
    if (inProcess) {
      const r = await cliInProcess([...args, '--runs-dir', runs], NO_DATA);
      return { status: r.status, stderr: r.stderr, left: readdirSync(runs) };
    }
    const r = spawnSync(process.execPath, [...ENTRY, ...args, '--runs-dir', runs], {
      encoding: 'utf8',
      // a command that is not refused would go on to read (or download) data: never wait for that
      timeout: 60_000,
      env: { ...process.env, CI: '1', ...NO_DATA },
    });
    return { status: r.status, stderr: r.stderr, left: readdirSync(runs) };
  } finally {
    rmSync(runs, { recursive: true, force: true });
  }
}

const CASES: { args: string[]; message: RegExp; fix: RegExp }[] = [
  {
    args: ['lottery', '--model', 'lenet300', '--dropout', '0.5'],
    message:
      /--dropout 0\.5 is refused: it applies only when the model has dropout layers, and lenet300 has no dropout layers/,
    fix: /fix: .*conv2, conv4, conv6/,
  },
  {
    args: ['lottery', '--momentum', '0.5'],
    message:
      /--momentum \(optimizer\.momentum\) 0\.5 is refused: it applies only when optimizer\.kind is sgd, and optimizer\.kind is adam/,
    fix: /fix: add --optimizer sgd, or leave --momentum/,
  },
  {
    args: ['lottery', '--optimizer', 'adam', '--nesterov'],
    message:
      /--nesterov \(optimizer\.nesterov\) true is refused: it applies only when optimizer\.kind is sgd/,
    fix: /fix: add --optimizer sgd/,
  },
  {
    args: ['lottery', '--target', '0.5', '--rate-fc', '0.3'],
    message: /--rate-fc \(pruning\.rates\.fc\) 0\.3 is refused: .*--target sets every rate/,
    fix: /fix: give either --target or per-kind rates/,
  },
  {
    args: ['lottery', '--reset', 'rewind'],
    message: /--rewind-iteration must be given when reset is rewind/,
    fix: /fix: add --rewind-iteration <k>/,
  },
  {
    args: ['lottery', '--rewind-iteration', '100', '--reset', 'init'],
    message:
      /--rewind-iteration 100 is refused: it applies only when reset is rewind, weight-rewind, lr-rewind or finetune, and reset is init/,
    fix: /fix: add --reset rewind \(or weight-rewind, lr-rewind, finetune\), or leave --rewind-iteration out/,
  },
  {
    args: ['lottery', '--rate-fc', '1'],
    message:
      /--rate-fc <p>' argument '1' is invalid\. must be less than 1: a rate of 1 prunes every remaining weight/,
    fix: /run with --help/,
  },
  {
    args: ['lottery', '--dataset', 'mnist', '--augment'],
    message:
      /--augment true is refused: it applies only when the dataset is in colour \(CIFAR-10\), and mnist is grayscale/,
    fix: /fix: leave --augment out/,
  },
  {
    args: ['lottery', '--pruning', 'one-shot', '--controls', 'one-shot'],
    message:
      /--controls one-shot duplicates the ticket: with --pruning one-shot the ticket itself is pruned in one shot/,
    fix: /fix: drop one-shot from --controls, or use --pruning iterative/,
  },
  {
    args: ['lottery', '--batch-size', '100000'],
    message:
      /--batch-size 100000 is larger than the training set \(55000 examples of mnist once 5000 are held out/,
    fix: /fix: use a batch size of at most 55000/,
  },
  {
    // one clear message (it once said "at least 0", then failed on an internal key name)
    args: ['train', '--lr', '0'],
    message:
      /^error: option '--lr <rate>' argument '0' is invalid\. must be greater than 0\n\(run with --help for usage\)\n$/,
    fix: /run with --help/,
  },
];

for (const [index, { args, message, fix }] of CASES.entries()) {
  test(`refused: ticketlab ${args.join(' ')}`, async () => {
    const r = await refusedRun(args, index > 0);
    assert.notEqual(r.status, 0, `exit status ${r.status}: ${r.stderr}`);
    assert.notEqual(r.status, null, 'it did not stop by itself');
    assert.match(r.stderr, message);
    assert.match(r.stderr, fix);
    assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
    assert.doesNotMatch(r.stderr, /run directory:/, 'refused before a run directory is opened');
    assert.deepEqual(r.left, [], 'nothing written to the runs directory');
  });
}
