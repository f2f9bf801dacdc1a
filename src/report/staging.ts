/**
 * A report folder is never left half-written: everything is written into a temporary sibling
 * directory, and only when all of it is there does it take the place of the target. An existing
 * target keeps whatever else it holds; only the entries the new report has (index.html, figures/,
 * tables/) are swapped in, each by a rename.
 */
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs';
import { randomBytes } from 'node:crypto';
import { basename, dirname, join, relative } from 'node:path';

function sibling(dir: string, what: string): string {
  return join(dirname(dir), `.${basename(dir)}.${what}.${process.pid}.${randomBytes(4).toString('hex')}`);
}

/** Moves every entry of `from` into `to` (replacing entries of the same name), then removes `from`. */
function swapIn(from: string, to: string): void {
  if (!existsSync(to)) {
    renameSync(from, to);
    return;
  }
  const trash = sibling(to, 'old');
  mkdirSync(trash);
  try {
    for (const name of readdirSync(from)) {
      if (existsSync(join(to, name))) renameSync(join(to, name), join(trash, name));
      renameSync(join(from, name), join(to, name));
    }
  } catch (error) {
    rmSync(from, { recursive: true, force: true }); // the old entries not yet replaced stay in `trash`
    throw error;
  }
  rmSync(trash, { recursive: true, force: true });
  rmSync(from, { recursive: true, force: true });
}

/**
 * Runs `write` on an empty temporary directory beside `outDir` and, when it succeeds, moves what it
 * wrote into `outDir`. On failure the temporary directory is removed and `outDir` is untouched.
 * `paths` of the result that point into the temporary directory are returned pointing into `outDir`.
 */
export async function writeStaged<T>(
  outDir: string,
  write: (dir: string) => Promise<T>,
  paths: (result: T, move: (path: string) => string) => T,
): Promise<T> {
  mkdirSync(dirname(outDir), { recursive: true });
  const staging = sibling(outDir, 'tmp');
  mkdirSync(staging);
  let result: T;
  try {
    result = await write(staging);
  } catch (error) {
    rmSync(staging, { recursive: true, force: true });
    throw error;
  }
  swapIn(staging, outDir);
  return paths(result, (p) => join(outDir, relative(staging, p)));
}
