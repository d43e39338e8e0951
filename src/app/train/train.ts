/**
 * `moefy train <out-dir>`: (re)train the MLP routers of a converted model and rebuild its graphs and report. The
 * recipe is the one the directory's moefy.json records, with `router.kind: mlp` and the command's flags applied
 * through the recipe's own schema and rules; convert then plans and executes it like any recipe. Calibration and
 * targets come from the stage cache (recomputed if the cache was cleared), and an interrupted training resumes
 * from its checkpoints. The directory is replaced atomically at the end, like a `convert --force`.
 */
import { join, resolve } from 'node:path';
import { reviseRecipe } from '../../recipe/load.js';
import { convert, type ConvertResult } from '../convert/convert.js';
import { MANIFEST_FILE, moeManifestSchema, readManifest } from '../shared/manifest.js';
import type { Progress } from '../shared/progress.js';

/** The flags `moefy train` takes, as parsed from argv: the recipe's field schemas validate them. */
export interface TrainOverrides {
  readonly steps?: number;
  readonly lr?: number;
  readonly device?: string;
  readonly target?: string;
}

export interface TrainOptions {
  readonly dir: string;
  readonly overrides: TrainOverrides;
  readonly progress: Progress;
  readonly cacheRoot?: string;
}

const recordedRecipe = moeManifestSchema.pick({ kind: true, recipe: true });

export async function trainOutput(opts: TrainOptions): Promise<ConvertResult> {
  const dir = resolve(opts.dir);
  const { recipe: recorded } = await readManifest(dir, recordedRecipe);
  const mlp = { ...recorded, router: { ...recorded.router, kind: 'mlp' } };
  const recipe = reviseRecipe(mlp, join(dir, MANIFEST_FILE), { ...opts.overrides });
  return convert({ recipe, out: dir, force: true, progress: opts.progress, cacheRoot: opts.cacheRoot });
}
