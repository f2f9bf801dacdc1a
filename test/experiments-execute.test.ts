/**
 * A run directory is named by the settings that differ from their defaults; a run whose stored
 * settings no longer match (a model default changed between versions) must not be reused.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const DATA = process.env.TICKETLAB_DATA;
const skip = DATA ? false : 'TICKETLAB_DATA is not set: these runs train on the real MNIST';
const ENTRY = ['--import', 'tsx', 'src/cli/entry.ts'];

test(
  'a run whose stored result-affecting settings differ from the resolved ones is refused',
  { skip },
  () => {
    const root = mkdtempSync(join(tmpdir(), 'ticketlab-drift-'));
    try {
      const args = [...ENTRY, 'train', '--iterations', '20', '--validation-size', '500', '--runs-dir', root];
      const first = spawnSync(process.execPath, args, { encoding: 'utf8' });
      assert.equal(first.status, 0, first.stderr);
      const [dir] = readdirSync(root).filter((d) => d.startsWith('lenet300-'));
      // the same command again finds everything done
      const again = spawnSync(process.execPath, args, { encoding: 'utf8' });
      assert.equal(again.status, 0, again.stderr);
      // as if lenet300's default learning rate had been different when the run was made
      const configPath = join(root, dir, 'config.json');
      const stored = JSON.parse(readFileSync(configPath, 'utf8')) as { learningRate: number };
      writeFileSync(configPath, JSON.stringify({ ...stored, learningRate: stored.learningRate * 2 }));
      const refused = spawnSync(process.execPath, args, { encoding: 'utf8' });
      assert.equal(refused.status, 2, refused.stderr);
      assert.match(refused.stderr, /was made with other settings \(learningRate\)/);
      assert.doesNotMatch(refused.stderr, /\n\s+at /, 'no stack trace');
    } finally {
      rmSync(root, { recursive: true, force: true });
    }
  },
);
