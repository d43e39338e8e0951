/**
 * The router stage's body: the closed-form ridge fit always (it is the baseline the MLP must beat, and its error is
 * recorded), then MLP training when the recipe asks for it. `fit.json` keeps the summary beside the weights so a
 * cached stage still reports it.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { ROUTERS_FILE } from '../../train/checkpoint.js';
import { writeRouters } from '../../train/router-file.js';
import { fitRidgeRouters } from './ridge-routers.js';
import { trainRouterStage, type TrainStageInput, type TrainSummary } from './mlp-routers.js';

const FIT_FILE = 'fit.json';

export interface RouterFit {
  readonly routerFit: {
    ridge_lambda: number;
    /** Per layer, then the mean over layers (the MLP summary's losses are means over layers too). */
    ridge_train_mse: number[];
    ridge_heldout_mse: (number | null)[];
    ridge_mean_heldout_mse: number | null;
  };
  readonly train: TrainSummary | undefined;
}

/** The stage's inputs are the training's: the ridge fit needs a subset of them. */
export type FitInput = TrainStageInput;

export async function fitRouters(input: FitInput): Promise<void> {
  const { recipe, rows } = input;
  const d = rows[0] ? rows[0].x.length / rows[0].rows : 0;
  const { heldout } = recipe.router.train;
  const ridge = fitRidgeRouters({ rows, d, lambda: recipe.router.ridge_lambda, heldout, seed: recipe.seed });
  const trained = recipe.router.kind === 'mlp' ? await trainRouterStage(input) : undefined;
  const loss = recipe.router.kind === 'mlp' && recipe.router.target === 'classification' ? 'bce' : 'mse';
  await writeRouters(join(input.dir, ROUTERS_FILE), trained?.weights ?? ridge.weights, loss);
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

export async function readRouterFit(dir: string): Promise<RouterFit> {
  return JSON.parse(await readFile(join(dir, FIT_FILE), 'utf8')) as RouterFit;
}
