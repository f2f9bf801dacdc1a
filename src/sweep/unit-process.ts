/**
 * The process that trains units for a sweep's scheduler or a queue worker (child_process.fork of this
 * file): it receives jobs over IPC, trains each with a UnitRunner and reports start, progress and the
 * outcome. Long synchronous stretches of training run here, so the parent's event loop (heartbeats,
 * the queue's lock renewal) never stalls. It exits when its parent goes away (even a SIGKILLed one:
 * the IPC channel closes), so no orphan keeps training under a lease.
 */
import { pathToFileURL } from 'node:url';
import { UserError } from '../util/errors.js';
import type { ChildMessage, ParentMessage } from './protocol.js';
import { UnitRunner } from './unit-runner.js';

const runner = new UnitRunner();
const send = (m: ChildMessage) => {
  if (process.connected) process.send!(m);
};
let queue = Promise.resolve();

process.on('disconnect', () => process.exit(0));
process.on('message', (m: ParentMessage) => {
  if (m.type === 'exit') {
    queue = queue.then(async () => {
      await runner.close();
      process.exit(0);
    });
    return;
  }
  queue = queue.then(async () => {
    try {
      for (const plugin of m.plugins ?? []) await import(pathToFileURL(plugin).href);
      const outcome = await runner.run(m.job, {
        start: (u) => send({ type: 'start', id: m.id, ...u }),
        progress: (p) => {
          if (!process.connected) process.exit(0); // the parent died during synchronous work
          send({ type: 'progress', id: m.id, ...p });
        },
      });
      send({ type: 'outcome', id: m.id, outcome });
    } catch (error) {
      const user = error instanceof UserError;
      const message = user
        ? error.message
        : error instanceof Error
          ? (error.stack ?? error.message)
          : String(error);
      send({ type: 'error', id: m.id, message, user });
      // a failed engine may be in any state: start the next job from a fresh one
      await runner.close();
    }
  });
});
send({ type: 'ready' });
