import { test } from 'node:test';
import assert from 'node:assert/strict';
import { currentSettingsDoc, renderSettingsDoc } from '../scripts/settings-docs.js';

test('docs/settings.md is generated from the current settings table (npm run docs:settings)', async () => {
  const expected = await renderSettingsDoc();
  assert.match(expected, /`pruning\.rates\.conv` +\| `--rate-conv` +\|/);
  assert.equal(currentSettingsDoc(), expected, 'docs/settings.md is stale: run `npm run docs:settings`');
});
