// docs/settings.md from the settings table. `npm run docs:settings` writes it; a test checks it is current.
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import * as prettier from 'prettier';
import { settingsReferenceForRegisteredModels } from '../src/cli/settings-options.js';

export const SETTINGS_DOC = 'docs/settings.md';

/** The reference as the file should hold it (formatted as `prettier --write` would). */
export async function renderSettingsDoc(): Promise<string> {
  const options = (await prettier.resolveConfig(SETTINGS_DOC)) ?? {};
  return prettier.format(settingsReferenceForRegisteredModels(), { ...options, parser: 'markdown' });
}

export function currentSettingsDoc(): string {
  return readFileSync(SETTINGS_DOC, 'utf8');
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  writeFileSync(SETTINGS_DOC, await renderSettingsDoc());
  console.log(`wrote ${SETTINGS_DOC}`);
}
