/**
 * Normalize: absent paths become the embedded fixture's, relative paths resolve against the recipe's directory,
 * and command-line overrides replace the fields they name. Runs after the schema, before the rules.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { FieldPath } from './parse.js';
import { EMBEDDED } from './default.js';
import type { ParsedRecipe, Recipe, RecipeOverrides } from './types.js';

/** Recipe field each flag sets, and the flag's name for messages. */
export const OVERRIDE_FIELDS: Record<keyof RecipeOverrides, { path: FieldPath; flag: string }> = {
  model: { path: ['model'], flag: '<model>' },
  revision: { path: ['revision'], flag: '--revision' },
  dtype: { path: ['dtype'], flag: '--dtype' },
  seed: { path: ['seed'], flag: '--seed' },
  device: { path: ['router', 'train', 'device'], flag: '--device' },
  thresholds: { path: ['eval', 'thresholds'], flag: '--thresholds' },
};

export function applyOverrides(recipe: ParsedRecipe, o: RecipeOverrides): ParsedRecipe {
  const { router, eval: evaluation } = recipe;
  return {
    ...recipe,
    model: o.model ?? recipe.model,
    revision: o.revision ?? recipe.revision,
    dtype: o.dtype ?? recipe.dtype,
    seed: o.seed ?? recipe.seed,
    router: { ...router, train: { ...router.train, device: o.device ?? router.train.device } },
    eval: { ...evaluation, thresholds: o.thresholds ?? evaluation.thresholds },
  };
}

export interface PathBases {
  /** Directory relative paths in the recipe file resolve against. */
  readonly recipeDir: string;
  /** Set when the model came from the command line: it resolves against the working directory instead. */
  readonly modelDir?: string;
}

export function resolvePaths(recipe: ParsedRecipe, bases: PathBases): Recipe {
  const { model, ...rest } = recipe;
  const text = (path: string | undefined, embedded: string) =>
    path === undefined ? embedded : resolve(bases.recipeDir, path);
  // `model` first, as in the schema, so `--json` output reads like a recipe file.
  return {
    model: model === undefined ? EMBEDDED.model : resolveModelRef(model, bases.modelDir ?? bases.recipeDir),
    ...rest,
    calibration: { ...rest.calibration, text: text(rest.calibration.text, EMBEDDED.calibrationText) },
    eval: { ...rest.eval, text: text(rest.eval.text, EMBEDDED.evalText) },
  };
}

/**
 * `org/name` is also a valid relative path, so an existing directory wins; explicit paths (`./x`, `../x`, `/x`)
 * are always local. Anything else is a Hub id, checked when it is resolved.
 */
export function resolveModelRef(ref: string, baseDir: string): string {
  const local = resolve(baseDir, ref);
  if (isAbsolute(ref) || /^\.\.?([\\/]|$)/.test(ref) || existsSync(local)) return local;
  return ref;
}
