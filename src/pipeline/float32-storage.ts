/**
 * A float32 part graph built from a half-precision checkpoint without a JavaScript transpose per weight. The layer
 * builder keeps a weight's stored bytes (in the checkpoint's [out, in] layout, behind a Transpose that ORT folds at
 * load) only when they already have the graph's dtype; otherwise it decodes the tensor and transposes it in
 * JavaScript, which cost most of a layer's graph building at hidden 2048 (~0.5 s a layer). This view presents each
 * bf16/f16 linear weight of the layers as float32 storage — its chunks widened as they stream, exactly — so the
 * builder keeps it and ORT transposes it natively. The float32 values are the same, so the graph computes the same.
 */
import { halfBytesToFloat32 } from '../checkpoint/float-convert.js';
import type { WeightDtype } from '../graph/context.js';
import type { Layer, Linear, ModelIR, StoredBytes, TensorHandle } from '../ir/model.js';
import { InternalError } from '../util/errors.js';

/** `ir` as the parts of a run with weight dtype `dtype` should see it (float32: half weights widened as stored). */
export function partModel(ir: ModelIR, dtype: WeightDtype | undefined): ModelIR {
  if ((dtype ?? 'float32') !== 'float32') return ir;
  return { ...ir, layers: ir.layers.map(widenLayer) };
}

function widenLayer(l: Layer): Layer {
  const { q, k, v, o } = l.attn;
  const ffn = l.ffn.kind === 'gated' ? { ...l.ffn, gate: widen(l.ffn.gate) } : l.ffn;
  return {
    ...l,
    attn: { ...l.attn, q: widen(q), k: widen(k), v: widen(v), o: widen(o) },
    ffn: { ...ffn, up: widen(ffn.up), down: widen(ffn.down) },
  };
}

function widen(lin: Linear): Linear {
  const w = lin.weight;
  if (!w.stored || (w.dtype !== 'BF16' && w.dtype !== 'F16')) return lin;
  return { ...lin, weight: widenHandle(w, w.dtype, w.stored) };
}

function widenHandle(w: TensorHandle, kind: 'BF16' | 'F16', stored: () => StoredBytes): TensorHandle {
  return {
    name: w.name,
    dtype: 'F32',
    shape: w.shape,
    file: w.file,
    read: () => w.read(),
    stored: () => {
      const half = stored();
      return {
        byteLength: half.byteLength * 2,
        *chunks() {
          for (const chunk of half.chunks()) {
            if (chunk.byteLength % 2 !== 0) {
              throw new InternalError(
                `${w.name}: a stored chunk of ${chunk.byteLength} bytes splits a value`,
              );
            }
            // A fresh buffer per chunk (the source's chunk is only valid until the next one).
            const f32 = halfBytesToFloat32(chunk, kind);
            yield new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
          }
        },
      };
    },
  };
}
