/**
 * `moefy convert`: recipe → resolve the model → plan (app/plan: every refusal happens here, before any stage
 * runs or anything is written) → execute the plan (execute.ts).
 */
import { basename, join, resolve } from 'node:path';
import { sha256File } from '../../checkpoint/resolve.js';
import { loadRecipe } from '../../recipe/load.js';
import type { Recipe, RecipeOverrides } from '../../recipe/types.js';
import { InputError } from '../../util/errors.js';
import { assertWritableTarget } from '../../util/atomic-dir.js';
import { planConversion } from '../plan/run.js';
import type { Plan } from '../plan/types.js';
import { downloadProgress } from '../shared/download-progress.js';
import { checkLock } from '../shared/lock.js';
import type { Progress } from '../shared/progress.js';
import type { ResolvedModel } from '../shared/resolve-model.js';
import { openTextSource } from '../shared/text-source.js';
import { defaultCacheRoot } from '../shared/stage-cache.js';
import { dataPins, type StageContext, type TextSources } from './context.js';
import type { EmitResult } from './emit.js';
import { actualLine, estimateLine, timedProgress } from './estimate-check.js';
import { execute } from './execute.js';
import type { RouterFit } from './router.js';

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
  /** Called with the fitted routers before anything is written; throws to keep the output as it is. */
  readonly acceptRouters?: (fit: RouterFit) => void;
}

export interface ConvertResult {
  readonly outDir: string;
  readonly plan: Plan;
  readonly emitted: EmitResult;
  /** The summary lines (report/console-summary.ts), printed by run.ts. */
  readonly summary: string[];
  readonly seconds: number;
}

function defaultOutDir(model: string): string {
  return join('moefy-out', basename(model.replace(/@.*$/, '')));
}

export async function convert(opts: ConvertOptions): Promise<ConvertResult> {
  const started = performance.now();
  const recipe = opts.recipe ?? (await loadRecipe(opts.recipePath, opts.overrides ?? {}));
  const outDir = resolve(opts.out ?? defaultOutDir(recipe.model));
  assertWritableTarget(outDir, opts); // before any expensive work
  const { plan, model, data } = await resolveStage(opts, recipe);
  // Remarks, not info lines: `--quiet` (CI gates comparing stderr) stays silent; not stages: nothing ran.
  opts.progress.remark('plan', estimateLine(plan));
  const timed = timedProgress(opts.progress);
  const ctx: StageContext = {
    plan,
    model,
    data,
    progress: timed.progress,
    root: opts.cacheRoot ?? defaultCacheRoot(),
    offline: opts.offline === true,
  };
  const { emitted, summary } = await execute(ctx, {
    outDir,
    ...(opts.force !== undefined && { force: opts.force }),
    ...(opts.acceptRouters && { acceptRouters: opts.acceptRouters }),
  });
  const seconds = (performance.now() - started) / 1000;
  opts.progress.remark('estimate', actualLine({ plan, times: timed.times, totalSeconds: seconds }));
  return { outDir, plan, emitted, summary, seconds };
}

/**
 * The checkpoint and the plan for it, the text sources (datasets resolved and pinned), their content identities
 * (cache keys) and, for a recipe file, its lock.
 */
async function resolveStage(
  opts: ConvertOptions,
  recipe: Recipe,
): Promise<{ plan: Plan; model: StageContext['model']; data: TextSources }> {
  const resolving = opts.progress.stage('resolve', recipe.model);
  try {
    const { plan, model } = await planConversion(recipe, {
      offline: opts.offline,
      onProgress: downloadProgress(resolving),
    });
    // Before hashing or reading any weights: a peak that does not fit would fail hours in.
    if (plan.ramProblem !== null)
      throw new InputError(`${plan.ramProblem} (or raise memory.ram_gb to run anyway)`);
    const identity = await checkpointIdentity(model);
    const open = opts.offline ? { offline: true } : {};
    const data = {
      calibration: await openTextSource(recipe.calibration, open),
      eval: await openTextSource(recipe.eval, open),
    };
    // The lock pins the recipe's own model; a model given on the command line is a one-off run.
    if (opts.recipePath && !opts.overrides?.model) {
      const lock = await checkLock({
        recipePath: opts.recipePath,
        resolved: model.checkpoint,
        data: dataPins(data),
        update: opts.updateLock ?? false,
      });
      if (lock.status !== 'unchanged') resolving.note(`lock ${lock.status}: ${lock.path}`);
    }
    resolving.succeed(`${model.ir.config.architecture}, ${model.ir.config.numLayers} layers`);
    return { plan, model: { ...model, identity }, data };
  } catch (err) {
    resolving.fail();
    throw err;
  }
}

/** What the checkpoint's bytes are: the Hub commit, or the sha256 of each local file. */
async function checkpointIdentity(model: ResolvedModel): Promise<unknown> {
  const { source, files } = model.checkpoint;
  if (source.kind === 'hub') return { repo: source.repo, sha: source.sha };
  const hashes: Record<string, string> = {};
  for (const f of files) hashes[f.name] = await sha256File(f.path);
  return hashes;
}
