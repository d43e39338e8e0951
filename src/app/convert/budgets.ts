/**
 * Per-layer budgets stage (`router.layer_budgets`): with `greedy`, per-layer threshold multipliers s_l (layer l
 * routes at s_l · router_threshold) searched on tuning windows — calibration text read past `calibration.tokens`,
 * which fitted neither experts, adaptation nor routers and is never the eval text — at the threshold the fixed
 * graphs bake in (`output.fixed_threshold`), moving compute between layers at no more total FFN compute than one
 * threshold for all (router/layer-budgets.ts). Every round measures its scale vectors in one layer-by-layer pass
 * (eval/layer-sweep.ts, the emitted graphs' experts and routers). Cached; `none` gives every layer 1.
 */
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { collectWindows, streamTextWindows, type TokenWindows } from '../../data/windows.js';
import { loadTokenizer } from '../../data/tokenizer.js';
import { measureLayerSequential } from '../../eval/layer-sweep.js';
import {
  applyTrade,
  type BudgetMeasure,
  bestTrade,
  roundCandidates,
  toRound,
} from '../../router/layer-budgets.js';
import { InputError } from '../../util/errors.js';
import { fixedThreshold } from '../../recipe/fixed-threshold.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { routerShape } from '../plan/plan.js';
import type { Stage } from '../shared/progress.js';
import { withScratchDir } from '../shared/scratch-dir.js';
import { cachedStage } from '../shared/stage-cache.js';
import type { Adaptation } from './adapt.js';
import type { StageContext } from './context.js';
import { layerEvalModel } from './layer-eval-model.js';
import { type FittedRouters, routerKeyFields } from './router.js';
import type { Targets } from './targets.js';

const BUDGETS_FILE = 'budgets.json';
/** The first step of a trade (s_l · γ); halved in log scale after a trade that did not pay, down to MIN_STEP. */
const FIRST_STEP = 1.5;
const MIN_STEP = 1.1;

export interface LayerBudgets {
  /** s_l per layer (all 1 for `none`). */
  readonly scales: number[];
  /** The search's measurements on the tuning windows (absent for `none`). */
  readonly tuning?: {
    readonly threshold: number;
    readonly windows: number;
    readonly uniform: BudgetMeasure;
    readonly chosen: BudgetMeasure;
  };
}

export async function budgetStage(
  ctx: StageContext,
  a: {
    perms: readonly Int32Array[];
    adaptation: Adaptation;
    routers: FittedRouters;
    targets: Targets;
    /** tuningWindows' result, read before any work. */
    windows: TokenWindows | null;
  },
): Promise<LayerBudgets> {
  const { recipe } = ctx.plan;
  const L = ctx.model.ir.config.numLayers;
  const settings = recipe.router.layer_budgets;
  if (settings.method === 'none' || !a.windows) return { scales: new Array<number>(L).fill(1) };
  const windows = a.windows;
  const stage = ctx.progress.stage('budgets', `${settings.method} at threshold ${fixedThreshold(recipe)}`);
  const entry = await cachedStage({
    root: ctx.root,
    stage: 'budgets',
    label: recipe.model,
    inputs: {
      // The routers' entry is keyed by the targets (calibration, adaptation) and the router settings.
      targets: a.targets.key,
      router: routerKeyFields(recipe.router),
      seed: recipe.seed,
      threshold: fixedThreshold(recipe),
      text: ctx.data.calibration.identity,
      calibration: { ...recipe.calibration, text: undefined, dataset: undefined },
      dtype: recipe.dtype,
    },
    produce: async (dir) => {
      const found = await withScratchDir(ctx.root, 'budgets', (scratch) =>
        search(ctx, { ...a, windows, scratch, stage }),
      );
      await writeFile(join(dir, BUDGETS_FILE), canonicalJson(found));
    },
  });
  const budgets = JSON.parse(await readFile(join(entry.dir, BUDGETS_FILE), 'utf8')) as LayerBudgets;
  const t = budgets.tuning!;
  stage.succeed(
    `${entry.cached ? 'from cache: ' : ''}scales ${budgets.scales.map((s) => s.toFixed(2)).join('/')}; ` +
      `tuning ppl ${t.uniform.perplexity.toFixed(4)} → ${t.chosen.perplexity.toFixed(4)} at FFN ` +
      `${(100 * t.uniform.compute).toFixed(1)}% → ${(100 * t.chosen.compute).toFixed(1)}%`,
  );
  return budgets;
}

async function search(
  ctx: StageContext,
  a: {
    perms: readonly Int32Array[];
    adaptation: Adaptation;
    routers: FittedRouters;
    windows: TokenWindows;
    scratch: string;
    stage: Stage;
  },
): Promise<LayerBudgets> {
  const { plan, model } = ctx;
  const { recipe } = plan;
  const L = model.ir.config.numLayers;
  const threshold = fixedThreshold(recipe);
  const { windows } = a;
  a.stage.note(`${windows.count} tuning windows of ${windows.seqLen} tokens`);
  const sizes = plan.experts.map((e) => e.neurons);
  const layered = layerEvalModel(ctx, {
    perms: a.perms,
    routers: a.routers.routers,
    adaptation: a.adaptation,
    dir: a.scratch,
  });
  const router = routerShape(recipe, model.ir.config.hidden, sizes.length);
  const sweepModel = { config: model.ir.config, ffnKind: plan.model.ffnKind, expertSizes: sizes, router };
  const measure = async (vectors: number[][]): Promise<BudgetMeasure[]> =>
    (
      await measureLayerSequential({
        layered,
        model: sweepModel,
        windows,
        batch: recipe.eval.batch,
        points: vectors.map((layerScales) => ({
          kind: 'learned',
          threshold,
          expert: null,
          graph: 'learned',
          router,
          layerScales,
        })),
      })
    ).map((p) => ({ perplexity: p.perplexity, compute: p.ffn_fraction }));

  const rounds = recipe.router.layer_budgets.rounds;
  const bar = a.stage.bar('rounds', rounds);
  let scales = new Array<number>(L).fill(1);
  let step = FIRST_STEP;
  let best: { scales: number[]; m: BudgetMeasure } | null = null;
  let uniform: BudgetMeasure | null = null;
  for (let r = 0; r < rounds && step >= MIN_STEP; r++) {
    const round = toRound(await measure(roundCandidates(scales, step)), L);
    bar.tick();
    uniform ??= round.base;
    // A trade pays only if the combined point is measured better, at no more compute than one threshold for all.
    if (best && !(round.base.perplexity < best.m.perplexity && round.base.compute <= uniform.compute)) {
      scales = best.scales;
      step = Math.sqrt(step);
      continue;
    }
    best = { scales, m: round.base };
    const trade = bestTrade(round);
    if (!trade) {
      step = Math.sqrt(step);
      continue;
    }
    scales = applyTrade(scales, trade, step);
  }
  bar.done();
  return {
    scales: best!.scales,
    tuning: { threshold, windows: windows.count, uniform: uniform!, chosen: best!.m },
  };
}

/**
 * The tuning windows of `greedy` budgets and `output.fixed_threshold: auto` (null when neither runs): calibration
 * text past `calibration.tokens`, `calibration.tuning_tokens` of it, windows that fitted nothing. Read before calibration, so a text too short for them fails before any work.
 */
export async function tuningWindows(ctx: StageContext): Promise<TokenWindows | null> {
  const { calibration, router, output } = ctx.plan.recipe;
  if (router.layer_budgets.method === 'none' && output.fixed_threshold !== 'auto') return null;
  const seqLen = calibration.seq_len;
  const skip = Math.floor(calibration.tokens / seqLen);
  const all = await collectWindows(
    streamTextWindows({
      chunks: ctx.data.calibration.chunks(),
      tokenizer: loadTokenizer(ctx.model.checkpoint.dir),
      seqLen,
      maxTokens: (skip + Math.floor(calibration.tuning_tokens / seqLen)) * seqLen,
    }),
    seqLen,
  );
  const count = all.count - skip;
  if (count < 1) {
    const what =
      router.layer_budgets.method === 'none' ? 'output.fixed_threshold: auto' : 'router.layer_budgets';
    throw new InputError(
      `${what}: ${ctx.data.calibration.label} holds no window of ${seqLen} tokens past ` +
        `calibration.tokens (${calibration.tokens}); the budgets are tuned on calibration text that fitted nothing`,
    );
  }
  return { count, seqLen, ids: all.ids.slice(skip * seqLen, all.count * seqLen) };
}
