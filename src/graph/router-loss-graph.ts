/**
 * The forward-only twin of the train step: the same inputs minus optimizer state, `step` and `lr`; outputs the
 * per-layer losses `l{l}.loss` and their mean `loss` (optionally the predictions `l{l}.pred` [B, K−1]). Used for
 * held-out evaluation, for finite-difference gradient checks, and as the "router forward" the train-step time is
 * benchmarked against (DESIGN.md §4: train step ≤ 4× forward).
 */
import { GraphBuilder } from '../onnx/builder.js';
import type { ModelProto } from '../onnx/proto.js';
import { routerForward, routerLoss } from './router-loss.js';
import { BATCH, LOSS_OUTPUT, type RouterGraphShape, elemOf, layerLossName } from './router-train-io.js';
import { layerInputs, meanLoss } from './router-train-step.js';

export function predictionName(layer: number): string {
  return `l${layer}.pred`;
}

export function buildRouterForward(spec: RouterGraphShape & { predictions?: boolean }): ModelProto {
  const b = new GraphBuilder('router_forward');
  const elem = elemOf(spec.dtype);
  const losses: string[] = [];
  for (let l = 0; l < spec.layers; l++) {
    b.scope(`l${l}`, () => {
      const { params, x, target } = layerInputs(b, spec, l);
      const { p } = routerForward(b, spec, { params, x });
      if (spec.predictions) b.output(predictionName(l), p, elem, [BATCH, spec.outputs]);
      const loss = routerLoss(b, spec, p, target);
      b.output(layerLossName(l), loss, elem, []);
      losses.push(loss);
    });
  }
  b.output(LOSS_OUTPUT, meanLoss(b, spec, losses), elem, []);
  return b.model();
}
