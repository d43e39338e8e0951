/**
 * What `moefy check` reads: an output directory's report.json and the tolerances of the recipe that made it
 * (`moefy.json` → `recipe.check`), and the committed baseline. Every missing or malformed file is an InputError.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { loadRecipe } from '../../recipe/load.js';
import { recipeSchema } from '../../recipe/schema.js';
import type { Recipe } from '../../recipe/types.js';
import { type Baseline, parseBaseline } from '../../regress/baseline.js';
import type { Tolerances } from '../../regress/verdict.js';
import { parseReport } from '../../report/parse.js';
import type { Report } from '../../report/types.js';
import { MANIFEST_FILE } from '../shared/manifest-sections.js';
import { parseJson, readText, validate } from '../shared/read-json.js';

export const REPORT_FILE = 'report.json';

export function isDirectory(path: string): boolean {
  return existsSync(path) && statSync(path).isDirectory();
}

export async function readOutputReport(outDir: string): Promise<Report> {
  const path = join(outDir, REPORT_FILE);
  const text = await readText(path, `run \`moefy eval ${outDir}\` to write it`);
  return parseReport(text, path);
}

export async function readBaseline(path: string): Promise<Baseline> {
  const text = await readText(path, 'write one with `moefy check … --update-baseline`');
  return parseBaseline(text, path);
}

/** The recipe `moefy convert` resolved into the manifest, or the default recipe's when there is none. */
export async function outputTolerances(outDir: string): Promise<Tolerances> {
  const path = join(outDir, MANIFEST_FILE);
  if (!existsSync(path)) return (await loadRecipe(undefined)).check;
  const manifest = parseJson(await readText(path, 'it is written by `moefy convert`'), path);
  const recipe = (manifest as { recipe?: Partial<Recipe> } | null)?.recipe;
  if (recipe === undefined) return (await loadRecipe(undefined)).check;
  return validate(recipeSchema.shape.check, recipe.check, path, 'recipe.check');
}
