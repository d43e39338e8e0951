/**
 * `moefy convert`: recipe → resolve → calibrate → experts → targets → routers → emit → eval (the report).
 * Expensive stages go through the content-addressed stage cache, so a rerun after a failure resumes; the output
 * directory is written atomically.
 */
import { rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { sha256File } from '../../checkpoint/resolve.js';
import { expertSizes } from '../../ir/flops.js';
import { loadRecipe } from '../../recipe/load.js';
import type { Recipe, RecipeOverrides } from '../../recipe/types.js';
import { assertWritableTarget, withAtomicDir } from '../../util/atomic-dir.js';
import { evaluateOutput } from '../eval.js';
import type { Progress } from '../progress.js';
import { checkLock } from '../lock.js';
import { resolveModel, type ResolvedModel } from '../resolve-model.js';
import { cachedStage, defaultCacheRoot, stageKey } from '../stage-cache.js';
import { calibrate, readCalibration } from './calibrate.js';
import { emitOutputs, type EmitResult } from './emit.js';
import { computePermutations } from './experts-stage.js';
import { ROUTERS_FILE } from '../../train/checkpoint.js';
import { readRouters } from '../../train/router-file.js';
import type { LayerRows } from './router-stage.js';
import { fitRouters, readRouterFit } from './router-fit.js';
import { computeTargets, readTargets } from './targets-stage.js';

export interface ConvertOptions {
  readonly recipePath?: string;
  /** An already resolved recipe (e.g. from an output's manifest); wins over recipePath. */
  readonly recipe?: Recipe;
  readonly overrides?: RecipeOverrides;
  readonly out?: string;
  readonly force?: boolean;
  readonly offline?: boolean;
  /** Accept a checkpoint that differs from the recipe's lock file. */
  readonly updateLock?: boolean;
  readonly cacheRoot?: string;
  readonly progress: Progress;
}

export interface ConvertResult {
  readonly outDir: string;
  readonly recipe: Recipe;
  readonly sizes: number[];
  readonly emitted: EmitResult;
  /** One line per threshold (app/eval-summary.ts), printed by run.ts. */
  readonly summary: string[];
  readonly seconds: number;
}

export function defaultOutDir(model: string): string {
  return join('moefy-out', basename(model.replace(/@.*$/, '')));
}

export async function convert(opts: ConvertOptions): Promise<ConvertResult> {
  const started = performance.now();
  const recipe = opts.recipe ?? (await loadRecipe(opts.recipePath, opts.overrides ?? {}));
  const outDir = resolve(opts.out ?? defaultOutDir(recipe.model));
  assertWritableTarget(outDir, opts); // before any expensive work
  const { progress } = opts;
  const root = opts.cacheRoot ?? defaultCacheRoot();

  const resolving = progress.stage('resolve', recipe.model);
  const model = await resolveModel(recipe, { offline: opts.offline });
  const sourceId = await checkpointIdentity(model);
  // The lock pins the recipe's own model; a model given on the command line is a one-off run.
  if (opts.recipePath && !opts.overrides?.model) {
    const lock = await checkLock({
      recipePath: opts.recipePath,
      resolved: model.checkpoint,
      update: opts.updateLock ?? false,
    });
    if (lock.status !== 'unchanged') resolving.note(`lock ${lock.status}: ${lock.path}`);
  }
  resolving.succeed(`${model.ir.config.architecture}, ${model.ir.config.numLayers} layers`);

  const sizes = expertSizes(model.ir.config.ffnDim, recipe.experts.sizes, recipe.experts.align);
  const calibrationKey = {
    source: sourceId,
    text: await sha256File(recipe.calibration.text),
    calibration: { ...recipe.calibration, text: undefined },
    seed: recipe.seed,
    grouping: recipe.experts.grouping,
  };
  const calStage = progress.stage('calibrate', `${recipe.calibration.tokens} tokens`);
  const cal = await cachedStage({
    root,
    stage: 'calibrate',
    inputs: calibrationKey,
    produce: (dir) =>
      calibrate({ ir: model.ir, tokenizerDir: model.checkpoint.dir, recipe, stage: calStage }, dir),
  });
  calStage.succeed(cal.cached ? 'from cache' : undefined);
  const calibration = await readCalibration(cal.dir, model.ir.config.numLayers);

  const expStage = progress.stage('experts', `sizes ${sizes.join('/')}`);
  const perms = await computePermutations({ ir: model.ir, recipe, calibration });
  expStage.succeed();

  const tgtStage = progress.stage('targets');
  const tgt = await cachedStage({
    root,
    stage: 'targets',
    inputs: {
      calibrationKey,
      experts: recipe.experts,
      error: recipe.router.error,
      perms: perms.map((p) => Array.from(p)),
    },
    produce: (dir) =>
      computeTargets(
        { ir: model.ir, calibration, perms, sizes, errorBase: recipe.router.error, stage: tgtStage },
        dir,
      ),
  });
  tgtStage.succeed(tgt.cached ? 'from cache' : undefined);
  const targets = await readTargets(tgt.dir, model.ir.config.numLayers);
  const rows: LayerRows[] = calibration.map((c, i) => ({ rows: c.rows, x: c.x, z: targets[i]!.z }));

  const routerStage = progress.stage('router', recipe.router.kind);
  const routerInputs = { targets: basename(tgt.dir), router: recipe.router, seed: recipe.seed };
  // Training checkpoints live outside the stage's temp dir so an interrupted run resumes from them.
  const checkpointDir = join(root, 'router', `.train-${stageKey(routerInputs)}`);
  const fitted = await cachedStage({
    root,
    stage: 'router',
    inputs: routerInputs,
    produce: (dir) => fitRouters({ recipe, rows, targets, sizes, stage: routerStage, dir, checkpointDir }),
  });
  await rm(checkpointDir, { recursive: true, force: true });
  const { weights: routers, loss: routerLoss } = await readRouters(join(fitted.dir, ROUTERS_FILE));
  const routerFit = await readRouterFit(fitted.dir);
  routerStage.succeed(fitted.cached ? 'from cache' : undefined);

  const { emitted, evaluation } = await withAtomicDir(outDir, opts, async (dir) => {
    const emitStage = progress.stage('emit', outDir);
    const input = { dir, model, recipe, sizes, perms, routers, routerLoss, ...routerFit, stage: emitStage };
    const emitted = await emitOutputs(input);
    emitStage.succeed(`${emitted.files.length} files`);
    // Inside the atomic dir: an output directory that looks complete always has its report.
    const evalStage = progress.stage('eval', `${recipe.eval.thresholds.length} thresholds`);
    const evaluation = await evaluateOutput({ dir, settings: recipe.eval, stage: evalStage });
    evalStage.succeed(`${evaluation.report.points.length} points`);
    return { emitted, evaluation };
  });
  const files = [...emitted.files, ...evaluation.files.map((f) => basename(f))].sort();
  return {
    outDir,
    recipe,
    sizes,
    emitted: { ...emitted, files },
    summary: evaluation.lines,
    seconds: (performance.now() - started) / 1000,
  };
}

/** What the checkpoint's bytes are: the Hub commit, or the sha256 of each local file. */
async function checkpointIdentity(model: ResolvedModel): Promise<unknown> {
  const { source, files } = model.checkpoint;
  if (source.kind === 'hub') return { repo: source.repo, sha: source.sha };
  const hashes: Record<string, string> = {};
  for (const f of files) hashes[f.name] = await sha256File(f.path);
  return hashes;
}
