/**
 * Planning a conversion: resolve the recipe's model (reading shapes, not weights), probe the devices it asks for,
 * and plan purely. `moefy plan` prints the result; `convert` executes it.
 */
import type { Recipe } from '../../recipe/types.js';
import { resolveModel, type ResolvedModel, type ResolveModelOptions } from '../shared/resolve-model.js';
import { devicesOf, probeEnvironment } from './environment.js';
import { plan } from './plan.js';
import type { ModelShape, Plan } from './types.js';

export interface PlannedConversion {
  readonly plan: Plan;
  readonly model: ResolvedModel;
}

export async function planConversion(
  recipe: Recipe,
  opts: ResolveModelOptions = {},
): Promise<PlannedConversion> {
  const model = await resolveModel(recipe, opts);
  const environment = await probeEnvironment(devicesOf(recipe));
  return { plan: plan({ recipe, model: shapeOf(model), environment }), model };
}

/** `moefy plan` behind the CLI. */
export async function planRecipe(recipe: Recipe, opts: ResolveModelOptions = {}): Promise<Plan> {
  return (await planConversion(recipe, opts)).plan;
}

function shapeOf(m: ResolvedModel): ModelShape {
  return {
    config: m.ir.config,
    ffnKind: m.ffnKind,
    positions: m.ir.positions.kind,
    source: m.checkpoint.source,
  };
}
