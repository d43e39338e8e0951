/**
 * The router stage: the closed-form ridge fit always (ridge-routers.ts; it is the baseline the MLP must beat, and
 * its error is recorded), then MLP training when the plan has it (mlp-routers.ts). Cached like the other stages;
 * `fit.json` keeps the summary beside the weights so a cached stage still reports it, and training checkpoints live
 * outside the stage's temp dir so an interrupted run resumes from them.
 */
import { readFile, rm, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { RouterLoss } from '../../graph/router-train-io.js';
import { type FeatureScale, foldFeatureScale, routerRows } from '../../router/features.js';
import { type RouterWeights, withInput } from '../../router/spec.js';
import { InternalError } from '../../util/errors.js';
import { ROUTERS_FILE } from '../../train/checkpoint.js';
import { readRouters, writeRouters } from '../../train/router-file.js';
import type { Recipe } from '../../recipe/types.js';
import type { PlanStages } from '../plan/types.js';
import type { RouterFitSummary } from '../shared/manifest.js';
import { cachedStage, stageKey } from '../shared/stage-cache.js';
import type { Calibration } from './calibrate.js';
import type { StageContext } from './context.js';
import { trainMlpRouters, type RouterStageInput, type TrainSummary } from './mlp-routers.js';
import { fitRidgeRouters, type LayerRows } from './ridge-routers.js';
import type { Targets } from './targets.js';

const FIT_FILE = 'fit.json';

/** What `fit.json` holds. */
export interface RouterFit {
  readonly routerFit: RouterFitSummary;
  readonly train: TrainSummary | undefined;
}

export interface FittedRouters extends RouterFit {
  readonly routers: RouterWeights[];
  readonly routerLoss: RouterLoss;
}

/** The cached router stage: keyed by the targets entry, the router settings and the seed. */
export async function routerStage(
  ctx: StageContext,
  a: { cal: Calibration; targets: Targets },
): Promise<FittedRouters> {
  const { recipe, stages } = ctx.plan;
  const targets = a.targets.layers;
  const { input } = recipe.router;
  // Both fits see the router's whole input as plain rows: x, then standardized log‖r‖ for `normed+log_norm`
  // (router/features.ts), whose scale each layer's weights take in after the fit.
  const scales: (FeatureScale | undefined)[] = [];
  const rows: LayerRows[] = a.cal.rows.map((c, i) => {
    if (input !== 'normed' && !c.residualNorms)
      throw new InternalError(`router.input ${input}: calibration layer ${i} has no residual norms`);
    const { x, scale } = routerRows(input, { x: c.x, rows: c.rows, residualNorms: c.residualNorms });
    scales.push(scale);
    return { rows: c.rows, x, z: targets[i]!.z, windows: c.windows };
  });
  const stage = ctx.progress.stage('router', recipe.router.kind);
  // Per-layer budgets are searched after the fit (budgets.ts): they do not change the routers.
  const inputs = {
    targets: a.targets.key,
    router: { ...routerKeyFields(recipe.router), layer_budgets: undefined },
    seed: recipe.seed,
  };
  const checkpointDir = join(ctx.root, 'router', `.train-${stageKey(inputs)}`);
  const fitted = await cachedStage({
    root: ctx.root,
    stage: 'router',
    label: ctx.plan.recipe.model,
    inputs,
    produce: (dir) =>
      fitRouters({
        recipe,
        train: stages.router.train,
        rows,
        targets,
        sizes: ctx.plan.experts.map((e) => e.neurons),
        hidden: ctx.model.ir.config.hidden,
        scales,
        stage,
        dir,
        checkpointDir,
      }),
  });
  await rm(checkpointDir, { recursive: true, force: true });
  const { weights, loss } = await readRouters(join(fitted.dir, ROUTERS_FILE));
  const fit = await readRouterFit(fitted.dir);
  stage.succeed(fitted.cached ? 'from cache' : undefined);
  return { ...fit, routers: weights, routerLoss: loss };
}

/**
 * The router settings as stage cache keys take them: `input: normed` (the default) is left out, so the entries
 * written before the router input was a choice stay valid.
 */
export function routerKeyFields(
  router: Recipe['router'],
): Omit<Recipe['router'], 'input'> & { input?: string } {
  return { ...router, input: router.input === 'normed' ? undefined : router.input };
}

/** The training inputs, with the plan's training step (null: the ridge router alone). */
type FitInput = Omit<RouterStageInput, 'device'> & {
  readonly train: PlanStages['router']['train'];
  /** The model's hidden size: the rows' width is it plus the router input's extra features. */
  readonly hidden: number;
  /** Per layer, the standardization of log‖r‖ in the rows (undefined for `normed`). */
  readonly scales: readonly (FeatureScale | undefined)[];
};

async function fitRouters(input: FitInput): Promise<void> {
  const { recipe, rows, train } = input;
  const d = rows[0] ? rows[0].x.length / rows[0].rows : 0; // the router's input width
  const { heldout } = recipe.router.train;
  const ridge = await fitRidgeRouters({
    rows,
    d,
    lambda: recipe.router.ridge_lambda,
    heldout,
    seed: recipe.seed,
  });
  const trained = train ? await trainMlpRouters({ ...input, device: train.device }) : undefined;
  const loss = recipe.router.kind === 'mlp' && recipe.router.target === 'classification' ? 'bce' : 'mse';
  const weights = (trained?.weights ?? ridge.weights).map((w, i) => {
    const scale = input.scales[i];
    return withInput(scale ? foldFeatureScale(w, scale) : w, recipe.router.input, input.hidden);
  });
  await writeRouters(join(input.dir, ROUTERS_FILE), weights, loss);
  const held = ridge.heldoutMse.filter((v): v is number => v !== null);
  const fit: RouterFit = {
    routerFit: {
      ridge_lambda: recipe.router.ridge_lambda,
      ridge_train_mse: ridge.trainMse,
      ridge_heldout_mse: ridge.heldoutMse,
      ridge_mean_heldout_mse: held.length ? held.reduce((a, b) => a + b, 0) / held.length : null,
    },
    train: trained?.summary,
  };
  await writeFile(join(input.dir, FIT_FILE), `${JSON.stringify(fit, null, 2)}\n`);
}

async function readRouterFit(dir: string): Promise<RouterFit> {
  return JSON.parse(await readFile(join(dir, FIT_FILE), 'utf8')) as RouterFit;
}
