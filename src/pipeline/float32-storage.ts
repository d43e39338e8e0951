/**
 * A float32 part graph built from a half-precision checkpoint without a JavaScript transpose per weight. The layer
 * builder keeps a weight's stored bytes (in the checkpoint's [out, in] layout, behind a Transpose that ORT folds at
 * load) only when they already have the graph's dtype; otherwise it decodes the tensor and transposes it in
 * JavaScript, which cost most of a layer's graph building at hidden 2048 (~0.5 s a layer). This view presents each
 * bf16/f16 linear weight of the layers as float32 storage — its chunks widened as they stream, exactly — so the
 * builder keeps it and ORT transposes it natively. The float32 values are the same, so the graph computes the same.
 */
import { f16Table, halfBytesToFloat32 } from '../checkpoint/float-convert.js';
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
    stored: () => new WidenedBytes(w.name, kind, stored()),
  };
}

/**
 * A half-precision tensor's bytes as float32 storage: streamed chunk by chunk (`chunks`, for a data file), or
 * widened straight into a caller's buffer (`fill`, for a weight fed as a graph input: no buffer per chunk).
 */
export class WidenedBytes implements StoredBytes {
  constructor(
    private readonly name: string,
    private readonly kind: 'BF16' | 'F16',
    private readonly half: StoredBytes,
  ) {}

  get byteLength(): number {
    return this.half.byteLength * 2;
  }

  *chunks(): Iterable<Uint8Array> {
    for (const chunk of this.half.chunks()) {
      checkWhole(this.name, chunk);
      // A fresh buffer per chunk (the source's chunk is only valid until the next one).
      const f32 = halfBytesToFloat32(chunk, this.kind);
      yield new Uint8Array(f32.buffer, f32.byteOffset, f32.byteLength);
    }
  }

  /**
   * Writes the float32 values into `out`: the half bytes are copied into its upper half, then widened in place
   * front to back (value i lands on bytes [4i, 4i + 4), below the half value i + 1 still to be read).
   */
  fill(out: Float32Array): void {
    const n = out.length;
    if (n * 4 !== this.byteLength) {
      throw new InternalError(`${this.name}: ${this.byteLength} bytes into a buffer of ${n * 4}`);
    }
    const bytes = new Uint8Array(out.buffer, out.byteOffset, n * 4);
    let at = n * 2;
    for (const chunk of this.half.chunks()) {
      checkWhole(this.name, chunk);
      bytes.set(chunk, at);
      at += chunk.byteLength;
    }
    if (this.kind === 'BF16') widenBf16InPlace(out);
    else widenF16InPlace(out);
  }
}

function checkWhole(name: string, chunk: Uint8Array): void {
  if (chunk.byteLength % 2 !== 0) {
    throw new InternalError(`${name}: a stored chunk of ${chunk.byteLength} bytes splits a value`);
  }
}

/** bf16 bits are a float32's upper half: two values per 32-bit load (little-endian: the first is the low half). */
function widenBf16InPlace(out: Float32Array): void {
  const n = out.length;
  const words = new Int32Array(out.buffer, out.byteOffset, n);
  const halves = new Uint16Array(out.buffer, out.byteOffset, 2 * n);
  const pairs = n >> 1;
  if ((out.byteOffset + 2 * n) % 4 === 0) {
    const src = new Int32Array(out.buffer, out.byteOffset + 2 * n, pairs);
    for (let j = 0; j < pairs; j++) {
      const w = src[j]!;
      words[2 * j] = w << 16;
      words[2 * j + 1] = w & 0xffff0000;
    }
  } else {
    for (let i = 0; i < 2 * pairs; i++) words[i] = halves[n + i]! << 16;
  }
  if (n % 2 === 1) words[n - 1] = halves[2 * n - 1]! << 16;
}

function widenF16InPlace(out: Float32Array): void {
  const n = out.length;
  const halves = new Uint16Array(out.buffer, out.byteOffset, 2 * n);
  const table = f16Table();
  for (let i = 0; i < n; i++) out[i] = table[halves[n + i]!]!;
}
