/**
 * Normalize: absent paths become the embedded fixture's, relative paths resolve against the recipe's directory,
 * and command-line overrides replace the fields they name. Runs after the schema, before the rules.
 */
import { existsSync } from 'node:fs';
import { isAbsolute, resolve } from 'node:path';
import type { FieldPath } from './parse.js';
import { EMBEDDED } from './default.js';
import type { TaskEntry } from './tasks-schema.js';
import type { DatasetSpec, ParsedRecipe, Recipe, RecipeOverrides, TextFrom } from './types.js';

/** Recipe field each flag sets, and the flag's name for messages. */
export const OVERRIDE_FIELDS: Record<keyof RecipeOverrides, { path: FieldPath; flag: string }> = {
  model: { path: ['model'], flag: '<model>' },
  revision: { path: ['revision'], flag: '--revision' },
  dtype: { path: ['dtype'], flag: '--dtype' },
  seed: { path: ['seed'], flag: '--seed' },
  device: { path: ['router', 'train', 'device'], flag: '--device' },
  thresholds: { path: ['eval', 'thresholds'], flag: '--thresholds' },
  steps: { path: ['router', 'train', 'steps'], flag: '--steps' },
  lr: { path: ['router', 'train', 'lr'], flag: '--lr' },
  target: { path: ['router', 'target'], flag: '--target' },
  evalText: { path: ['eval', 'text'], flag: '--text' },
  evalTokens: { path: ['eval', 'tokens'], flag: '--tokens' },
};

export function applyOverrides<R extends ParsedRecipe>(recipe: R, o: RecipeOverrides): R {
  const { router, eval: evaluation } = recipe;
  const train = {
    ...router.train,
    device: o.device ?? router.train.device,
    ...(o.steps !== undefined && { steps: o.steps }),
    ...(o.lr !== undefined && { lr: o.lr }),
  };
  return {
    ...recipe,
    model: o.model ?? recipe.model,
    revision: o.revision ?? recipe.revision,
    dtype: o.dtype ?? recipe.dtype,
    seed: o.seed ?? recipe.seed,
    device: o.device ?? recipe.device,
    router: { ...router, ...(o.target !== undefined && { target: o.target }), train },
    eval: {
      ...evaluation,
      thresholds: o.thresholds ?? evaluation.thresholds,
      // `--text` replaces whichever source the recipe had.
      ...(o.evalText !== undefined && { text: o.evalText, dataset: undefined }),
      ...(o.evalTokens !== undefined && { tokens: o.evalTokens }),
    },
  };
}

export interface PathBases {
  /** Directory relative paths in the recipe file resolve against. */
  readonly recipeDir: string;
  /** Set when the model came from the command line: it resolves against the working directory instead. */
  readonly modelDir?: string;
}

export function resolvePaths(recipe: ParsedRecipe, bases: PathBases): Recipe {
  const { model, calibration, eval: evaluation, ...rest } = recipe;
  const { text: calText, dataset: calData, ...cal } = calibration;
  const { text: evalText, dataset: evalData, ...ev } = evaluation;
  // `model` first, as in the schema, so `--json` output reads like a recipe file.
  return {
    model: model === undefined ? EMBEDDED.model : resolveModelRef(model, bases.modelDir ?? bases.recipeDir),
    ...rest,
    calibration: { ...cal, ...textFrom(calText, calData, EMBEDDED.calibrationText, bases.recipeDir) },
    eval: {
      ...ev,
      ...textFrom(evalText, evalData, EMBEDDED.evalText, bases.recipeDir),
      tasks: ev.tasks.map((t) => taskPaths(t, bases.recipeDir)),
    },
  };
}

/** A dataset replaces the text file (a local dataset path resolves like `text`); no source = the embedded text. */
function textFrom(
  text: string | undefined,
  dataset: DatasetSpec | undefined,
  embedded: string,
  recipeDir: string,
): TextFrom {
  if (dataset !== undefined) {
    const path = dataset.path === undefined ? {} : { path: resolve(recipeDir, dataset.path) };
    return { dataset: { ...dataset, ...path } };
  }
  return { text: text === undefined ? embedded : resolve(recipeDir, text) };
}

/** A task's local dataset path resolves against the recipe's directory, as `text` does. */
function taskPaths(entry: TaskEntry, recipeDir: string): TaskEntry {
  if (typeof entry === 'string' || entry.dataset?.path === undefined) return entry;
  return { ...entry, dataset: { ...entry.dataset, path: resolve(recipeDir, entry.dataset.path) } };
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
