/** Tensor constructors and readers, so callers never build ORT tensors by hand. */
import * as ort from 'onnxruntime-node';
import { InternalError } from '../util/errors.js';
import type { Tensor } from './session.js';

function checkSize(what: string, length: number, dims: readonly number[]): void {
  const n = dims.reduce((a, d) => a * d, 1);
  if (n !== length) throw new InternalError(`${what} tensor: ${length} values for dims [${dims.join(', ')}]`);
}

export function float32Tensor(data: Float32Array | readonly number[], dims: readonly number[]): Tensor {
  const values = data instanceof Float32Array ? data : Float32Array.from(data);
  checkSize('float32', values.length, dims);
  return new ort.Tensor('float32', values, dims);
}

/** float64 tensors: the adaptation's ridge solves (graph/gemm.ts) and the train-step gradient checks. */
export function float64Tensor(data: Float64Array, dims: readonly number[]): Tensor {
  checkSize('float64', data.length, dims);
  return new ort.Tensor('float64', data, dims);
}

export function int64Tensor(data: BigInt64Array | readonly number[], dims: readonly number[]): Tensor {
  const values = data instanceof BigInt64Array ? data : BigInt64Array.from(data, (v) => BigInt(v));
  checkSize('int64', values.length, dims);
  return new ort.Tensor('int64', values, dims);
}

/** A float32 tensor's values (throws on any other type). */
export function readFloat32(tensor: Tensor): Float32Array {
  if (tensor.type !== 'float32') throw new InternalError(`expected a float32 tensor, got ${tensor.type}`);
  return tensor.data as Float32Array;
}

/** A float64 tensor's values (throws on any other type). */
export function readFloat64(tensor: Tensor): Float64Array {
  if (tensor.type !== 'float64') throw new InternalError(`expected a float64 tensor, got ${tensor.type}`);
  return tensor.data as Float64Array;
}

/** An int64 tensor's values as numbers. */
export function readInt64(tensor: Tensor): number[] {
  if (tensor.type !== 'int64') throw new InternalError(`expected an int64 tensor, got ${tensor.type}`);
  return Array.from(tensor.data as BigInt64Array, Number);
}
