/**
 * `output.fixed_threshold: auto`: after the router fit, the dense model and the learned routing at every
 * `eval.thresholds` value are measured layer by layer (eval/layer-sweep.ts) on the tuning windows — calibration text
 * past `calibration.tokens`, which fitted nothing and is never the eval text — and the fixed graphs get the largest
 * threshold whose perplexity stays within `report.max_ppl_increase` of dense there. The later stages see a plan
 * whose recipe holds that number (moefy.json records it, with the measurements). Cached.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { TokenWindows } from '../../data/windows.js';
import { measureLayerSequential, type LayerPoint } from '../../eval/layer-sweep.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { InternalError } from '../../util/errors.js';
import { routerShape } from '../plan/plan.js';
import type { Plan } from '../plan/types.js';
import { withScratchDir } from '../shared/scratch-dir.js';
import { cachedStage } from '../shared/stage-cache.js';
import type { Adaptation } from './adapt.js';
import type { StageContext } from './context.js';
import { layerEvalModel } from './layer-eval-model.js';
import { type FittedRouters, routerKeyFields } from './router.js';
import type { Targets } from './targets.js';

const CHOICE_FILE = 'threshold.json';

/** What the choice was made from (moefy.json `fixed_threshold_tuning`). */
export interface ThresholdChoice {
  readonly threshold: number;
  readonly windows: number;
  readonly max_ppl_increase: number;
  readonly dense_perplexity: number;
  readonly points: { threshold: number; perplexity: number; ffn_fraction: number }[];
}

export async function resolveFixedThreshold(
  ctx: StageContext,
  a: {
    perms: readonly Int32Array[];
    adaptation: Adaptation;
    routers: FittedRouters;
    targets: Targets;
    windows: TokenWindows | null;
  },
): Promise<{ plan: Plan; choice?: ThresholdChoice }> {
  const { plan } = ctx;
  const { recipe } = plan;
  if (recipe.output.fixed_threshold !== 'auto') return { plan };
  const windows = a.windows;
  if (!windows) throw new InternalError('fixed_threshold auto: no tuning windows were read');
  const stage = ctx.progress.stage('threshold', `auto on ${windows.count} tuning windows`);
  const entry = await cachedStage({
    root: ctx.root,
    stage: 'threshold',
    label: recipe.model,
    inputs: {
      targets: a.targets.key,
      router: { ...routerKeyFields(recipe.router), layer_budgets: undefined },
      seed: recipe.seed,
      thresholds: recipe.eval.thresholds,
      tolerance: recipe.report.max_ppl_increase,
      text: ctx.data.calibration.identity,
      calibration: { ...recipe.calibration, text: undefined, dataset: undefined },
      dtype: recipe.dtype,
    },
    produce: async (dir) => {
      const choice = await withScratchDir(ctx.root, 'threshold', (scratch) =>
        measureChoice(ctx, { ...a, windows, scratch }),
      );
      await writeFile(join(dir, CHOICE_FILE), canonicalJson(choice));
    },
  });
  const choice = JSON.parse(await readFile(join(entry.dir, CHOICE_FILE), 'utf8')) as ThresholdChoice;
  const at = choice.points.find((p) => p.threshold === choice.threshold)!;
  stage.succeed(
    `${entry.cached ? 'from cache: ' : ''}threshold ${choice.threshold} (tuning ppl ` +
      `${(100 * (at.perplexity / choice.dense_perplexity - 1)).toFixed(2)}% vs dense, FFN ${(100 * at.ffn_fraction).toFixed(1)}%)`,
  );
  return {
    plan: { ...plan, recipe: { ...recipe, output: { ...recipe.output, fixed_threshold: choice.threshold } } },
    choice,
  };
}

async function measureChoice(
  ctx: StageContext,
  a: {
    perms: readonly Int32Array[];
    adaptation: Adaptation;
    routers: FittedRouters;
    windows: TokenWindows;
    scratch: string;
  },
): Promise<ThresholdChoice> {
  const { plan, model } = ctx;
  const { recipe } = plan;
  const sizes = plan.experts.map((e) => e.neurons);
  const router = routerShape(recipe, model.ir.config.hidden, sizes.length);
  const thresholds = recipe.eval.thresholds;
  const points: LayerPoint[] = [
    {
      kind: 'dense',
      threshold: null,
      expert: null,
      graph: 'dense',
      fixedChoice: sizes.length - 1,
      router: null,
    },
    ...thresholds.map((t): LayerPoint => ({
      kind: 'learned',
      threshold: t,
      expert: null,
      graph: 'learned',
      router,
    })),
  ];
  const measured = await measureLayerSequential({
    layered: layerEvalModel(ctx, {
      perms: a.perms,
      routers: a.routers.routers,
      adaptation: a.adaptation,
      dir: a.scratch,
    }),
    model: { config: model.ir.config, ffnKind: plan.model.ffnKind, expertSizes: sizes, router },
    windows: a.windows,
    batch: recipe.eval.batch,
    points,
  });
  const dense = measured[0]!.perplexity;
  const learned = thresholds.map((t, i) => ({
    threshold: t,
    perplexity: measured[i + 1]!.perplexity,
    ffn_fraction: measured[i + 1]!.ffn_fraction,
  }));
  const limit = dense * (1 + recipe.report.max_ppl_increase);
  const within = learned.filter((p) => p.perplexity <= limit).map((p) => p.threshold);
  return {
    threshold: within.length > 0 ? Math.max(...within) : 0,
    windows: a.windows.count,
    max_ppl_increase: recipe.report.max_ppl_increase,
    dense_perplexity: dense,
    points: learned,
  };
}
