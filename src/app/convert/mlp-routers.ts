/**
 * MLP router training, the second half of the router stage (router.ts): targets from the recipe (log-errors for `relative-error`, 0/1 "expert k
 * suffices" labels for `classification`), a seeded init whose output bias starts at the mean target, and ORT
 * training with checkpoints kept outside the stage's temp dir (an interrupted stage resumes from them).
 */
import { mkdir } from 'node:fs/promises';
import type { Recipe } from '../../recipe/types.js';
import type { Device } from '../../runtime/device.js';
import { initMlpRouter } from '../../router/spec.js';
import type { ErrorTable } from '../../router/targets.js';
import { sufficiencyLabels } from '../../train/labels.js';
import { trainRouters } from '../../train/train-routers.js';
import type { TrainResult, TrainSummary } from '../../train/types.js';
import type { Stage } from '../shared/progress.js';
import type { LayerRows } from './ridge-routers.js';
import type { LayerTargets } from './targets.js';

export type { TrainSummary };

export interface RouterStageInput {
  readonly recipe: Recipe;
  /** plan.stages.router.train.device: checked usable before any stage ran. */
  readonly device: Device;
  readonly rows: readonly LayerRows[];
  readonly targets: readonly LayerTargets[];
  readonly sizes: readonly number[];
  readonly stage: Stage;
  readonly dir: string;
  /** Where training checkpoints go (kept across interrupted runs). */
  readonly checkpointDir: string;
}

export async function trainMlpRouters(input: RouterStageInput): Promise<TrainResult> {
  const { recipe, rows } = input;
  const t = recipe.router.train;
  const classification = recipe.router.target === 'classification';
  const outputs = input.sizes.length - 1;
  const layerRows = rows.map((r, i) => ({
    x: r.x,
    z: classification ? sufficiencyLabels(errorTable(input.targets[i]!), recipe.router.tolerance) : r.z,
  }));
  const init = rows.map((r, i) =>
    initMlpRouter({
      d: r.x.length / r.rows,
      hidden: recipe.router.hidden,
      outputs,
      seed: recipe.seed * 1000 + i,
      ...(classification ? {} : { outputBias: meanColumns(r.z, outputs) }),
    }),
  );
  await mkdir(input.checkpointDir, { recursive: true });
  const bar = input.stage.bar('steps', t.steps);
  // The bar shows the step reached, so a run resumed from a checkpoint at step 200 continues at 201/400.
  let shown = 0;
  const result = await trainRouters({
    rows: layerRows,
    init,
    steps: t.steps,
    batch: t.batch,
    lr: t.lr,
    schedule: t.schedule,
    heldout: t.heldout,
    patience: t.patience,
    ...(rows[0]?.windows && { groups: rows[0].windows }),
    seed: recipe.seed,
    device: input.device,
    weightDecay: t.weight_decay,
    loss: classification ? 'bce' : 'mse',
    onProgress: (p) => {
      bar.tick(p.step - shown, `loss ${p.trainLoss.toFixed(4)}`);
      shown = p.step;
    },
    checkpoint: { dir: input.checkpointDir, every: 100 },
  });
  bar.tick(result.summary.steps - shown); // a run resumed at its last step reports no progress of its own
  bar.done(`held-out ${result.summary.final_heldout_loss?.toFixed(4) ?? 'n/a'}`);
  return result;
}

function meanColumns(z: Float32Array, cols: number): Float64Array {
  const mean = new Float64Array(cols);
  const rows = z.length / cols;
  for (let i = 0; i < z.length; i++) mean[i % cols]! += z[i]! / rows;
  return mean;
}

function errorTable(t: LayerTargets): ErrorTable {
  return { rows: t.rows, experts: t.e.length / t.rows, data: t.e };
}
