import { routerMacs as layerRouterMacs } from '../ir/flops.js';
import { InputError, InternalError } from '../util/errors.js';
import { Rng } from '../util/random.js';

/**
 * The per-layer router of DESIGN.md §3: x (the FFN's normalized input, d) → Linear(d, r) → SiLU → Linear(r, K−1),
 * predicting z_k = log(e_k + δ) for the K−1 non-full experts. `linear` (the ridge router) is Linear(d, K−1) alone.
 * Matrices are row-major [in, out], what ONNX MatMul takes as its second operand: y = x·W + b.
 */
export type RouterKind = 'linear' | 'mlp';

export interface RouterWeights {
  readonly kind: RouterKind;
  readonly d: number;
  /** K−1: one predicted log-error per non-full expert. */
  readonly outputs: number;
  /** r, mlp only. */
  readonly hidden?: number;
  readonly w1: Float32Array; // [d, r] (mlp) or [d, K−1] (linear)
  readonly b1: Float32Array; // [r] or [K−1]
  readonly w2?: Float32Array; // [r, K−1]
  readonly b2?: Float32Array; // [K−1]
  /**
   * What the outputs mean: `log-error` (default) z_k = log(e_k + δ), predicted e_k = exp(z_k) − δ; `logit` (the
   * classification router) p_k = σ(z_k) = P(expert k suffices), predicted error 1 − p_k.
   */
  readonly output?: 'log-error' | 'logit';
}

export type RouterDims = Pick<RouterWeights, 'kind' | 'd' | 'outputs' | 'hidden'>;

export interface MlpRouterInit {
  readonly d: number;
  readonly hidden: number;
  readonly outputs: number;
  readonly seed: number;
  /** Starting b2, e.g. the mean target per output, so training starts at the constant best guess. */
  readonly outputBias?: ArrayLike<number>;
}

/** Seeded init: weights N(0, 1/fan_in) (LeCun), b1 = 0, b2 = outputBias or 0. Same seed → same bytes. */
export function initMlpRouter(init: MlpRouterInit): RouterWeights {
  const { d, hidden, outputs } = init;
  for (const [name, v] of Object.entries({ d, hidden, outputs })) {
    if (!Number.isInteger(v) || v < 1)
      throw new InputError(`router.${name}: expected a positive integer, got ${v}`);
  }
  if (init.outputBias !== undefined && init.outputBias.length !== outputs) {
    throw new InputError(`router output bias: expected ${outputs} values, got ${init.outputBias.length}`);
  }
  const rng = new Rng(init.seed);
  const normal = (n: number, fanIn: number) =>
    Float32Array.from({ length: n }, () => rng.normal() / Math.sqrt(fanIn));
  return {
    kind: 'mlp',
    d,
    outputs,
    hidden,
    w1: normal(d * hidden, d),
    b1: new Float32Array(hidden),
    w2: normal(hidden * outputs, hidden),
    b2: init.outputBias === undefined ? new Float32Array(outputs) : Float32Array.from(init.outputBias),
  };
}

/** Multiply-accumulates per token, counted in the compute figures; the formula lives in ir/flops.ts. */
export function routerMacs(dims: RouterDims): number {
  if (dims.kind === 'mlp' && dims.hidden === undefined)
    throw new InternalError('mlp router without a hidden width');
  const routerHidden = dims.kind === 'mlp' ? (dims.hidden as number) : null;
  return layerRouterMacs({ hidden: dims.d, routerHidden, experts: dims.outputs + 1 });
}
