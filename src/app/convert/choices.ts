/** Where each MoE graph role's expert choice comes from (graph/moe-decoder.ts), for every precision's emitter. */
import type { ChoiceKind } from '../../graph/moe-decoder.js';
import type { GraphRole } from '../shared/manifest.js';

export const CHOICES: Partial<Record<GraphRole, ChoiceKind>> = {
  moe: 'router',
  moe_choice: 'input',
  moe_fixed: 'fixed',
  moe_oracle: 'oracle',
};
