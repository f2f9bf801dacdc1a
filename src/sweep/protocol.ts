/** Messages between a unit process (./unit-process.ts) and its parent, and how to start one. */
import { type ChildProcess, fork } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { UnitJob, UnitOutcome } from './unit-runner.js';

export type ParentMessage = { type: 'run'; id: string; job: UnitJob; plugins?: string[] } | { type: 'exit' };

export type ChildMessage =
  | { type: 'ready' }
  | { type: 'start'; id: string; resumedAt: number; fractionRemaining: number }
  | { type: 'progress'; id: string; iteration: number; iterations: number; validationAccuracy?: number }
  | { type: 'outcome'; id: string; outcome: UnitOutcome }
  | { type: 'error'; id: string; message: string; user: boolean };

/**
 * Starts a unit process. Under tsx (tests, development) the TypeScript file runs with the parent's
 * loader flags; from dist/ the compiled one.
 */
export function forkUnitProcess(env: NodeJS.ProcessEnv = process.env): ChildProcess {
  const ext = import.meta.url.endsWith('.ts') ? 'ts' : 'js';
  const file = fileURLToPath(new URL(`./unit-process.${ext}`, import.meta.url));
  return fork(file, [], { env, stdio: ['ignore', 'inherit', 'inherit', 'ipc'] });
}
