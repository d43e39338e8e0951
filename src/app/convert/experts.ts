/**
 * Experts stage: per layer, neuron importance → (optional co-activation grouping) → the permutation that makes
 * expert k the prefix of the first n_k neurons. One layer's FFN weights are in memory at a time.
 */
import { importanceFromMeanAbs } from '../../experts/activation-stats.js';
import { coactivationGroups } from '../../experts/grouping.js';
import { columnNorms, weightImportance } from '../../experts/importance.js';
import { orderByImportance, validatePermutation } from '../../experts/permutation.js';
import { readLinear } from '../../graph/weights.js';
import type { ModelIR } from '../../ir/model.js';
import type { Recipe } from '../../recipe/types.js';
import type { LayerCalibration } from './calibrate.js';

export interface ExpertsInput {
  readonly ir: ModelIR;
  readonly recipe: Recipe;
  /** Needed for `activation` ordering and `coactivation` grouping. */
  readonly calibration?: readonly LayerCalibration[];
}

/** perm[newIndex] = oldIndex for every layer. */
export async function computePermutations(input: ExpertsInput): Promise<Int32Array[]> {
  const perms: Int32Array[] = [];
  for (const layer of input.ir.layers) {
    const importance = await layerImportance(input, layer.index);
    const cal = input.calibration?.[layer.index];
    const perm =
      input.recipe.experts.grouping === 'coactivation' && cal?.h
        ? coactivationGroups({
            sample: cal.h.data,
            rows: cal.h.rows,
            ffnDim: input.ir.config.ffnDim,
            groupSize: input.recipe.experts.align,
            importance,
            seed: input.recipe.seed + layer.index,
          }).perm
        : orderByImportance(importance);
    validatePermutation(perm, input.ir.config.ffnDim, `layer ${layer.index} permutation`);
    perms.push(perm);
  }
  return perms;
}

async function layerImportance(input: ExpertsInput, index: number): Promise<Float64Array> {
  const { hidden, ffnDim } = input.ir.config;
  const ffn = input.ir.layers[index]!.ffn;
  const down = await readLinear(ffn.down, 'out_in'); // [hidden, ffnDim]
  const cal = input.calibration?.[index];
  if (input.recipe.experts.ordering === 'activation' && cal) {
    return importanceFromMeanAbs(cal.meanAbs, columnNorms(down, hidden, ffnDim));
  }
  return weightImportance({
    up: await readLinear(ffn.up, 'out_in'),
    down,
    ...(ffn.kind === 'gated' ? { gate: await readLinear(ffn.gate, 'out_in') } : {}),
    ffnDim,
    hidden,
  });
}
