/** `--config file.json|file.yaml`: settings from a file (flags given as well override them). */
import { requestFromConfigFile } from '../spec/config-file.js';
import { readYamlOrJson } from '../util/yaml-or-json.js';

/** Reads a JSON or YAML config file into the settings it gives, by key. */
export function readConfigFile(file: string): Record<string, unknown> {
  const { path, content } = readYamlOrJson(file, 'config file');
  return requestFromConfigFile(content, path);
}
