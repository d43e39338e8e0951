/**
 * The dtype of a precision's weights outside the linear layers (norms, biases; fp16's embedding table): float16
 * where the linears compute in half, else the fp32 graphs' own. The emitted graphs (app/convert/emit-precisions.ts)
 * and the layer-by-layer evaluation of a precision (eval/layer-sweep.ts) take it from here, so they hold the same
 * bytes.
 */
import { computesInHalf, type Precision } from '../../ir/precision.js';
import type { WeightDtype } from '../context.js';

export function storageDtype(precision: Precision, fp32Dtype: WeightDtype): WeightDtype {
  return computesInHalf(precision) ? 'float16' : fp32Dtype;
}
