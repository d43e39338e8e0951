/**
 * `moefy train <out-dir>`: (re)train the MLP routers of a converted model and rebuild its graphs and report. The
 * recipe comes from the directory's moefy.json; calibration and targets come from the stage cache (recomputed if
 * the cache was cleared), and an interrupted training resumes from its checkpoints. The directory is replaced
 * atomically at the end, like a `convert --force`.
 */
import { join, resolve } from 'node:path';
import { z } from 'zod';
import type { Device } from '../../runtime/device.js';
import { recipeSchema } from '../../recipe/schema.js';
import type { Recipe } from '../../recipe/types.js';
import { convert, type ConvertResult } from '../convert/convert.js';
import { MANIFEST_FILE } from '../shared/manifest-sections.js';
import type { Progress } from '../shared/progress.js';
import { readJsonFile } from '../shared/read-json.js';

export interface TrainOverrides {
  readonly steps?: number;
  readonly lr?: number;
  readonly device?: Device;
  readonly target?: 'relative-error' | 'classification';
}

export interface TrainOptions {
  readonly dir: string;
  readonly overrides: TrainOverrides;
  readonly progress: Progress;
  readonly cacheRoot?: string;
}

// Paths in the recorded recipe are already resolved (absolute), so the schema's output is the stage recipe.
const manifestSchema = z.object({
  kind: z.literal('moe'),
  recipe: recipeSchema.extend({ model: z.string() }),
});

export async function trainOutput(opts: TrainOptions): Promise<ConvertResult> {
  const dir = resolve(opts.dir);
  const path = join(dir, MANIFEST_FILE);
  const manifest = await readJsonFile(
    path,
    manifestSchema,
    'expected an output directory of `moefy convert`',
  );
  const recorded = manifest.recipe as Recipe;
  const { steps, lr, device, target } = opts.overrides;
  const recipe: Recipe = {
    ...recorded,
    router: {
      ...recorded.router,
      kind: 'mlp',
      ...(target && { target }),
      train: {
        ...recorded.router.train,
        ...(steps !== undefined && { steps }),
        ...(lr !== undefined && { lr }),
        ...(device && { device }),
      },
    },
  };
  return convert({ recipe, out: dir, force: true, progress: opts.progress, cacheRoot: opts.cacheRoot });
}
