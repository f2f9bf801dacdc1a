/** `--config file.json|file.yaml`: settings from a file (flags given as well override them). */
import { readFileSync } from 'node:fs';
import { extname, resolve } from 'node:path';
import { requestFromConfigFile } from '../spec/config-file.js';
import { UserError } from '../util/errors.js';

/** Reads a JSON or YAML config file into the settings it gives, by key. */
export async function readConfigFile(file: string): Promise<Record<string, unknown>> {
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
    content = yaml ? (await yamlParser())(text) : JSON.parse(text);
  } catch (error) {
    if (error instanceof UserError) throw error;
    throw new UserError(`${path} is not valid ${yaml ? 'YAML' : 'JSON'}: ${(error as Error).message}`);
  }
  return requestFromConfigFile(content, path);
}

/** The `yaml` package's parser, loaded only for YAML files (an optional dependency). */
async function yamlParser(): Promise<(text: string) => unknown> {
  const name = 'yaml'; // a variable, so the compiler does not require the package
  try {
    const mod = (await import(name)) as { parse: (text: string) => unknown };
    return mod.parse;
  } catch {
    throw new UserError('YAML config files need the "yaml" package', 'run `npm install yaml`, or use JSON');
  }
}
