/** Reading a YAML or JSON file a user wrote (config files, sweep specs), with one message per mistake. */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { UserError } from './errors.js';

/** The parsed content of `file` (YAML for .yaml/.yml, else JSON) and its absolute path; `what` names it in errors. */
export function readYamlOrJson(file: string, what: string): { path: string; content: unknown } {
  const path = resolve(file);
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new UserError(`cannot read ${what} ${path}: ${(error as Error).message}`);
  }
  const yaml = ['.yaml', '.yml'].includes(extname(path).toLowerCase());
  try {
    return { path, content: yaml ? parseYaml(text) : JSON.parse(text) };
  } catch (error) {
    throw new UserError(`${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
}
