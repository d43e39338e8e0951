/**
 * The MoE decoder: the dense decoder graph (same I/O, same KV-cache variant) with every FFN replaced by the
 * nested-expert FFN. Choices `router`/`oracle` and `input` add their graph input (`router_threshold` float32 [] or
 * `expert_choice` int64 [layers, batch, seq]) and the output `expert_index` int64 [layers, batch, seq];
 * `fixed` bakes the threshold in and keeps Optimum's I/O exactly, so transformers.js / ORT GenAI load it as a
 * plain decoder. Graphs built with one ExternalDataWriter share every weight in it.
 */
import { ELEM, type GraphBuilder } from '../onnx/builder.js';
import type { ModelIR } from '../ir/model.js';
import { InputError } from '../util/errors.js';
import { DIMS } from './context.js';
import { buildDecoder, type DecoderOptions } from './decoder.js';
import { moeFfn } from './moe-ffn.js';
import type { ErrorBase } from '../router/targets.js';
import {
  type AdaptedReader,
  type ChoiceSource,
  type LayerExperts,
  validateLayerExperts,
} from './moe-spec.js';
import { EXPERT_INDEX } from './names.js';

export type ChoiceKind = ChoiceSource['kind'];

export interface MoeDecoderOptions extends Omit<DecoderOptions, 'ffn' | 'activationOutputs'> {
  /** One entry per layer. */
  readonly experts: readonly LayerExperts[];
  /** Nested expert widths n_1 < … < n_K = ffnDim (see `expertSizes` in ir/flops.ts). */
  readonly sizes: readonly number[];
  readonly choice: ChoiceKind;
  /** The baked-in threshold of the `fixed` graph (required there, rejected elsewhere). */
  readonly threshold?: number;
  /** What the oracle's errors are relative to (default 'residual'). */
  readonly errorBase?: ErrorBase;
  /** Each layer's adapted experts, read as that layer is written (moe-spec.ts AdaptedReader). */
  readonly readAdapted?: AdaptedReader;
}

export async function buildMoeDecoder(ir: ModelIR, opts: MoeDecoderOptions): Promise<GraphBuilder> {
  const choice = choiceSource(opts);
  validateLayerExperts(ir.config, { layers: opts.experts, sizes: opts.sizes, choice });
  const choices: string[] = [];
  const ffn = moeFfn({
    sizes: opts.sizes,
    layers: opts.experts,
    choice,
    ...(opts.errorBase && { errorBase: opts.errorBase }),
    ...(opts.readAdapted && { readAdapted: opts.readAdapted }),
    ...(choice.kind !== 'fixed' && { onChoice: (layer: number, c: string) => (choices[layer] = c) }),
  });
  const b = await buildDecoder(ir, { ...opts, name: opts.name ?? 'moe_decoder', ffn });
  if (choice.kind === 'fixed') return b;
  const stacked = b.scope(EXPERT_INDEX, () =>
    b.concat(
      choices.map((c) => b.unsqueeze(c, [0])),
      0,
    ),
  ); // [L, B, T]
  b.output(EXPERT_INDEX, stacked, ELEM.int64, [ir.config.numLayers, DIMS.batch, DIMS.seq]);
  return b;
}

function choiceSource(opts: MoeDecoderOptions): ChoiceSource {
  if (opts.choice === 'fixed') {
    if (opts.threshold === undefined)
      throw new InputError('fixed-threshold MoE graph: threshold is required');
    return { kind: 'fixed', threshold: opts.threshold };
  }
  if (opts.threshold !== undefined) {
    throw new InputError(`${opts.choice}-choice MoE graph: threshold is a graph input there, not an option`);
  }
  return { kind: opts.choice };
}
