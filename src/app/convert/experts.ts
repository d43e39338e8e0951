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
import type { LayerCalibration } from './calibration-types.js';

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
    perms.push(
      await layerPermutation({
        ir: input.ir,
        recipe: input.recipe,
        index: layer.index,
        ...(input.calibration?.[layer.index] && { calibration: input.calibration[layer.index] }),
      }),
    );
  }
  return perms;
}

/**
 * One layer's permutation from that layer's calibration alone, so the calibration pass can compute it as soon as
 * the layer is done (expert adaptation fits each layer's experts there, one layer in memory at a time).
 */
export async function layerPermutation(a: {
  ir: ModelIR;
  recipe: Recipe;
  index: number;
  calibration?: LayerCalibration;
}): Promise<Int32Array> {
  const importance = await layerImportance(a);
  const cal = a.calibration;
  const perm =
    a.recipe.experts.grouping === 'coactivation' && cal?.h
      ? coactivationGroups({
          sample: cal.h.data,
          rows: cal.h.rows,
          ffnDim: a.ir.config.ffnDim,
          groupSize: a.recipe.experts.align,
          importance,
          seed: a.recipe.seed + a.index,
        }).perm
      : orderByImportance(importance);
  validatePermutation(perm, a.ir.config.ffnDim, `layer ${a.index} permutation`);
  return perm;
}

async function layerImportance(a: {
  ir: ModelIR;
  recipe: Recipe;
  index: number;
  calibration?: LayerCalibration;
}): Promise<Float64Array> {
  const { hidden, ffnDim } = a.ir.config;
  const ffn = a.ir.layers[a.index]!.ffn;
  const down = await readLinear(ffn.down, 'out_in'); // [hidden, ffnDim]
  if (a.recipe.experts.ordering === 'activation' && a.calibration) {
    return importanceFromMeanAbs(a.calibration.meanAbs, columnNorms(down, hidden, ffnDim));
  }
  return weightImportance({
    up: await readLinear(ffn.up, 'out_in'),
    down,
    ...(ffn.kind === 'gated' ? { gate: await readLinear(ffn.gate, 'out_in') } : {}),
    ffnDim,
    hidden,
  });
}
