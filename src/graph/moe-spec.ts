/**
 * What the MoE graphs are built from: per layer the neuron permutation (expert k = the first n_k permuted
 * neurons), the router and the per-layer threshold multiplier s_l; and where each token's expert comes from.
 * Validation turns a mismatched spec into an InputError naming the field before any weight is read.
 */
import type { AdaptedExpert } from '../experts/adapt-lsq.js';
import { validatePermutation } from '../experts/permutation.js';
import type { ModelConfig } from '../ir/model.js';
import { firstLayerWidth, inputWidth, type RouterWeights } from '../router/spec.js';
import { InputError } from '../util/errors.js';

export interface LayerExperts {
  /** perm[new] = old over the FFN's neurons. */
  readonly permutation: Int32Array;
  /** Required unless every choice comes from the `expert_choice` input (or there is a single expert). */
  readonly router?: RouterWeights;
  /** s_l: this layer compares its predicted errors with s_l · threshold (default 1). */
  readonly thresholdScale?: number;
  /** Own down projections of experts k = 0..K−2 (`experts.adapt: lsq`); absent: bare prefixes. */
  readonly adapted?: readonly AdaptedExpert[];
  /**
   * `experts.adapt: joint`: reads the shared down projection [ffnDim, hidden] (rows in the permuted order) every
   * expert uses instead of the checkpoint's; absent: the checkpoint's.
   */
  readonly sharedDown?: () => Promise<Float32Array>;
}

/**
 * Layer `layer`'s adapted experts, read when that layer is built and dropped after (app/convert/adapt.ts reads them
 * from the calibration's cache entry): a whole graph never holds every layer's at once (≈ 12 GB at 8B). Undefined:
 * bare prefixes. A layer's own `LayerExperts.adapted` takes precedence.
 */
export type AdaptedReader = (layer: number) => Promise<readonly AdaptedExpert[] | undefined>;

/**
 * `router`: a graph input `router_threshold` float32 [] drives the router; `fixed`: that threshold baked in as a
 * constant (Optimum I/O only); `input`: a graph input `expert_choice` int64 [layers, batch, seq] gives the choices;
 * `oracle`: the true relative errors, computed in-graph from every block, compared with `router_threshold`.
 */
export type ChoiceSource =
  | { readonly kind: 'router' }
  | { readonly kind: 'fixed'; readonly threshold: number }
  | { readonly kind: 'input' }
  | { readonly kind: 'oracle' };

/** Nested sizes n_1 < … < n_K = ffnDim, positive integers. */
export function validateSizes(sizes: readonly number[], ffnDim: number): void {
  const where = `expert sizes [${sizes.join(', ')}]`;
  if (sizes.length === 0) throw new InputError(`${where}: expected at least one size`);
  sizes.forEach((n, k) => {
    if (!Number.isInteger(n) || n < 1 || (k > 0 && n <= sizes[k - 1]!)) {
      throw new InputError(`${where}: expected strictly increasing positive integers, got ${n} at ${k}`);
    }
  });
  if (sizes.at(-1) !== ffnDim)
    throw new InputError(`${where}: the last size must be the FFN width ${ffnDim}`);
}

export function validateLayerExperts(
  config: ModelConfig,
  s: { layers: readonly LayerExperts[]; sizes: readonly number[]; choice: ChoiceSource },
): void {
  validateSizes(s.sizes, config.ffnDim);
  if (s.layers.length !== config.numLayers) {
    throw new InputError(`experts: expected ${config.numLayers} layers, got ${s.layers.length}`);
  }
  if (s.choice.kind === 'fixed') checkNonNegative('threshold', s.choice.threshold);
  const needsRouter = (s.choice.kind === 'router' || s.choice.kind === 'fixed') && s.sizes.length > 1;
  s.layers.forEach((layer, i) => {
    validatePermutation(layer.permutation, config.ffnDim, `experts.layers.${i}.permutation`);
    if (layer.thresholdScale !== undefined)
      checkNonNegative(`experts.layers.${i}.thresholdScale`, layer.thresholdScale);
    if (layer.adapted) validateAdapted(layer.adapted, { sizes: s.sizes, d: config.hidden, where: i });
    if (layer.router)
      validateRouter(layer.router, { d: config.hidden, outputs: s.sizes.length - 1, where: i });
    else if (needsRouter)
      throw new InputError(`experts.layers.${i}.router: required for ${s.choice.kind} choices`);
  });
}

export function validateAdapted(
  adapted: readonly AdaptedExpert[],
  want: { sizes: readonly number[]; d: number; where: number },
): void {
  const where = `experts.layers.${want.where}.adapted`;
  if (adapted.length !== want.sizes.length - 1) {
    throw new InputError(
      `${where}: expected ${want.sizes.length - 1} experts (all but the full one), got ${adapted.length}`,
    );
  }
  adapted.forEach((e, k) => {
    const down = want.sizes[k]! * want.d;
    if (e.down.length !== down)
      throw new InputError(`${where}.${k}.down: expected ${down} values, got ${e.down.length}`);
    if (e.bias.length !== want.d)
      throw new InputError(`${where}.${k}.bias: expected ${want.d} values, got ${e.bias.length}`);
  });
}

function validateRouter(r: RouterWeights, want: { d: number; outputs: number; where: number }): void {
  const where = `experts.layers.${want.where}.router`;
  if (r.d !== want.d || r.outputs !== want.outputs) {
    throw new InputError(
      `${where}: maps ${r.d} → ${r.outputs}, expected ${want.d} (hidden) → ${want.outputs} (experts − 1)`,
    );
  }
  const inner = firstLayerWidth(r);
  const lengths: [string, number, number][] = [
    ['w1', r.w1.length, inputWidth(r) * inner],
    ['b1', r.b1.length, inner],
  ];
  if (r.kind === 'mlp') lengths.push(['w2', r.w2.length, inner * r.outputs], ['b2', r.b2.length, r.outputs]);
  for (const [name, got, expected] of lengths) {
    if (got !== expected || expected === 0) {
      throw new InputError(`${where}.${name}: expected ${expected} values, got ${got}`);
    }
  }
}

function checkNonNegative(what: string, v: number): void {
  if (!Number.isFinite(v) || v < 0) throw new InputError(`${what}: expected a finite number ≥ 0, got ${v}`);
}
