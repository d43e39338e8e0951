/**
 * The fixed graphs' threshold as a number. `output.fixed_threshold: auto` is resolved by convert after the router
 * fit (app/convert/fixed-threshold.ts), which hands the later stages a plan whose recipe holds the number, and
 * moefy.json records that resolved recipe; any stage still seeing `auto` is a bug.
 */
import { InternalError } from '../util/errors.js';
import type { Recipe } from './types.js';

export function fixedThreshold(recipe: Pick<Recipe, 'output'>): number {
  const t = recipe.output.fixed_threshold;
  if (t === 'auto')
    throw new InternalError('output.fixed_threshold: auto reached a stage before it was resolved');
  return t;
}
