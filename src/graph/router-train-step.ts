/**
 * One AdamW training step of every layer's router as a single ONNX graph (opset 17, standard ops only), so plain
 * onnxruntime-node trains routers on CPU or CUDA: ORT's training builds are gone from npm (DESIGN.md §3).
 * I/O names: router-train-io.ts. Forward and loss: router-loss.ts. Layers are independent: each layer's params get
 * the gradient of that layer's own loss `l{l}.loss`; `loss` (the mean over layers) is reported only.
 *
 * Backward, per layer (shapes: B tokens, d, r hidden, K1 = K−1; ᵀ = transpose):
 *   gp  = ∂L/∂p                       [B, K1]   (router-loss.ts)
 *   gW2 = hᵀ · gp                     [r, K1]
 *   gb2 = Σ_B gp                      [K1]
 *   gh  = gp · W2ᵀ                    [B, r]
 *   ga  = gh ⊙ s ⊙ (1 + a ⊙ (1 − s))  [B, r]     SiLU'(a) = σ(a)·(1 + a·(1 − σ(a)))
 *   gW1 = xᵀ · ga                     [d, r]
 *   gb1 = Σ_B ga                      [r]
 *
 * AdamW (PyTorch's order, t = `step`, 1-based), per parameter θ with gradient g:
 *   m' = β1·m + (1 − β1)·g,  v' = β2·v + (1 − β2)·g²
 *   θ' = θ·(1 − lr·λ) − (lr / (1 − β1^t)) · m' / (√v' / √(1 − β2^t) + ε)
 * with decoupled weight decay λ on the matrices W1, W2 only (λ = 0 for biases).
 */
import { GraphBuilder } from '../onnx/builder.js';
import type { ModelProto } from '../onnx/proto.js';
import { routerForward, routerLoss, routerLossGradient, scalar } from './router-loss.js';
import {
  BATCH,
  DECAYED,
  LOSS_OUTPUT,
  LR_INPUT,
  PARAMS,
  type ParamKind,
  type RouterGraphShape,
  STEP_INPUT,
  batchName,
  elemOf,
  layerLossName,
  momentName,
  paramDims,
  paramName,
  updatedName,
} from './router-train-io.js';

export interface AdamWSettings {
  readonly weightDecay: number;
  readonly beta1: number;
  readonly beta2: number;
  readonly eps: number;
}

export type RouterTrainStepSpec = RouterGraphShape & AdamWSettings;

/** Step-wide scalars every parameter update shares. */
interface StepScalars {
  readonly stepSize: string; // lr / (1 − β1^t)
  readonly sqrtBc2: string; // √(1 − β2^t)
  readonly decay: string; // 1 − lr·λ
}

export function buildRouterTrainStep(spec: RouterTrainStepSpec): ModelProto {
  const b = new GraphBuilder('router_train_step');
  const elem = elemOf(spec.dtype);
  const step = b.input(STEP_INPUT, elem, []);
  const lr = b.input(LR_INPUT, elem, []);
  const scalars = b.scope('adamw', () => stepScalars(b, spec, { step, lr }));
  const losses: string[] = [];
  for (let l = 0; l < spec.layers; l++) {
    losses.push(b.scope(`l${l}`, () => layerStep(b, spec, { layer: l, scalars })));
  }
  b.output(LOSS_OUTPUT, meanLoss(b, spec, losses), elem, []);
  return b.model();
}

/** Declares layer l's params, moments and batch inputs; returns the params by kind. */
export function layerInputs(b: GraphBuilder, spec: RouterGraphShape, layer: number) {
  const elem = elemOf(spec.dtype);
  const params = {} as Record<ParamKind, string>;
  for (const kind of PARAMS) params[kind] = b.input(paramName(layer, kind), elem, paramDims(spec, kind));
  const x = b.input(batchName(layer, 'x'), elem, [BATCH, spec.d]);
  const target = b.input(batchName(layer, 'target'), elem, [BATCH, spec.outputs]);
  return { params, x, target };
}

export function meanLoss(b: GraphBuilder, spec: RouterGraphShape, losses: readonly string[]): string {
  const sum = losses.slice(1).reduce((acc, v) => b.add(acc, v), losses[0]!);
  return b.mul(sum, scalar(b, spec.dtype, 1 / losses.length));
}

function layerStep(
  b: GraphBuilder,
  spec: RouterTrainStepSpec,
  ctx: { layer: number; scalars: StepScalars },
): string {
  const { params, x, target } = layerInputs(b, spec, ctx.layer);
  const act = routerForward(b, spec, { params, x });
  const loss = routerLoss(b, spec, act.p, target);
  b.output(layerLossName(ctx.layer), loss, elemOf(spec.dtype), []);
  const gp = routerLossGradient(b, spec, act.p, target); // [B, K1]
  const one = scalar(b, spec.dtype, 1);
  const gh = b.matMul(gp, b.transpose(params.w2, [1, 0])); // [B, r]
  const siluGrad = b.mul(act.s, b.add(one, b.mul(act.a, b.sub(one, act.s)))); // [B, r]
  const ga = b.mul(gh, siluGrad); // [B, r]
  const grads: Record<ParamKind, string> = {
    w1: transposedProduct(b, x, ga), // [d, r]
    b1: b.reduceSum(ga, [0], 0), // [r]
    w2: transposedProduct(b, act.h, gp), // [r, K1]
    b2: b.reduceSum(gp, [0], 0), // [K1]
  };
  for (const kind of PARAMS) {
    b.scope(kind, () =>
      adamW(b, spec, { layer: ctx.layer, kind, theta: params[kind], g: grads[kind] }, ctx.scalars),
    );
  }
  return loss;
}

/**
 * aᵀ·c as one Gemm(transA): no [d, B] transposed copy of the batch is materialized. Measured with ORT CPU, 2 threads,
 * 30 layers, d 576, r 64, K−1 4, B 2048: Transpose + MatMul made the step 5.9× the forward, Gemm 2.4–3.4×
 * (DESIGN.md §4 budget: ≤ 4×).
 */
function transposedProduct(b: GraphBuilder, a: string, c: string): string {
  return b.op('Gemm', [a, c], { transA: 1 })[0]!;
}

function stepScalars(
  b: GraphBuilder,
  spec: RouterTrainStepSpec,
  io: { step: string; lr: string },
): StepScalars {
  const c = (v: number) => scalar(b, spec.dtype, v);
  const bc1 = b.sub(c(1), b.pow(c(spec.beta1), io.step));
  const bc2 = b.sub(c(1), b.pow(c(spec.beta2), io.step));
  return {
    stepSize: b.div(io.lr, bc1),
    sqrtBc2: b.sqrt(bc2),
    decay: b.sub(c(1), b.mul(io.lr, c(spec.weightDecay))),
  };
}

function adamW(
  b: GraphBuilder,
  spec: RouterTrainStepSpec,
  p: { layer: number; kind: ParamKind; theta: string; g: string },
  s: StepScalars,
): void {
  const elem = elemOf(spec.dtype);
  const dims = paramDims(spec, p.kind);
  const c = (v: number) => scalar(b, spec.dtype, v);
  const mIn = b.input(momentName(p.layer, p.kind, 'm'), elem, dims);
  const vIn = b.input(momentName(p.layer, p.kind, 'v'), elem, dims);
  const m = b.add(b.mul(mIn, c(spec.beta1)), b.mul(p.g, c(1 - spec.beta1)));
  const v = b.add(b.mul(vIn, c(spec.beta2)), b.mul(b.mul(p.g, p.g), c(1 - spec.beta2)));
  const denom = b.add(b.div(b.sqrt(v), s.sqrtBc2), c(spec.eps));
  const decayed = DECAYED.has(p.kind) ? b.mul(p.theta, s.decay) : p.theta;
  const theta = b.sub(decayed, b.mul(s.stepSize, b.div(m, denom)));
  b.output(updatedName(p.theta), theta, elem, dims);
  b.output(updatedName(mIn), m, elem, dims);
  b.output(updatedName(vIn), v, elem, dims);
}
