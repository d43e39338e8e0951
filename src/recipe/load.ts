/**
 * Recipe loading: YAML → schema → overrides → normalize → rules (+ the text files exist). Every problem of a phase
 * is reported at once in one RecipeError; a phase runs only when the one before it found nothing.
 */
import { existsSync, statSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { InputError, RecipeError } from '../util/errors.js';
import { DEFAULT_RECIPE_NAME, packageRoot } from './default.js';
import { applyOverrides, OVERRIDE_FIELDS, resolvePaths } from './normalize.js';
import { formatPath, parseYaml, type FieldPath } from './parse.js';
import { renderProblems, schemaProblems, type Problem } from './problems.js';
import { recipeRules } from './rules.js';
import { overridesSchema, recipeSchema, resolvedRecipeSchema } from './schema.js';
import type { Recipe, RecipeOverrides } from './types.js';

/** Loads a recipe file (`undefined`: the built-in default recipe) and applies command-line overrides. */
export async function loadRecipe(path: string | undefined, overrides: RecipeOverrides = {}): Promise<Recipe> {
  if (path === undefined) {
    return buildRecipe({ text: '', file: DEFAULT_RECIPE_NAME, recipeDir: packageRoot, overrides });
  }
  const text = await readFile(path, 'utf8').catch((err: NodeJS.ErrnoException) => {
    throw new InputError(`${path}: cannot read recipe (${err.code ?? err.message})`);
  });
  return buildRecipe({ text, file: path, recipeDir: dirname(resolve(path)), overrides });
}

/**
 * Parses recipe text as if read from `file` (relative paths resolve against its directory): recipes in tests.
 * @internal
 */
export function parseRecipeText(text: string, file: string): Recipe {
  return buildRecipe({ text, file, recipeDir: dirname(resolve(file)), overrides: {} });
}

/**
 * A recipe a conversion already resolved (moefy.json's `recipe`), changed by command-line flags (`moefy train`,
 * `moefy eval`) and checked again by the same schema, rules and file checks as a recipe file, so a flag cannot
 * produce a recipe a file could not. `origin` names where the recipe came from in messages.
 */
export function reviseRecipe(
  recorded: unknown,
  origin: string,
  overrides: Readonly<Record<string, unknown>> = {},
): Recipe {
  const flags = validateOverrides(overrides);
  const noLines = { locate: () => undefined };
  const parsed = resolvedRecipeSchema.safeParse(recorded);
  if (!parsed.success) {
    throw new RecipeError(
      origin,
      renderProblems(noLines, schemaProblems(resolvedRecipeSchema, parsed.error, recorded)),
    );
  }
  const recipe = applyOverrides(parsed.data, flags);
  const problems = [...recipeRules(recipe), ...missingTexts(recipe)];
  if (problems.length > 0)
    throw new RecipeError(origin, renderProblems(noLines, problems, flagOrigin(flags)));
  return recipe;
}

interface BuildOptions {
  readonly text: string;
  readonly file: string;
  readonly recipeDir: string;
  readonly overrides: RecipeOverrides;
}

function buildRecipe({ text, file, recipeDir, overrides }: BuildOptions): Recipe {
  const flags = validateOverrides(overrides);
  const source = parseYaml(text, file);
  const parsed = recipeSchema.safeParse(source.value);
  if (!parsed.success) {
    throw new RecipeError(
      file,
      renderProblems(source, schemaProblems(recipeSchema, parsed.error, source.value)),
    );
  }
  const overridden = applyOverrides(parsed.data, flags);
  const recipe = resolvePaths(overridden, { recipeDir, ...(flags.model ? { modelDir: process.cwd() } : {}) });
  const problems = [...recipeRules(overridden), ...missingTexts(recipe)];
  if (problems.length > 0) {
    throw new RecipeError(file, renderProblems(source, problems, flagOrigin(flags)));
  }
  return recipe;
}

/** Flags as the CLI parsed them, checked by the recipe's field schemas. */
function validateOverrides(overrides: Readonly<Record<string, unknown>>): RecipeOverrides {
  const parsed = overridesSchema.safeParse(overrides);
  if (parsed.success) return parsed.data;
  const problems = schemaProblems(overridesSchema, parsed.error, overrides).map((p) => {
    const field = OVERRIDE_FIELDS[p.path[0] as keyof RecipeOverrides];
    return `${field ? field.flag : formatPath(p.path)}: ${p.message}`;
  });
  throw new RecipeError('command line', problems);
}

/** Problems on fields a flag set point at the flag, not at the (replaced) line in the file. */
function flagOrigin(flags: RecipeOverrides): (path: FieldPath) => string | undefined {
  const set = Object.entries(OVERRIDE_FIELDS).filter(
    ([name]) => flags[name as keyof RecipeOverrides] !== undefined,
  );
  return (path) => {
    const hit = set.find(([, field]) => field.path.every((key, i) => path[i] === key));
    return hit ? `from ${hit[1].flag}` : undefined;
  };
}

function missingTexts(recipe: Recipe): Problem[] {
  return (['calibration', 'eval'] as const).flatMap((section): Problem[] => {
    const { text, dataset } = recipe[section];
    if (text !== undefined)
      return isFile(text) ? [] : [{ path: [section, 'text'], message: `file not found: ${text}` }];
    const path = dataset.path;
    if (path === undefined || isFile(path)) return [];
    return [{ path: [section, 'dataset', 'path'], message: `file not found: ${path}` }];
  });
}

function isFile(path: string): boolean {
  return existsSync(path) && statSync(path).isFile();
}
