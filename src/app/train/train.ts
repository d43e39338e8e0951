/**
 * `moefy train <out-dir>`: (re)train the MLP routers of a converted model and rebuild its graphs and report. The
 * recipe is the one the directory's moefy.json records, with `router.kind: mlp` and the command's flags applied
 * through the recipe's own schema and rules; convert then plans and executes it like any recipe. Calibration and
 * targets come from the stage cache (recomputed if the cache was cleared), and an interrupted training resumes
 * from its checkpoints. The directory is replaced atomically at the end, like a `convert --force`.
 */
import { join, resolve } from 'node:path';
import { reviseRecipe } from '../../recipe/load.js';
import type { Recipe } from '../../recipe/types.js';
import { InputError } from '../../util/errors.js';
import { convert, type ConvertResult } from '../convert/convert.js';
import type { RouterFit } from '../convert/router.js';
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
  /** Replace the routers even when the new ones are worse on the held-out rows. */
  readonly force?: boolean;
}

const recorded = moeManifestSchema.pick({ kind: true, recipe: true, router: true });

type TrainSummaryInPlace = { readonly steps: number; readonly final_heldout_loss: number | null } | null;

export async function trainOutput(opts: TrainOptions): Promise<ConvertResult> {
  const dir = resolve(opts.dir);
  const manifest = await readManifest(dir, recorded);
  // The routers' input as recorded: an output from before the choice keeps routers that read x alone.
  const input = manifest.router.input ?? 'normed';
  const mlp = { ...manifest.recipe, router: { ...manifest.recipe.router, kind: 'mlp', input } };
  const recipe = reviseRecipe(mlp, join(dir, MANIFEST_FILE), { ...opts.overrides });
  const now = { recipe: manifest.recipe, train: manifest.router.train };
  return convert({
    recipe,
    out: dir,
    force: true,
    progress: opts.progress,
    cacheRoot: opts.cacheRoot,
    ...(!opts.force && { acceptRouters: (fit: RouterFit) => refuseWorse(dir, now, { recipe, fit }) }),
  });
}

/**
 * A retraining that ends worse on the held-out rows than the routers in place must not replace them silently.
 * Losses compare only when both runs scored the same rows with the same loss: same calibration and targets (the
 * stage cache key), the same held-out fraction and seed, and the same target kind.
 */
function refuseWorse(
  dir: string,
  now: { recipe: Recipe; train: TrainSummaryInPlace },
  next: { recipe: Recipe; fit: RouterFit },
): void {
  const old = now.train?.final_heldout_loss ?? null;
  const fresh = next.fit.train?.final_heldout_loss ?? null;
  if (old === null || fresh === null || fresh <= old) return;
  const [a, b] = [now.recipe, next.recipe];
  const comparable =
    a.router.kind === 'mlp' &&
    a.router.target === b.router.target &&
    a.router.train.heldout === b.router.train.heldout &&
    a.seed === b.seed &&
    JSON.stringify(a.calibration) === JSON.stringify(b.calibration);
  if (!comparable) return;
  throw new InputError(
    `${dir}: the retrained routers are worse on the held-out rows (loss ${fresh.toFixed(4)} after ` +
      `${next.fit.train!.steps} steps vs ${old.toFixed(4)} after ${now.train!.steps} now); the output is ` +
      'unchanged. Pass --force to replace them anyway (the new routers are cached: no retraining)',
  );
}
