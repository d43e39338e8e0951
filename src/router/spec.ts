import { InputError, InternalError } from '../util/errors.js';
import { Rng } from '../util/random.js';

/**
 * The per-layer router of DESIGN.md §3: x (the FFN's normalized input, d) → Linear(d, r) → SiLU → Linear(r, K−1),
 * predicting z_k = log(e_k + δ) for the K−1 non-full experts. `ridge` (the closed-form router) is Linear(d, K−1)
 * alone. Matrices are row-major [in, out], what ONNX MatMul takes as its second operand: y = x·W + b.
 * The kinds are spelled as the recipe's `router.kind`.
 */
export const ROUTER_KINDS = ['ridge', 'mlp'] as const;
export type RouterKind = (typeof ROUTER_KINDS)[number];

/**
 * What the outputs mean: `log-error` (default) z_k = log(e_k + δ), predicted e_k = exp(z_k) − δ; `logit` (the
 * classification router) p_k = σ(z_k) = P(expert k suffices), predicted error 1 − p_k.
 */
export type RouterOutput = 'log-error' | 'logit';

/**
 * What the router reads (recipe `router.input`). `normed`: x = the FFN's normalized input alone. `normed+log_norm`:
 * x and one more feature, log(‖r‖ + ε) of the residual stream r entering the FFN norm (router/features.ts): the
 * norm drops ‖r‖, yet the targets divide by ‖r + y‖, so a token on a large residual is easier than x alone says.
 */
export const ROUTER_INPUTS = ['normed', 'normed+log_norm'] as const;
export type RouterInput = (typeof ROUTER_INPUTS)[number];

interface RouterBase {
  /** The model's hidden size: x's width. */
  readonly d: number;
  /** K−1: one prediction per non-full expert. */
  readonly outputs: number;
  readonly output?: RouterOutput;
  /** Absent: `normed` (files and manifests written before the choice existed). */
  readonly input?: RouterInput;
}

export interface RidgeRouter extends RouterBase {
  readonly kind: 'ridge';
  readonly w1: Float32Array; // [inputWidth, K−1]
  readonly b1: Float32Array; // [K−1]
}

export interface MlpRouter extends RouterBase {
  readonly kind: 'mlp';
  /** r, the hidden width. */
  readonly hidden: number;
  readonly w1: Float32Array; // [inputWidth, r]
  readonly b1: Float32Array; // [r]
  readonly w2: Float32Array; // [r, K−1]
  readonly b2: Float32Array; // [K−1]
}

export type RouterWeights = RidgeRouter | MlpRouter;

/** Features per token the first layer reads: d, plus one for log‖r‖ (w1's last row). */
export function inputWidth(r: Pick<RouterBase, 'd' | 'input'>): number {
  return r.d + (r.input === 'normed+log_norm' ? 1 : 0);
}

/**
 * A router fitted on rows that already carry the extra features (ridge and mlp training see a plain [rows, width]
 * input, width = d + extras) as the graphs read it: `d` the hidden size again and `input` saying what follows x.
 */
export function withInput(r: RouterWeights, input: RouterInput, d: number): RouterWeights {
  if (inputWidth({ d, input }) !== r.d)
    throw new InternalError(
      `router input ${input}: fitted on ${r.d} features, expected ${inputWidth({ d, input })}`,
    );
  return input === 'normed' ? r : { ...r, d, input };
}

/** Width of the first layer's output: r for the mlp, K−1 for the ridge router. */
export function firstLayerWidth(r: RouterWeights): number {
  return r.kind === 'mlp' ? r.hidden : r.outputs;
}

export interface MlpRouterInit {
  readonly d: number;
  readonly hidden: number;
  readonly outputs: number;
  readonly seed: number;
  /** Starting b2, e.g. the mean target per output, so training starts at the constant best guess. */
  readonly outputBias?: ArrayLike<number>;
}

/** Seeded init: weights N(0, 1/fan_in) (LeCun), b1 = 0, b2 = outputBias or 0. Same seed → same bytes. */
export function initMlpRouter(init: MlpRouterInit): MlpRouter {
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
