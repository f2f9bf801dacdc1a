/**
 * No npm warning on every command (issue 11, problem 7): the project's npm configuration holds only
 * keys npm knows (npm 11.2+ warns about any other on every `npm`/`npx` call), and onnxruntime-node's
 * install script, which would download the optional CUDA provider, stays denied at `npm ci`.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

test('npm reads the project’s configuration without an unknown-config warning', () => {
  const r = spawnSync('npm', ['pkg', 'get', 'name'], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  assert.equal(r.stdout.trim(), '"ticketlab"');
  assert.doesNotMatch(r.stderr, /Unknown project config/);
});

test('onnxruntime-node’s install script (the CUDA download) is denied by npm’s install-script policy', () => {
  const pkg = JSON.parse(readFileSync('package.json', 'utf8')) as { allowScripts?: Record<string, boolean> };
  assert.equal(pkg.allowScripts?.['onnxruntime-node'], false);
});
