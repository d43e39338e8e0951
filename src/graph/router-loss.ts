/**
 * The router's forward pass and loss as subgraphs, shared by the train step and the forward-only loss graph (so
 * held-out evaluation and finite-difference checks run exactly the train step's forward).
 *
 * Forward, shapes per layer (B tokens, d input, r hidden, K1 = K−1 outputs):
 *   a = x·W1 + b1      [B, r]
 *   s = σ(a)           [B, r]
 *   h = a ⊙ s          [B, r]     SiLU
 *   p = h·W2 + b2      [B, K1]
 *
 * Losses (N = B·K1, mean over every element):
 *   mse: L = Σ (p − z)² / N, z = log(e_k + δ) the log-error targets (regression).
 *   bce: L = Σ [max(p, 0) − p·y + log(1 + exp(−|p|))] / N, BCE-with-logits in its overflow-free form, on labels
 *        y_k = 1 if e_k ≤ τ ("expert k suffices" at the recipe's tolerance τ), else 0 (classification).
 *
 * Inference mapping for `bce` (for the MoE graph): P(expert k suffices) = σ(p_k), and the router treats
 * ê_k = 1 − σ(p_k) as the predicted error, so a token takes the smallest k with 1 − σ(p_k) ≤ router_threshold
 * (else the full width); threshold 0 keeps the dense model, as with the regression router's ê_k = exp(p_k) − δ.
 */
import type { GraphBuilder } from '../onnx/builder.js';
import { type GraphFloat, type RouterLoss, elemOf } from './router-train-io.js';

export interface RouterParams {
  readonly w1: string;
  readonly b1: string;
  readonly w2: string;
  readonly b2: string;
}

export interface RouterActivations {
  readonly a: string; // [B, r]
  readonly s: string; // [B, r]  σ(a), reused by the backward pass
  readonly h: string; // [B, r]
  readonly p: string; // [B, K1]
}

/** A scalar constant in the graph's float type. */
export function scalar(b: GraphBuilder, dtype: GraphFloat, value: number): string {
  const data = dtype === 'float64' ? Float64Array.of(value) : Float32Array.of(value);
  return b.constant(elemOf(dtype), [], data);
}

export function routerForward(
  b: GraphBuilder,
  spec: { dtype: GraphFloat },
  io: { params: RouterParams; x: string },
): RouterActivations {
  const { params, x } = io;
  const a = b.add(b.matMul(x, params.w1), params.b1);
  // ORT fuses Mul(a, Sigmoid(a)) into com.microsoft.QuickGelu, which has only a float kernel: in double precision
  // σ is spelled 1 / (1 + e^−a) so the pattern never matches.
  const s =
    spec.dtype === 'float64' ? b.reciprocal(b.add(scalar(b, spec.dtype, 1), b.exp(b.neg(a)))) : b.sigmoid(a);
  const h = b.mul(a, s);
  const p = b.add(b.matMul(h, params.w2), params.b2);
  return { a, s, h, p };
}

/** 1/N for the element count N of `p` (B is symbolic, so N is computed in the graph). */
function inverseCount(b: GraphBuilder, dtype: GraphFloat, p: string): string {
  return b.reciprocal(b.cast(b.op('Size', [p])[0]!, elemOf(dtype)));
}

/** The scalar loss of one layer. */
export function routerLoss(
  b: GraphBuilder,
  spec: { loss: RouterLoss; dtype: GraphFloat },
  p: string,
  target: string,
): string {
  const all = [0, 1];
  if (spec.loss === 'mse') {
    const diff = b.sub(p, target);
    return b.reduceMean(b.mul(diff, diff), all, 0);
  }
  const one = scalar(b, spec.dtype, 1);
  const softplusNegAbs = b.log(b.add(one, b.exp(b.neg(b.abs(p))))); // log(1 + e^−|p|) [B, K1]
  const perElement = b.add(b.sub(b.relu(p), b.mul(p, target)), softplusNegAbs);
  return b.reduceMean(perElement, all, 0);
}

/**
 * ∂L/∂p [B, K1] of `routerLoss`:
 *   mse: 2 (p − z) / N
 *   bce: (σ(p) − y) / N
 */
export function routerLossGradient(
  b: GraphBuilder,
  spec: { loss: RouterLoss; dtype: GraphFloat },
  p: string,
  target: string,
): string {
  const invN = inverseCount(b, spec.dtype, p);
  if (spec.loss === 'mse') {
    return b.mul(b.sub(p, target), b.mul(scalar(b, spec.dtype, 2), invN));
  }
  return b.mul(b.sub(b.sigmoid(p), target), invN);
}
