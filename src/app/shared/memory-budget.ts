/**
 * The hidden-state budget of the layer-sequential stages: the recipe's `memory.max_gb`, else half of the RAM free
 * when the stage starts. It decides where buffers live (RAM or spill files), never their values, so it is not part
 * of any stage cache key.
 */
import { freemem } from 'node:os';
import type { Recipe } from '../../recipe/types.js';

export function memoryBudgetBytes(recipe: Pick<Recipe, 'memory'>): number {
  const gb = recipe.memory.max_gb;
  return gb === null ? Math.floor(freemem() / 2) : Math.floor(gb * 2 ** 30);
}
