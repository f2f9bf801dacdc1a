/** The per-user data cache: downloads, and image folders imported as datasets. */
import { homedir } from 'node:os';
import { resolve } from 'node:path';

/** $XDG_CACHE_HOME/ticketlab, or ~/.cache/ticketlab. */
export function cacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  if (env.XDG_CACHE_HOME && env.XDG_CACHE_HOME.trim() !== '') return resolve(env.XDG_CACHE_HOME, 'ticketlab');
  const home = env.HOME && env.HOME.trim() !== '' ? env.HOME : homedir();
  return resolve(home, '.cache', 'ticketlab');
}
