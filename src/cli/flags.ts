/**
 * Number-valued flags, parsed one way for every command: the same bad value gets the same one-line message from
 * `plan`, `convert`, `eval` and `train` (before any recipe is read), naming the flag and echoing what was typed.
 */
import { InputError } from '../util/errors.js';

/** "0.2,0,0.1" → [0, 0.1, 0.2], sorted and without repeats. */
export function parseThresholds(list: string): number[] {
  const values = list.split(',').map((s) => s.trim());
  for (const v of values) {
    if (v === '' || !Number.isFinite(Number(v)) || Number(v) < 0)
      throw new InputError(`--thresholds: expected comma-separated numbers ≥ 0, got "${list}"`);
  }
  return [...new Set(values.map(Number))].sort((a, b) => a - b);
}

/** An integer ≥ 0 (`--seed`). */
export function parseSeed(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 0)
    throw new InputError(`${flag}: expected an integer ≥ 0, got "${value}"`);
  return n;
}

/** An integer ≥ 1 (`--tokens`, `--steps`). */
export function parsePositiveInt(flag: string, value: string): number {
  const n = Number(value);
  if (value.trim() === '' || !Number.isInteger(n) || n < 1)
    throw new InputError(`${flag}: expected a positive integer, got "${value}"`);
  return n;
}

const RECIPE_FILE = /\.ya?ml$/i;

/**
 * `plan` and `convert` take the recipe the same two ways: `--recipe r.yaml` or a positional `r.yaml`; any other
 * positional is a model (local dir or Hub id) under the recipe.
 */
export function recipeOrModel(
  positional: string | undefined,
  recipeFlag: string | undefined,
): { recipePath?: string; model?: string } {
  if (positional === undefined || !RECIPE_FILE.test(positional))
    return {
      ...(recipeFlag !== undefined && { recipePath: recipeFlag }),
      ...(positional && { model: positional }),
    };
  if (recipeFlag !== undefined)
    throw new InputError(
      `--recipe: given twice ("${positional}" and --recipe "${recipeFlag}"); pass one recipe`,
    );
  return { recipePath: positional };
}
