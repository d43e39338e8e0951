/**
 * The MoE FFN with adapted experts (`experts.adapt: lsq`, experts/adapt-lsq.ts). Expert k < K computes the
 * activations of the first n_k permuted neurons (the same gate/up blocks as the nested FFN) and maps them with its
 * own down projection: y_k = h[:n_k] W_k + b_k. The full expert keeps the dense blocks, Σ_j h_j W_down,j (+ the
 * dense down bias), so threshold 0 is still the dense model. Adapted outputs are not prefix sums, so instead of the
 * nested block loop each expert runs on the rows that chose it: NonZero(choice == k) → GatherND → expert →
 * ScatterND(add) into zeros. Each token still computes exactly n_k neurons.
 */
import type { AdaptedExpert } from '../experts/adapt-lsq.js';
import type { Ffn } from '../ir/model.js';
import type { DecoderContext } from './context.js';
import type { ExpertWeights } from './expert-weights.js';
import { blockHidden } from './moe-block.js';
import { storeLinear } from './precision/linear-store.js';
import { applyLinear, type LinearWeight } from './precision/linear-weight.js';

/** Graph values of the adapted experts k = 0..K−2: down [n_k, d] in the graph's precision, bias [d] float32. */
export interface AdaptedDown {
  readonly down: readonly LinearWeight[];
  readonly bias: readonly string[];
}

/**
 * Initializers `<down weight>.adapted.{k}` and `<down weight>.adapted_bias.{k}`, shared by graphs of one data file.
 * W_k is a linear like every other (precision/linear-store.ts): in q4 its own MatMulNBits whose 32-row blocks are
 * the expert's neuron blocks (n_k is a multiple of experts.align), in q8 uint8 columns, in fp16 float16.
 */
export function adaptedDownWeights(
  ctx: DecoderContext,
  ffn: Ffn,
  adapted: readonly AdaptedExpert[],
  sizes: readonly number[],
): AdaptedDown {
  const hidden = ctx.config.hidden;
  const base = ffn.down.weight.name;
  return {
    down: adapted.map((e, k) =>
      storeLinear(ctx, {
        name: `${base}.adapted.${k}`,
        data: e.down,
        k: sizes[k]!,
        n: hidden,
        layout: 'in_out',
      }),
    ),
    bias: adapted.map((e, k) => ctx.weight(`${base}.adapted_bias.${k}`, e.bias, [hidden])),
  };
}

interface ExpertArgs {
  readonly ffn: Ffn;
  readonly weights: ExpertWeights;
  readonly adapted: AdaptedDown;
}

/** Expert k's output on rows x [M, d] → [M, d]. */
function expertOutput(ctx: DecoderContext, a: ExpertArgs & { k: number; x: string }): string {
  const hs = a.weights.blocks
    .slice(0, a.k + 1)
    .map((block) => blockHidden(ctx, { ffn: a.ffn, block, x: a.x })); // (k+1) × [M, w_j]
  return expertFromHidden(ctx, { ...a, hs });
}

/** Expert k from its blocks' activations hs (j = 0..k). */
function expertFromHidden(ctx: DecoderContext, a: ExpertArgs & { k: number; hs: readonly string[] }): string {
  const { b } = ctx;
  const full = a.weights.blocks.length - 1;
  if (a.k < full) {
    const h = a.hs.length === 1 ? a.hs[0]! : b.concat(a.hs.slice(0, a.k + 1), 1); // [M, n_k]
    return b.add(applyLinear(ctx, a.adapted.down[a.k]!, h), a.adapted.bias[a.k]!);
  }
  const y = a.hs
    .map((h, j) => applyLinear(ctx, a.weights.blocks[j]!.down, h))
    .reduce((acc, v) => b.add(acc, v)); // [M, d]
  return a.weights.downBias ? b.add(y, a.weights.downBias) : y;
}

/** The routed FFN: rows [N, d] and each row's expert choice int64 [N] → [N, d]. */
export function adaptedFfnRows(
  ctx: DecoderContext,
  a: ExpertArgs & { rows: string; choice: string },
): string {
  const { b } = ctx;
  let y = b.constantOfShape(b.shape(a.rows), 0); // [N, d]
  a.weights.blocks.forEach((_, k) => {
    y = b.scope(`expert.${k}`, () => {
      const picked = b.transpose(b.nonZero(b.equal(a.choice, b.scalarI64(k))), [1, 0]); // [M, 1]
      const x = b.gatherND(a.rows, picked); // [M, d]
      return b.scatterND(y, picked, expertOutput(ctx, { ...a, k, x }), 'add');
    });
  });
  return y;
}

/** Every expert's output on every row x [N, d] (the oracle, the target probe): K × [N, d], activations shared. */
export function adaptedExpertOutputs(ctx: DecoderContext, a: ExpertArgs & { x: string }): string[] {
  const hs = a.weights.blocks.map((block) => blockHidden(ctx, { ffn: a.ffn, block, x: a.x }));
  return a.weights.blocks.map((_, k) => expertFromHidden(ctx, { ...a, k, hs: hs.slice(0, k + 1) }));
}
