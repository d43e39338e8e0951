/**
 * The layer-by-layer model convert measures (eval/layer-sweep.ts) — the checkpoint's IR with the emitted graphs'
 * experts, routers, adapted down projections and precision — built in one place for every stage that measures
 * it (the fixed-threshold choice, per-layer budgets, the evaluation), so they cannot drift from each other.
 */
import type { LayerEvalModel } from '../../eval/layer-sweep.js';
import { resolveWeightDtype } from '../../graph/weights.js';
import type { RouterWeights } from '../../router/spec.js';
import { memoryBudgetBytes } from '../shared/memory-budget.js';
import type { Adaptation } from './adapt.js';
import type { StageContext } from './context.js';

export function layerEvalModel(
  ctx: Pick<StageContext, 'plan' | 'model'>,
  a: {
    perms: readonly Int32Array[];
    routers: readonly RouterWeights[];
    adaptation: Adaptation;
    /** Per-layer threshold multipliers (`router.layer_budgets`); absent: every layer's is 1. */
    scales?: readonly number[];
    /** Scratch directory for the layer graphs. */
    dir: string;
  },
): LayerEvalModel {
  const { plan, model } = ctx;
  const { recipe } = plan;
  return {
    ir: model.ir,
    experts: a.perms.map((permutation, i) => ({
      permutation,
      router: a.routers[i],
      ...(a.adaptation.shared?.[i] && { sharedDown: a.adaptation.shared[i] }),
      ...(a.scales && { thresholdScale: a.scales[i]! }),
    })),
    readAdapted: a.adaptation.readLayer,
    errorBase: recipe.router.error,
    dtype: resolveWeightDtype(recipe.dtype, model.ir),
    dir: a.dir,
    device: plan.stages.eval.device,
    memoryBudgetBytes: memoryBudgetBytes(recipe),
  };
}
