/** TensorProto construction with the byte check of onnx's helper.py: bytes = element size × product(dims). */
import { InternalError } from '../util/errors.js';
import { type ElemType, elemSize, numElements } from './dtype.js';
import type { Segment } from './external-data.js';
import { onnx, type TensorProto } from './proto.js';

export function checkBytes(name: string, type: ElemType, dims: readonly number[], byteLength: number): void {
  if (dims.some((d) => !Number.isInteger(d) || d < 0)) {
    throw new InternalError(`tensor ${name}: bad dims [${dims.join(', ')}]`);
  }
  const expected = elemSize(type) * numElements(dims);
  if (expected !== byteLength) {
    throw new InternalError(
      `tensor ${name}: ${byteLength} bytes, expected ${expected} for type ${type} dims [${dims.join(', ')}]`,
    );
  }
}

/** A tensor whose bytes live in the protobuf (`raw_data`); for small constants only. */
export function inlineTensor(
  name: string,
  type: ElemType,
  dims: readonly number[],
  bytes: Uint8Array,
): TensorProto {
  checkBytes(name, type, dims, bytes.length);
  return { name, dataType: type, dims: [...dims], rawData: bytes };
}

/** A tensor whose bytes live in the external data file at `segment`. */
export function externalTensor(opts: {
  name: string;
  type: ElemType;
  dims: readonly number[];
  location: string;
  segment: Segment;
}): TensorProto {
  checkBytes(opts.name, opts.type, opts.dims, opts.segment.length);
  return {
    name: opts.name,
    dataType: opts.type,
    dims: [...opts.dims],
    dataLocation: onnx.TensorProto.DataLocation.EXTERNAL,
    externalData: [
      { key: 'location', value: opts.location },
      { key: 'offset', value: String(opts.segment.offset) },
      { key: 'length', value: String(opts.segment.length) },
    ],
  };
}
