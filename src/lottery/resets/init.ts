/** Reset to θ₀: the lottery ticket of Frankle & Carbin (2019). */
import type { ResetStrategy } from '../types.js';

export const resetToInit: ResetStrategy = {
  name: 'init',
  description: 'survivors restart from their initial values θ₀ (the lottery ticket)',
  dependsOn: () => [],
  startingWeights: (ctx) => ctx.theta0(),
};
