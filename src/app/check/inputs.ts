/**
 * What `moefy check` reads: an output directory's report.json and the tolerances of the recipe that made it
 * (`moefy.json` → `recipe.check`), and the committed baseline. Every missing or malformed file is an InputError.
 */
import { existsSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { loadRecipe } from '../../recipe/load.js';
import { type Baseline, parseBaseline } from '../../regress/baseline.js';
import type { Tolerances } from '../../regress/verdict.js';
import { parseReport } from '../../report/parse.js';
import type { Report } from '../../report/types.js';
import { MANIFEST_FILE, moeManifestSchema, readManifest } from '../shared/manifest.js';
import { readText } from '../shared/read-json.js';

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

/** Only `recipe.check` of the manifest, and only if it is there (an output written by other tools may lack it). */
const tolerancesOnly = z.object({
  recipe: z.object({ check: moeManifestSchema.shape.recipe.shape.check }).optional(),
});

/** The recipe `moefy convert` resolved into the manifest, or the default recipe's when there is none. */
export async function outputTolerances(outDir: string): Promise<Tolerances> {
  if (!existsSync(join(outDir, MANIFEST_FILE))) return (await loadRecipe(undefined)).check;
  const { recipe } = await readManifest(outDir, tolerancesOnly);
  return recipe?.check ?? (await loadRecipe(undefined)).check;
}
