/**
 * The nested-expert FFN of DESIGN.md §3 "MoE FFN in ONNX". x [B, T, d] → rows [N, d]; each token's expert
 * c ∈ 0..K−1 comes from the router, a baked-in threshold, the `expert_choice` input or the oracle. Block 0 (the smallest
 * expert) runs on every row; block j ≥ 1 only on rows with c ≥ j: NonZero → Gather → block FFN → ScatterND(add).
 * Work is proportional to the neurons used; a block no row needs runs on an empty [0, d] batch.
 */
import type { Ffn, Layer } from '../ir/model.js';
import { ELEM, type GraphBuilder } from '../onnx/builder.js';
import { InternalError } from '../util/errors.js';
import { DIMS, type DecoderContext, type FfnBuilder } from './context.js';
import { type BlockWeights, expertWeights } from './expert-weights.js';
import { blockOutput } from './moe-block.js';
import { type AdaptedReader, type ChoiceSource, type LayerExperts, validateAdapted } from './moe-spec.js';
import { EXPERT_CHOICE, ROUTER_THRESHOLD } from './names.js';
import { oracleLayer } from './moe-oracle.js';
import { adaptedDownWeights, adaptedExpertOutputs, adaptedFfnRows } from './moe-adapted.js';
import { chooseFromRouter, routerLogErrors } from './router-graph.js';
import type { ErrorBase } from '../router/targets.js';

export interface MoeFfnSpec {
  /** n_1 < … < n_K = ffnDim. */
  readonly sizes: readonly number[];
  /** Indexed by layer index. */
  readonly layers: readonly LayerExperts[];
  readonly choice: ChoiceSource;
  /** Receives each layer's choice int64 [B, T] (the decoder stacks them into `expert_index`). */
  readonly onChoice?: (layer: number, choice: string) => void;
  /** What the oracle's errors are relative to (router/targets.ts ErrorBase); default 'residual'. */
  readonly errorBase?: ErrorBase;
  /** Each layer's adapted experts, read as the layer is built (moe-spec.ts AdaptedReader). */
  readonly readAdapted?: AdaptedReader;
}

export function moeFfn(spec: MoeFfnSpec): FfnBuilder {
  return async (ctx, layer, x, residual) => {
    const experts = await layerExperts(spec, layer.index, ctx.config.hidden);
    const { b } = ctx;
    const rows = b.reshape(x, [-1, ctx.config.hidden]); // [N, d]
    if (spec.choice.kind === 'oracle') return oracleFfn(ctx, { spec, experts, layer, x, rows, residual });
    const choice = b.scope('choice', () =>
      layerChoice(ctx, { spec, experts, layer: layer.index, rows, residual }),
    ); // [N]
    if (spec.onChoice) spec.onChoice(layer.index, b.reshape(choice, b.shape(x, 0, 2))); // [B, T]
    const weights = await expertWeights(ctx, layer.ffn, {
      permutation: experts.permutation,
      sizes: spec.sizes,
      ...(experts.sharedDown && { sharedDown: experts.sharedDown }),
    });
    if (experts.adapted) {
      const adapted = adaptedDownWeights(ctx, layer.ffn, experts.adapted, spec.sizes);
      const y = b.scope('adapted', () =>
        adaptedFfnRows(ctx, { ffn: layer.ffn, weights, adapted, rows, choice }),
      ); // [N, d]
      return b.reshape(y, b.shape(x)); // [B, T, d]
    }
    let y = blockOutput(ctx, { ffn: layer.ffn, block: weights.blocks[0]!, x: rows, bias: weights.downBias }); // [N, d]
    weights.blocks.slice(1).forEach((block, i) => {
      y = b.scope(`block.${i + 1}`, () =>
        addBlock(ctx, { ffn: layer.ffn, block, rows, choice, j: i + 1, y }),
      );
    });
    return b.reshape(y, b.shape(x)); // [B, T, d]
  };
}

/** The oracle layer (moe-oracle.ts): every block on every row, the choice from the true errors. */
async function oracleFfn(
  ctx: DecoderContext,
  a: { spec: MoeFfnSpec; experts: LayerExperts; layer: Layer; x: string; rows: string; residual: string },
): Promise<string> {
  const { b } = ctx;
  const weights = await expertWeights(ctx, a.layer.ffn, {
    permutation: a.experts.permutation,
    sizes: a.spec.sizes,
    ...(a.experts.sharedDown && { sharedDown: a.experts.sharedDown }),
  });
  const adapted = a.experts.adapted
    ? adaptedDownWeights(ctx, a.layer.ffn, a.experts.adapted, a.spec.sizes)
    : undefined;
  const { y, choice } = b.scope('oracle', () => {
    const outputs = adapted
      ? adaptedExpertOutputs(ctx, { ffn: a.layer.ffn, weights, adapted, x: a.rows })
      : prefixSums(
          ctx,
          weights.blocks.map((block, j) =>
            blockOutput(ctx, {
              ffn: a.layer.ffn,
              block,
              x: a.rows,
              bias: j === 0 ? weights.downBias : undefined,
            }),
          ),
        ); // K × [N, d]
    const threshold = scaled(b, graphInput(b, ROUTER_THRESHOLD, ctx), a.experts.thresholdScale ?? 1);
    const residual =
      (a.spec.errorBase ?? 'residual') === 'residual'
        ? b.reshape(a.residual, [-1, ctx.config.hidden])
        : undefined;
    return oracleLayer(ctx, { outputs, rows: a.rows, threshold, residual });
  });
  if (a.spec.onChoice) a.spec.onChoice(a.layer.index, b.reshape(choice, b.shape(a.x, 0, 2))); // [B, T]
  return b.reshape(y, b.shape(a.x)); // [B, T, d]
}

/** Layer `index`'s experts, its adapted ones read now when the spec reads them per layer. */
async function layerExperts(spec: MoeFfnSpec, index: number, d: number): Promise<LayerExperts> {
  const experts = spec.layers[index];
  if (!experts) throw new InternalError(`moe ffn: no experts for layer ${index}`);
  if (experts.adapted || !spec.readAdapted) return experts;
  const adapted = await spec.readAdapted(index);
  if (!adapted) return experts;
  validateAdapted(adapted, { sizes: spec.sizes, d, where: index });
  return { ...experts, adapted };
}

/** y_k = Σ_{j≤k} block_j: every nested expert's output from the block outputs. */
function prefixSums(ctx: DecoderContext, blocks: readonly string[]): string[] {
  return blocks.reduce<string[]>((acc, blk) => [...acc, acc.length ? ctx.b.add(acc.at(-1)!, blk) : blk], []);
}

/** y [N, d] + block j's output on the rows whose choice is ≥ j, scattered back to their places. */
function addBlock(
  ctx: DecoderContext,
  a: { ffn: Ffn; block: BlockWeights; rows: string; choice: string; j: number; y: string },
): string {
  const { b } = ctx;
  const picked = b.transpose(b.nonZero(b.greater(a.choice, b.scalarI64(a.j - 1))), [1, 0]); // [M, 1]
  const x = b.gatherND(a.rows, picked); // [M, d]
  return b.scatterND(a.y, picked, blockOutput(ctx, { ffn: a.ffn, block: a.block, x }), 'add');
}

/** The layer's choice int64 [N], each in 0..K−1. */
function layerChoice(
  ctx: DecoderContext,
  a: { spec: MoeFfnSpec; experts: LayerExperts; layer: number; rows: string; residual: string },
): string {
  const { b } = ctx;
  const { choice, sizes } = a.spec;
  const full = sizes.length - 1;
  if (choice.kind === 'input') {
    const given = b.reshape(b.gather(graphInput(b, EXPERT_CHOICE, ctx), b.scalarI64(a.layer), 0), [-1]); // [N]
    return b.op('Min', [b.op('Max', [given, b.scalarI64(0)])[0]!, b.scalarI64(full)])[0]!;
  }
  // Declared even when unused (a single expert), so every router graph has the same inputs.
  if (choice.kind === 'router') graphInput(b, ROUTER_THRESHOLD, ctx);
  if (full === 0) return b.constantOfShape(b.shape(a.rows, 0, 1), 0, ELEM.int64); // one expert: all 0
  const router = a.experts.router;
  if (!router) throw new InternalError(`moe ffn: layer ${a.layer} has no router`);
  const scale = a.experts.thresholdScale ?? 1;
  const threshold =
    choice.kind === 'fixed'
      ? b.scalarF32(float32Product(choice.threshold, scale))
      : scaled(b, graphInput(b, ROUTER_THRESHOLD, ctx), scale);
  const features = { x: a.rows, residual: a.residual };
  return chooseFromRouter(ctx, router, routerLogErrors(ctx, router, features, a.layer), threshold);
}

/** The float32 product the `router` graph's Mul computes, so `fixed` at t chooses exactly as `router` fed t. */
function float32Product(a: number, b: number): number {
  return Math.fround(Math.fround(a) * Math.fround(b));
}

function scaled(b: GraphBuilder, threshold: string, scale: number): string {
  return scale === 1 ? threshold : b.mul(threshold, b.scalarF32(scale));
}

/** Declares the MoE graph inputs once per graph, on first use. */
const declared = new WeakMap<GraphBuilder, Map<string, string>>();
function graphInput(b: GraphBuilder, name: string, ctx: DecoderContext): string {
  const inputs = declared.get(b) ?? new Map<string, string>();
  declared.set(b, inputs);
  const known = inputs.get(name);
  if (known) return known;
  const value =
    name === ROUTER_THRESHOLD
      ? b.input(name, ELEM.float, [])
      : b.input(name, ELEM.int64, [ctx.config.numLayers, DIMS.batch, DIMS.seq]);
  inputs.set(name, value);
  return value;
}
