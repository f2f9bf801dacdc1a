/** No reset: the pruned network goes on training from its trained values (fine-tuning). */
import { trainedTicket } from '../tickets.js';
import { unitKey, type ResetStrategy } from '../types.js';

export const noReset: ResetStrategy = {
  name: 'none',
  description: 'survivors keep their trained values from the ticket the mask was pruned from (fine-tuning)',
  dependsOn: ({ trial }, sourceLevel) => [unitKey(trial, sourceLevel, 'ticket')],
  startingWeights: (ctx) => trainedTicket(ctx.run, ctx.trial, ctx.sourceLevel),
};
