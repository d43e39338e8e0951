/**
 * Router stage: per layer, map FFN inputs x to the K−1 log-error targets z. `ridge` is the closed-form linear fit;
 * `mlp` trains Linear → SiLU → Linear on ORT (src/train/) starting from the recipe's seed.
 */
import { routerForward } from '../../router/forward.js';
import { RidgeAccumulator } from '../../router/ridge.js';
import type { RouterWeights } from '../../router/spec.js';

export interface LayerRows {
  readonly rows: number;
  readonly x: Float32Array; // [rows, d]
  readonly z: Float32Array; // [rows, K−1]
}

export interface RidgeFit {
  readonly weights: RouterWeights[];
  /** Mean squared error of the fit on its own rows, per layer. */
  readonly mse: number[];
}

export function fitRidgeRouters(rows: readonly LayerRows[], d: number, lambda: number): RidgeFit {
  const weights: RouterWeights[] = [];
  const mse: number[] = [];
  for (const layer of rows) {
    const outputs = layer.z.length / layer.rows;
    const acc = new RidgeAccumulator(d, outputs);
    acc.add(layer.x, layer.z, layer.rows);
    const w = acc.solve(lambda);
    weights.push(w);
    mse.push(fitError(w, layer));
  }
  return { weights, mse };
}

function fitError(w: RouterWeights, layer: LayerRows): number {
  const p = routerForward(w, layer.x, layer.rows); // [rows, K−1]
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += (p[i]! - layer.z[i]!) ** 2;
  return sum / p.length;
}
