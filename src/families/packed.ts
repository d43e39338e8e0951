/**
 * Views into a packed projection (GPT-2's c_attn holds q, k and v along its output dimension): each view is a
 * plain TensorHandle whose read() loads the packed tensor and keeps its slice, so graph code sees ordinary Linears.
 * Each view reads the packed tensor on its own; that costs two extra reads of one small tensor per layer, and
 * keeps handles stateless (no cache that outlives its use).
 */
import type { TensorHandle, WeightLayout } from '../ir/model.js';

export interface OutSlice {
  source: TensorHandle;
  /** Layout of `source`; a 1-D bias behaves as `out_in` with one input. */
  layout: WeightLayout;
  offset: number;
  size: number;
}

export function sliceOutputs({ source, layout, offset, size }: OutSlice): TensorHandle {
  const rank1 = source.shape.length === 1;
  const totalOut = rank1 || layout === 'out_in' ? source.shape[0]! : source.shape[1]!;
  const inFeatures = rank1 ? 1 : layout === 'out_in' ? source.shape[1]! : source.shape[0]!;
  const shape = rank1 ? [size] : layout === 'out_in' ? [size, inFeatures] : [inFeatures, size];
  const read = async (): Promise<Float32Array> => {
    const data = await source.read();
    if (rank1 || layout === 'out_in') return data.slice(offset * inFeatures, (offset + size) * inFeatures); // rows
    // in_out: data is [in, totalOut]; keep columns offset..offset+size of every row → [in, size]
    const out = new Float32Array(inFeatures * size);
    for (let row = 0; row < inFeatures; row++) {
      const start = row * totalOut + offset;
      out.set(data.subarray(start, start + size), row * size);
    }
    return out;
  };
  return {
    name: `${source.name}[${offset}:${offset + size}]`,
    dtype: source.dtype,
    shape,
    file: source.file,
    read,
  };
}
