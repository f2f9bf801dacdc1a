/** `--config file.json|file.yaml`: settings from a file (flags given as well override them). */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { requestFromConfigFile } from '../spec/config-file.js';
import { UserError } from '../util/errors.js';

/** Reads a JSON or YAML config file into the settings it gives, by key. */
export function readConfigFile(file: string): Record<string, unknown> {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read config file ${path}: ${(error as Error).message}`);
  }
  const yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  let content: unknown;
  try {
    content = yaml ? parseYaml(text) : JSON.parse(text);
  } catch (error) {
    throw new UserError(`${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  return requestFromConfigFile(content, path);
}
