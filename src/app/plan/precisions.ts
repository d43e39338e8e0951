/**
 * What the precisions of `output.dtypes` besides fp32 add to a plan: the bytes of their graphs (each precision
 * writes its MoE weights once and, with output.dense, its dense baseline) and their evaluation passes (dense plus
 * the router graph at every threshold). Bytes per parameter of the linear layers follow the stored layouts
 * (precisions.md): 4-bit values plus a scale per 32 and half a byte of zero point per 32; 8-bit values plus a
 * scale and zero point per column (negligible). Embedding tables keep 4 bytes in q4, 2 in fp16/q4f16, 1 in q8.
 */
import type { Precision } from '../../ir/precision.js';
import type { Recipe } from '../../recipe/types.js';
import type { PlanModel } from './types.js';

const LINEAR_BYTES: Readonly<Record<Exclude<Precision, 'fp32'>, number>> = {
  fp16: 2,
  q8: 1,
  q4: 0.5 + 4 / 32 + 0.5 / 32,
  q4f16: 0.5 + 2 / 32 + 0.5 / 32,
};
const EMBED_BYTES: Readonly<Record<Exclude<Precision, 'fp32'>, number>> = { fp16: 2, q8: 1, q4: 4, q4f16: 2 };

function others(recipe: Recipe): Exclude<Precision, 'fp32'>[] {
  return recipe.output.dtypes.filter((d): d is Exclude<Precision, 'fp32'> => d !== 'fp32');
}

/**
 * Bytes of every non-fp32 precision's graphs; `adaptedParams`, the adapted experts' down projections and biases
 * (experts.adapt), are linears of the MoE graph's precision (its dense baseline has none).
 */
export function precisionGraphBytes(recipe: Recipe, model: PlanModel, adaptedParams: number): number {
  const embed = model.vocabSize * model.hidden;
  const copies = recipe.output.dense ? 2 : 1;
  const weights = (p: Exclude<Precision, 'fp32'>) =>
    (model.params - embed) * LINEAR_BYTES[p] + embed * EMBED_BYTES[p];
  return others(recipe).reduce((sum, p) => sum + copies * weights(p) + adaptedParams * LINEAR_BYTES[p], 0);
}

/**
 * Evaluation passes over eval.tokens the other precisions add: convert measures each layer by layer, its dense
 * point from the checkpoint whether or not output.dense writes that graph.
 */
export function precisionPasses(recipe: Recipe): number {
  return others(recipe).length * (1 + recipe.eval.thresholds.length);
}
