/**
 * `--plugin <module>`: modules imported before the command is built, whose top-level code registers
 * models (`registerModel`). They are imported first so that their models are among `--model`'s choices.
 * A plugin is a path to an .mjs or .js module; a .ts module works when ticketlab runs under tsx
 * (`node --import tsx …`), as the test suite does. It must import the registry of the same ticketlab
 * copy that runs the command, or its registrations land in another registry.
 */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.js';

/** The values of every `--plugin <module>` / `--plugin=<module>` before a lone `--`. */
export function pluginArgs(argv: readonly string[]): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length && argv[i] !== '--'; i++) {
    if (argv[i] === '--plugin' && i + 1 < argv.length) out.push(argv[++i]);
    else if (argv[i].startsWith('--plugin=')) out.push(argv[i].slice('--plugin='.length));
  }
  return out;
}

export async function loadPlugins(modules: readonly string[]): Promise<void> {
  for (const m of modules) {
    const path = resolve(m);
    if (!existsSync(path)) throw new UserError(`plugin ${path} does not exist`);
    try {
      await import(pathToFileURL(path).href);
    } catch (error) {
      if (error instanceof UserError) throw error;
      const code = (error as NodeJS.ErrnoException).code;
      if (code === 'ERR_UNKNOWN_FILE_EXTENSION') {
        throw new UserError(
          `cannot load plugin ${path}: this Node.js does not run TypeScript`,
          'compile it to .mjs/.js, or run ticketlab under tsx (node --import tsx …)',
        );
      }
      throw new UserError(`plugin ${path} failed to load: ${(error as Error).message}`);
    }
  }
}
