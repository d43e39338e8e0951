/**
 * The model with each layer's FFN neurons in the MoE's order (perm[new] = old): gate/up rows (and their biases)
 * and down columns move together, so it computes the same function as the original. Quantized dense baselines are
 * built from it: 4-bit blocks run along down's input (neuron) dimension, so only with the MoE's order do the dense
 * graph and the nested experts hold the very same quantized weights. Tensors stay lazy; each is permuted as read.
 */
import type { Ffn, Linear, ModelIR, TensorHandle } from '../ir/model.js';
import { InputError } from '../util/errors.js';
import { permuteColumns, permuteRows } from './permutation.js';

export function permutedFfnIr(ir: ModelIR, perms: readonly Int32Array[]): ModelIR {
  if (perms.length !== ir.layers.length) {
    throw new InputError(`permutations: expected ${ir.layers.length} layers, got ${perms.length}`);
  }
  const layers = ir.layers.map((layer, i) => ({ ...layer, ffn: permutedFfn(layer.ffn, perms[i]!) }));
  return { ...ir, layers };
}

function permutedFfn(ffn: Ffn, perm: Int32Array): Ffn {
  const neuronsOut = (lin: Linear): Linear => ({
    ...lin,
    // out_in [ffn, hidden]: neuron rows; in_out [hidden, ffn]: neuron columns.
    weight:
      lin.layout === 'out_in'
        ? derived(lin.weight, (w) => permuteRows(w, perm, lin.inFeatures))
        : derived(lin.weight, (w) => permuteColumns(w, perm, lin.inFeatures)),
    ...(lin.bias && { bias: derived(lin.bias, (b) => permuteRows(b, perm, 1)) }),
  });
  const down: Linear = {
    ...ffn.down,
    // out_in [hidden, ffn]: neuron columns; in_out [ffn, hidden]: neuron rows. Its bias is per output: unchanged.
    weight:
      ffn.down.layout === 'out_in'
        ? derived(ffn.down.weight, (w) => permuteColumns(w, perm, ffn.down.outFeatures))
        : derived(ffn.down.weight, (w) => permuteRows(w, perm, ffn.down.outFeatures)),
  };
  if (ffn.kind === 'gated') return { ...ffn, up: neuronsOut(ffn.up), down, gate: neuronsOut(ffn.gate) };
  return { ...ffn, up: neuronsOut(ffn.up), down };
}

/** A handle whose values are `f` of the source's; no `stored` bytes (they would be the unpermuted ones). */
function derived(h: TensorHandle, f: (w: Float32Array) => Float32Array): TensorHandle {
  const { name, dtype, shape, file } = h;
  return { name, dtype, shape, file, read: async () => f(await h.read()) };
}
