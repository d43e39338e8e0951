/**
 * The closed-form ridge router of the router stage: per layer, a linear map from FFN inputs x to the K−1 log-error
 * targets z, fitted on the training rows and scored on the held-out `report` rows of the same seeded split (whole
 * calibration windows) the MLP training uses — so the two routers' held-out losses compare like for like.
 */
import { routerForward } from '../../router/forward.js';
import { RidgeAccumulator, TILE_ROWS } from '../../router/ridge.js';
import type { RouterWeights } from '../../router/spec.js';
import { gatherRows, splitRows } from '../../train/data.js';

export interface LayerRows {
  readonly rows: number;
  readonly x: Float32Array; // [rows, d]
  readonly z: Float32Array; // [rows, K−1]
  /** [rows] each row's calibration window: held-out splits take whole windows. */
  readonly windows?: Int32Array;
}

export interface RidgeFit {
  readonly weights: RouterWeights[];
  /** Mean squared error on the training rows, per layer. */
  readonly trainMse: number[];
  /** Mean squared error on the held-out rows, per layer (null without a held-out split). */
  readonly heldoutMse: (number | null)[];
}

export interface RidgeInput {
  readonly rows: readonly LayerRows[];
  readonly d: number;
  readonly lambda: number;
  /** The MLP training's held-out fraction and seed (recipe router.train.heldout, seed). */
  readonly heldout: number;
  readonly seed: number;
}

/**
 * Fits every layer's router. Async only to stay interruptible: it yields to the event loop between bounded steps
 * of the sums and the solve (a SIGINT is handled at the next step), which leaves the arithmetic as it was.
 */
export async function fitRidgeRouters(input: RidgeInput): Promise<RidgeFit> {
  const { d } = input;
  const fit: RidgeFit = { weights: [], trainMse: [], heldoutMse: [] };
  for (const layer of input.rows) {
    const outputs = layer.z.length / layer.rows;
    const split = splitRows(layer.rows, input.heldout, input.seed, layer.windows);
    const train = { ...gatherRows(layer, split.train, { d, outputs }), rows: split.train.length };
    const acc = new RidgeAccumulator(d, outputs);
    // Whole tiles of the accumulator's own size per step (~0.1 s at d = 2048): the sums of one `add` call exactly.
    for (let r = 0; r < train.rows; r += TILE_ROWS) {
      const n = Math.min(TILE_ROWS, train.rows - r);
      acc.add(train.x.subarray(r * d, (r + n) * d), train.z.subarray(r * outputs, (r + n) * outputs), n);
      await nextTurn();
    }
    const steps = acc.solveSteps(input.lambda);
    let step = steps.next();
    for (; !step.done; step = steps.next()) await nextTurn();
    const w = step.value;
    fit.weights.push(w);
    fit.trainMse.push(meanSquaredError(w, train));
    fit.heldoutMse.push(
      split.report.length === 0
        ? null
        : meanSquaredError(w, {
            ...gatherRows(layer, split.report, { d, outputs }),
            rows: split.report.length,
          }),
    );
  }
  return fit;
}

function meanSquaredError(w: RouterWeights, layer: LayerRows): number {
  const p = routerForward(w, layer.x, layer.rows); // [rows, K−1]
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += (p[i]! - layer.z[i]!) ** 2;
  return sum / p.length;
}

/** Lets the event loop run (signal handlers included) before the next step. */
function nextTurn(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}
