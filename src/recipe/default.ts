/**
 * The built-in default recipe: the schema's defaults applied to the kjv-llama fixture that ships in the package
 * (`files` in package.json). Paths are found from this module's URL, which sits two levels below the package root
 * both as src/recipe/default.ts (tsx) and as dist/recipe/default.js (build).
 */
import { fileURLToPath } from 'node:url';
import { join } from 'node:path';

export const DEFAULT_RECIPE_NAME = '<built-in default recipe>';

export const packageRoot: string = fileURLToPath(new URL('../../', import.meta.url));

/** The embedded model and texts that absent recipe fields stand for. */
export const EMBEDDED = {
  model: join(packageRoot, 'fixtures', 'kjv-llama'),
  calibrationText: join(packageRoot, 'fixtures', 'kjv-llama', 'calibration.txt'),
  evalText: join(packageRoot, 'fixtures', 'kjv-llama', 'eval.txt'),
} as const;
