/**
 * The difficulty-target probe of one layer: input `x` [rows, d] (sampled FFN inputs), outputs `block.{j}`
 * [rows, d] for j = 0..K−1, the permuted FFN's nested blocks. Prefix sums give every expert's output
 * (y_k = Σ_{j≤k} block_j, y = y_{K−1}); src/router/targets.ts turns them into e_k and z_k. The down bias
 * (GPT-2) is in block 0, as targets.ts expects. Block weights share the MoE graphs' names, hence their data file.
 * With adapted experts the outputs are differences of consecutive expert outputs, so the same prefix sums give the
 * adapted y_k.
 */
import { ELEM, type ExternalDataWriter, GraphBuilder } from '../onnx/builder.js';
import type { ModelIR } from '../ir/model.js';
import { InputError } from '../util/errors.js';
import { validatePermutation } from '../experts/permutation.js';
import type { WeightDtype } from './context.js';
import { expertWeights } from './expert-weights.js';
import type { AdaptedExpert } from '../experts/adapt-lsq.js';
import { adaptedDownWeights, adaptedExpertOutputs } from './moe-adapted.js';
import { blockOutput } from './moe-block.js';
import { validateSizes } from './moe-spec.js';
import { makeContext } from './weights.js';

export interface ProbeOptions {
  readonly layer: number;
  readonly permutation: Int32Array;
  readonly sizes: readonly number[];
  readonly dtype?: WeightDtype;
  readonly data?: ExternalDataWriter;
  /** Adapted experts k = 0..K−2 (`experts.adapt: lsq`): `block.{j}` is then y_j − y_{j−1} of the adapted outputs. */
  readonly adapted?: readonly AdaptedExpert[];
  /** `experts.adapt: joint`: the shared down projection (graph/moe-spec.ts LayerExperts.sharedDown). */
  readonly sharedDown?: () => Promise<Float32Array>;
}

export const PROBE_INPUT = 'x';
export const probeOutput = (block: number): string => `block.${block}`;

export async function buildProbe(ir: ModelIR, opts: ProbeOptions): Promise<GraphBuilder> {
  const layer = ir.layers[opts.layer];
  if (!layer)
    throw new InputError(`probe layer ${opts.layer}: the model has layers 0..${ir.layers.length - 1}`);
  validateSizes(opts.sizes, ir.config.ffnDim);
  validatePermutation(opts.permutation, ir.config.ffnDim, `experts.layers.${opts.layer}.permutation`);
  const b = new GraphBuilder(`probe.${opts.layer}`, opts.data);
  const ctx = makeContext(b, ir.config, opts.dtype ?? 'float32');
  const dims = ['rows', ir.config.hidden];
  const x = b.input(PROBE_INPUT, ELEM.float, dims);
  const weights = await expertWeights(ctx, layer.ffn, opts);
  if (opts.adapted) {
    const adapted = adaptedDownWeights(ctx, layer.ffn, opts.adapted, opts.sizes);
    const outputs = b.scope('adapted', () =>
      adaptedExpertOutputs(ctx, { ffn: layer.ffn, weights, adapted, x }),
    ); // y_k, K × [rows, d]
    outputs.forEach((y, j) => {
      const out = j === 0 ? y : b.scope(probeOutput(j), () => b.sub(y, outputs[j - 1]!));
      b.output(probeOutput(j), out, ELEM.float, dims);
    });
    return b;
  }
  weights.blocks.forEach((block, j) => {
    const bias = j === 0 ? weights.downBias : undefined;
    const out = b.scope(probeOutput(j), () => blockOutput(ctx, { ffn: layer.ffn, block, x, bias }));
    b.output(probeOutput(j), out, ELEM.float, dims);
  });
  return b;
}
