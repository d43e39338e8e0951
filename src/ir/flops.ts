/**
 * Compute per token, in multiply-accumulates (1 MAC = 2 FLOPs), for each part of a decoder layer, and the expert
 * widths a recipe's fractions give. Only matrix products are counted: norms, activations, RoPE, softmax and bias
 * adds are O(d) per token and vanish next to the O(d²) terms; embedding lookups are gathers (0 MACs).
 *
 * With d = hidden, h = heads, g = kv heads, e = head dim, n = FFN neurons, V = vocab, c = context, r = router
 * hidden, K = experts (per token, per layer unless noted):
 *   attention projections  d·h·e (q) + 2·d·g·e (k, v) + h·e·d (o)
 *   attention scores       h·e·c (q·kᵀ) + h·c·e (weights·v)       — c = positions attended to
 *   FFN gated              3·d·n (gate, up, down);  plain  2·d·n (up, down)
 *   router                 d·r + r·(K−1) (mlp);  d·(K−1) (linear, r = null); reading log‖r‖ adds d (‖r‖²)
 *                          and one input row: r (mlp) or K−1 (linear)
 *   LM head                d·V, once per token
 */
import { InputError } from '../util/errors.js';
import type { FfnKind, ModelConfig } from './model.js';

export function attentionProjectionMacs(c: ModelConfig): number {
  return c.hidden * c.headDim * (2 * c.numHeads + 2 * c.numKvHeads);
}

export function attentionScoreMacs(c: ModelConfig, context: number): number {
  return 2 * c.numHeads * c.headDim * context;
}

export function ffnMacs(hidden: number, ffn: { kind: FfnKind; neurons: number }): number {
  return (ffn.kind === 'gated' ? 3 : 2) * hidden * ffn.neurons;
}

export interface RouterShape {
  readonly hidden: number;
  /** Hidden width of the MLP router; null for a linear router. */
  readonly routerHidden: number | null;
  readonly experts: number;
  /** The router also reads log‖r‖ (router.input normed+log_norm). */
  readonly logNorm?: boolean;
}

export function routerMacs({ hidden, routerHidden, experts, logNorm }: RouterShape): number {
  const outputs = experts - 1;
  const inputs = hidden + (logNorm ? 1 : 0);
  const feature = logNorm ? hidden : 0; // Σ r_i² over the residual row
  return (
    feature + (routerHidden === null ? inputs * outputs : inputs * routerHidden + routerHidden * outputs)
  );
}

/** Weights and biases of one layer's router. */
export function routerParams({ hidden, routerHidden, experts, logNorm }: RouterShape): number {
  const outputs = experts - 1;
  const inputs = hidden + (logNorm ? 1 : 0);
  return routerHidden === null
    ? (inputs + 1) * outputs
    : (inputs + 1) * routerHidden + (routerHidden + 1) * outputs;
}

/**
 * Extra parameters of one layer's adapted experts (`experts.adapt: lsq`): each expert k < K has its own down
 * projection [n_k, d] and bias [d]. Memory and disk, not compute: a token still runs n_k neurons.
 */
export function adaptedParams(sizes: readonly number[], hidden: number): number {
  return sizes.slice(0, -1).reduce((s, n) => s + (n + 1) * hidden, 0);
}

export function lmHeadMacs(c: ModelConfig): number {
  return c.hidden * c.vocabSize;
}

/** Weights of one layer's matrices and norms (a projection's MACs per token equal its weight count). */
export function layerParams(c: ModelConfig, ffnKind: FfnKind): number {
  return attentionProjectionMacs(c) + ffnMacs(c.hidden, { kind: ffnKind, neurons: c.ffnDim }) + 2 * c.hidden;
}

/** Embedding (+ untied LM head), layers and final norm; biases and learned position tables left out. */
export function modelParams(c: ModelConfig, ffnKind: FfnKind): number {
  const embeddings = c.vocabSize * c.hidden * (c.tiedEmbeddings ? 1 : 2);
  return embeddings + c.numLayers * layerParams(c, ffnKind) + c.hidden;
}

export interface TokenCost {
  readonly config: ModelConfig;
  readonly ffnKind: FfnKind;
  /** Positions attended to by this token (mean over a causal window of T tokens: (T + 1) / 2). */
  readonly context: number;
  /** FFN neurons used per layer (ffnDim for the dense model). */
  readonly neurons: number;
  /** Router cost per layer; 0 for the dense model. */
  readonly routerMacs?: number;
}

/** Whole-model MACs for one token: every layer's attention, FFN and router, plus the LM head. */
export function tokenMacs(t: TokenCost): number {
  const c = t.config;
  const layer =
    attentionProjectionMacs(c) +
    attentionScoreMacs(c, t.context) +
    ffnMacs(c.hidden, { kind: t.ffnKind, neurons: t.neurons }) +
    (t.routerMacs ?? 0);
  return c.numLayers * layer + lmHeadMacs(c);
}

/**
 * Neurons per expert: each fraction × ffnDim rounded to the nearest multiple of `align` (at least `align`), the
 * last exactly ffnDim. Rounding that merges or reorders experts is an error, not something to paper over.
 */
export function expertSizes(ffnDim: number, fractions: readonly number[], align: number): number[] {
  const where = `experts.sizes [${fractions.join(', ')}] with align ${align} on an FFN of ${ffnDim} neurons`;
  if (!Number.isInteger(align) || align < 1)
    throw new InputError(`experts.align must be an integer ≥ 1, got ${align}`);
  if (fractions.at(-1) !== 1) throw new InputError(`${where}: the last size must be 1`);
  const sizes = fractions.map((f, i) =>
    i === fractions.length - 1 ? ffnDim : Math.max(align, Math.round((f * ffnDim) / align) * align),
  );
  sizes.forEach((size, i) => {
    const before = sizes[i - 1];
    if (before !== undefined && size <= before) {
      throw new InputError(
        `${where}: sizes ${fractions[i - 1]} and ${fractions[i]} give ${before} and ${size} neurons; ` +
          'use a smaller align or sizes further apart',
      );
    }
  });
  return sizes;
}
