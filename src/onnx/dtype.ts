/** ONNX tensor element types moefy emits, with their byte sizes (TensorProto.DataType numbering). */
export const ELEM = {
  float: 1,
  uint8: 2,
  int8: 3,
  int32: 6,
  int64: 7,
  bool: 9,
  float16: 10,
  double: 11,
  bfloat16: 16,
} as const;
export type ElemName = keyof typeof ELEM;
export type ElemType = (typeof ELEM)[ElemName];

const SIZES: Record<ElemType, number> = { 1: 4, 2: 1, 3: 1, 6: 4, 7: 8, 9: 1, 10: 2, 11: 8, 16: 2 };

export function elemSize(type: ElemType): number {
  return SIZES[type];
}

/** A symbolic (`batch`) or fixed dimension. */
export type Dim = number | string;

export function numElements(dims: readonly number[]): number {
  return dims.reduce((a, d) => a * d, 1);
}

/** The bytes of a typed array, without copying. */
export function bytesOf(data: ArrayBufferView): Uint8Array {
  return new Uint8Array(data.buffer, data.byteOffset, data.byteLength);
}
