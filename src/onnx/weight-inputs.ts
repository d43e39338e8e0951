/**
 * Weights as graph inputs instead of initializers: a graph built with this sink declares each float32 weight as an
 * input of the same name and keeps its bytes here, for the caller to feed at every run. A session of such a graph
 * holds no weights, so opening it neither reads a data file nor folds or prepacks anything: it costs milliseconds
 * where a decoder layer's initializers cost a second or more (layer-sequential runs open one per layer, on CPU).
 * Other element types (int64 indices, 16-bit weights with their Cast) stay initializers, inline.
 */
import { checkBytes } from './tensor.js';
import { ELEM, type ElemType } from './dtype.js';
import type { Segment, TensorBytes } from './external-data.js';

export interface WeightInput {
  readonly name: string;
  readonly dims: readonly number[];
  /** float32 values, row-major; chunked bytes are joined only when the caller materializes them. */
  readonly bytes: TensorBytes;
}

export class WeightInputs {
  readonly weights: WeightInput[] = [];

  /** Whether a weight of `type` becomes an input (float32 only: the binding feeds no bfloat16). */
  takes(type: ElemType): boolean {
    return type === ELEM.float;
  }

  add(name: string, type: ElemType, dims: readonly number[], bytes: TensorBytes): void {
    checkBytes(name, type, dims, bytes.byteLength);
    this.weights.push({ name, dims: [...dims], bytes });
  }

  /** Inputs are never shared between graphs (the file sink's reuse of written tensors has no equivalent). */
  segment(_name: string): Segment | undefined {
    return undefined;
  }
}
