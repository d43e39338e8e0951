/** `moefy plan` behind the CLI: resolve the recipe's model (reading shapes, not weights) and plan purely. */
import type { Recipe } from '../../recipe/types.js';
import { plan } from './plan.js';
import type { Plan } from './types.js';
import { resolveModel, type ResolveModelOptions } from '../shared/resolve-model.js';

export async function planRecipe(recipe: Recipe, opts: ResolveModelOptions = {}): Promise<Plan> {
  const { checkpoint, ir, ffnKind } = await resolveModel(recipe, opts);
  return plan({
    recipe,
    config: ir.config,
    ffnKind,
    positions: ir.positions.kind,
    source: checkpoint.source,
  });
}
