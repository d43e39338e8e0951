/**
 * `moefy convert`: recipe → resolve → calibrate → experts → targets → routers → emit → eval (the report).
 * Expensive stages go through the content-addressed stage cache, so a rerun after a failure resumes; the output
 * directory is written atomically.
 */
import { rm } from 'node:fs/promises';
import { basename, join, resolve } from 'node:path';
import { sha256File } from '../../checkpoint/resolve.js';
import type { RouterLoss } from '../../graph/router-train-io.js';
import { expertSizes } from '../../ir/flops.js';
import { loadRecipe } from '../../recipe/load.js';
import type { Recipe, RecipeOverrides } from '../../recipe/types.js';
import type { RouterWeights } from '../../router/spec.js';
import { ROUTERS_FILE } from '../../train/checkpoint.js';
import { readRouters } from '../../train/router-file.js';
import { assertWritableTarget, withAtomicDir } from '../../util/atomic-dir.js';
import { type Evaluation, evaluateOutput } from '../eval/eval.js';
import { downloadProgress } from '../shared/download-progress.js';
import { checkLock } from '../shared/lock.js';
import type { Progress } from '../shared/progress.js';
import { resolveModel, type ResolvedModel } from '../shared/resolve-model.js';
import { cachedStage, defaultCacheRoot, stageKey } from '../shared/stage-cache.js';
import { calibrate, type LayerCalibration, readCalibration } from './calibrate.js';
import { openTextSource, type TextSource } from '../shared/text-source.js';
import { emitOutputs, type EmitResult } from './emit.js';
import { computePermutations } from './experts.js';
import { fitRouters, readRouterFit, type RouterFit } from './router.js';
import type { LayerRows } from './ridge-routers.js';
import { computeTargets, type LayerTargets, readTargets } from './targets.js';

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
  const { model, data } = await resolveStage(opts, recipe);
  const ctx: StageContext = {
    recipe,
    model,
    data,
    progress: opts.progress,
    root: opts.cacheRoot ?? defaultCacheRoot(),
    offline: opts.offline === true,
  };
  const sizes = expertSizes(model.ir.config.ffnDim, recipe.experts.sizes, recipe.experts.align);
  const cal = await calibrationStage(ctx);

  const expStage = opts.progress.stage('experts', `sizes ${sizes.join('/')}`);
  const perms = await computePermutations({ ir: model.ir, recipe, calibration: cal.rows });
  expStage.succeed();

  const targets = await targetsStage(ctx, { cal, perms, sizes });
  const routers = await routerStage(ctx, { cal: cal.rows, targets, sizes });
  const { emitted, evaluation } = await withAtomicDir(outDir, opts, (dir) =>
    emitAndEvaluate(ctx, { dir, outDir, sizes, perms, routers }),
  );
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

interface StageContext {
  readonly recipe: Recipe;
  readonly model: ResolvedModel & { readonly identity: unknown };
  /** Calibration and eval text, opened (datasets resolved and pinned) before any expensive work. */
  readonly data: TextSources;
  readonly progress: Progress;
  readonly root: string;
  readonly offline: boolean;
}

interface TextSources {
  readonly calibration: TextSource;
  readonly eval: TextSource;
}

/** The checkpoint and the text sources, their content identities (cache keys) and, for a recipe file, its lock. */
async function resolveStage(
  opts: ConvertOptions,
  recipe: Recipe,
): Promise<{ model: StageContext['model']; data: TextSources }> {
  const resolving = opts.progress.stage('resolve', recipe.model);
  const model = await resolveModel(recipe, {
    offline: opts.offline,
    onProgress: downloadProgress(resolving),
  });
  const identity = await checkpointIdentity(model);
  const open = opts.offline ? { offline: true } : {};
  const data = {
    calibration: await openTextSource(recipe.calibration, open),
    eval: await openTextSource(recipe.eval, open),
  };
  const pins = Object.fromEntries(
    Object.entries(data).flatMap(([section, s]) => (s.pin ? [[section, s.pin]] : [])),
  );
  // The lock pins the recipe's own model; a model given on the command line is a one-off run.
  if (opts.recipePath && !opts.overrides?.model) {
    const lock = await checkLock({
      recipePath: opts.recipePath,
      resolved: model.checkpoint,
      data: pins,
      update: opts.updateLock ?? false,
    });
    if (lock.status !== 'unchanged') resolving.note(`lock ${lock.status}: ${lock.path}`);
  }
  resolving.succeed(`${model.ir.config.architecture}, ${model.ir.config.numLayers} layers`);
  return { model: { ...model, identity }, data };
}

async function calibrationStage(ctx: StageContext): Promise<{ key: unknown; rows: LayerCalibration[] }> {
  const { recipe, model } = ctx;
  const key = {
    source: model.identity,
    text: ctx.data.calibration.identity,
    // The dataset spec's resolved content is in `text`; its local path must not make the key path-dependent.
    calibration: { ...recipe.calibration, text: undefined, dataset: undefined },
    seed: recipe.seed,
    grouping: recipe.experts.grouping,
  };
  const stage = ctx.progress.stage('calibrate', `${recipe.calibration.tokens} tokens`);
  const cal = await cachedStage({
    root: ctx.root,
    stage: 'calibrate',
    inputs: key,
    produce: (dir) =>
      calibrate(
        { ir: model.ir, tokenizerDir: model.checkpoint.dir, recipe, text: ctx.data.calibration, stage },
        dir,
      ),
  });
  stage.succeed(cal.cached ? 'from cache' : undefined);
  return { key, rows: await readCalibration(cal.dir, model.ir.config.numLayers) };
}

async function targetsStage(
  ctx: StageContext,
  a: { cal: { key: unknown; rows: LayerCalibration[] }; perms: Int32Array[]; sizes: number[] },
): Promise<{ key: string; layers: LayerTargets[] }> {
  const { recipe, model } = ctx;
  const errorBase = recipe.router.error;
  const stage = ctx.progress.stage('targets');
  const tgt = await cachedStage({
    root: ctx.root,
    stage: 'targets',
    inputs: {
      calibrationKey: a.cal.key,
      experts: recipe.experts,
      error: errorBase,
      perms: a.perms.map((p) => Array.from(p)),
    },
    produce: (dir) =>
      computeTargets(
        { ir: model.ir, calibration: a.cal.rows, perms: a.perms, sizes: a.sizes, errorBase, stage },
        dir,
      ),
  });
  stage.succeed(tgt.cached ? 'from cache' : undefined);
  return { key: basename(tgt.dir), layers: await readTargets(tgt.dir, model.ir.config.numLayers) };
}

interface FittedRouters extends RouterFit {
  readonly routers: RouterWeights[];
  readonly routerLoss: RouterLoss;
}

async function routerStage(
  ctx: StageContext,
  a: { cal: LayerCalibration[]; targets: { key: string; layers: LayerTargets[] }; sizes: number[] },
): Promise<FittedRouters> {
  const { recipe } = ctx;
  const targets = a.targets.layers;
  const rows: LayerRows[] = a.cal.map((c, i) => ({ rows: c.rows, x: c.x, z: targets[i]!.z }));
  const stage = ctx.progress.stage('router', recipe.router.kind);
  const inputs = { targets: a.targets.key, router: recipe.router, seed: recipe.seed };
  // Training checkpoints live outside the stage's temp dir so an interrupted run resumes from them.
  const checkpointDir = join(ctx.root, 'router', `.train-${stageKey(inputs)}`);
  const fitted = await cachedStage({
    root: ctx.root,
    stage: 'router',
    inputs,
    produce: (dir) => fitRouters({ recipe, rows, targets, sizes: a.sizes, stage, dir, checkpointDir }),
  });
  await rm(checkpointDir, { recursive: true, force: true });
  const { weights, loss } = await readRouters(join(fitted.dir, ROUTERS_FILE));
  const fit = await readRouterFit(fitted.dir);
  stage.succeed(fitted.cached ? 'from cache' : undefined);
  return { ...fit, routers: weights, routerLoss: loss };
}

/** Inside the atomic dir: an output directory that looks complete always has its report. */
async function emitAndEvaluate(
  ctx: StageContext,
  a: { dir: string; outDir: string; sizes: number[]; perms: Int32Array[]; routers: FittedRouters },
): Promise<{ emitted: EmitResult; evaluation: Evaluation }> {
  const { recipe, model, progress } = ctx;
  const emitStage = progress.stage('emit', a.outDir);
  const emitted = await emitOutputs({
    dir: a.dir,
    model,
    recipe,
    sizes: a.sizes,
    perms: a.perms,
    ...a.routers,
    data: Object.fromEntries(
      Object.entries(ctx.data).flatMap(([section, s]) => (s.pin ? [[section, s.pin]] : [])),
    ),
    stage: emitStage,
  });
  emitStage.succeed(`${emitted.files.length} files`);
  const evalStage = progress.stage('eval', `${recipe.eval.thresholds.length} thresholds`);
  const evaluation = await evaluateOutput({
    dir: a.dir,
    settings: recipe.eval,
    stage: evalStage,
    ...(ctx.offline ? { offline: true } : {}),
  });
  evalStage.succeed(`${evaluation.report.points.length} points`);
  return { emitted, evaluation };
}

/** What the checkpoint's bytes are: the Hub commit, or the sha256 of each local file. */
async function checkpointIdentity(model: ResolvedModel): Promise<unknown> {
  const { source, files } = model.checkpoint;
  if (source.kind === 'hub') return { repo: source.repo, sha: source.sha };
  const hashes: Record<string, string> = {};
  for (const f of files) hashes[f.name] = await sha256File(f.path);
  return hashes;
}
