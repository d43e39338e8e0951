import type { LrSchedule } from './types.js';

/** Learning rate of 1-based step t of `steps`: constant, or cosine from `lr` at t = 1 down to 0 after the last. */
export function learningRate(opts: {
  schedule: LrSchedule;
  lr: number;
  step: number;
  steps: number;
}): number {
  if (opts.schedule === 'constant') return opts.lr;
  return 0.5 * opts.lr * (1 + Math.cos((Math.PI * (opts.step - 1)) / opts.steps));
}
