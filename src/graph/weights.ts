/** Weight storage (dtype applied per tensor) and linear layers with weights laid out [in, out] for MatMul. */
import { float32ToHalfBits } from '../checkpoint/float-convert.js';
import { type ChunkedBytes, ELEM, type GraphBuilder } from '../onnx/builder.js';
import type { DType, Linear, ModelIR, WeightLayout } from '../ir/model.js';
import { InputError } from '../util/errors.js';
import type { DecoderContext, WeightDtype } from './context.js';

export function makeContext(
  b: GraphBuilder,
  config: DecoderContext['config'],
  dtype: WeightDtype,
): DecoderContext {
  const stored = (name: string, dims: readonly number[], bytes: ArrayBufferView | ChunkedBytes): string => {
    if (dtype === 'float32') return b.weight(name, ELEM.float, dims, bytes);
    const half = b.weight(name, ELEM[dtype], dims, bytes);
    return b.op('Cast', [half], { to: ELEM.float }, { name: `${name}/to_float` })[0]!;
  };
  const toStored = (values: Float32Array) =>
    dtype === 'float32' ? values : float32ToHalfBits(values, dtype === 'float16' ? 'F16' : 'BF16');
  return {
    b,
    config,
    dtype,
    compute: 'float32',
    weight: (name, data, dims) => stored(name, dims, toStored(data)),
    weightTransposed: (name, data, rows, cols) =>
      stored(name, [cols, rows], transposedBlocks({ data, rows, cols, encode: toStored })),
    keep: (h) => (h.stored && h.dtype === KEPT[dtype] ? stored(h.name, h.shape, h.stored()) : undefined),
  };
}

/** The checkpoint storage dtype each weight dtype keeps bit for bit. */
const KEPT: Record<WeightDtype, DType> = { float32: 'F32', float16: 'F16', bfloat16: 'BF16' };

/** The weight dtype that keeps a checkpoint's values exactly at the smallest size: its own float format. */
export function weightDtypeOf(stored: DType): WeightDtype {
  return stored === 'BF16' ? 'bfloat16' : stored === 'F16' ? 'float16' : 'float32';
}

/** `auto` (or nothing) → the checkpoint's own float format, read from its embedding table. */
export function resolveWeightDtype(choice: WeightDtype | 'auto' | undefined, ir: ModelIR): WeightDtype {
  return choice === undefined || choice === 'auto' ? weightDtypeOf(ir.embed.dtype) : choice;
}

/** Output rows per block of a streamed transpose: ~4 M values (16 MB as float32). */
const BLOCK_VALUES = 1 << 22;

/** The bytes of the transpose of [rows, cols] `data`, produced a block of output rows at a time. */
function transposedBlocks(t: {
  data: Float32Array;
  rows: number;
  cols: number;
  encode: (values: Float32Array) => ArrayBufferView;
}): ChunkedBytes {
  const elementBytes = t.encode(new Float32Array(1)).byteLength;
  const perBlock = Math.max(1, Math.floor(BLOCK_VALUES / Math.max(1, t.rows)));
  return {
    byteLength: t.rows * t.cols * elementBytes,
    *chunks() {
      for (let c0 = 0; c0 < t.cols; c0 += perBlock) {
        const c1 = Math.min(t.cols, c0 + perBlock);
        const block = new Float32Array((c1 - c0) * t.rows); // [c1 − c0, rows]
        transposeInto({ src: t.data, rows: t.rows, cols: t.cols, c0, c1, dst: block });
        const encoded = t.encode(block);
        yield new Uint8Array(encoded.buffer, encoded.byteOffset, encoded.byteLength);
      }
    },
  };
}

/** dst[c − c0, r] = src[r, c] for columns [c0, c1) of the row-major [rows, cols] `src`. */
function transposeInto(t: {
  src: Float32Array;
  rows: number;
  cols: number;
  c0: number;
  c1: number;
  dst: Float32Array;
}): void {
  const { src, rows, cols, c0, c1, dst } = t;
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = c0; c < c1; c++) dst[(c - c0) * rows + r] = src[base + c]!;
  }
}

/** [rows, cols] → [cols, rows], done while streaming one tensor so only it is in memory. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  transposeInto({ src: data, rows, cols, c0: 0, c1: cols, dst: out });
  return out;
}

/**
 * The linear's weight as float32 in the asked layout, whatever its stored one: `in_out` ([in, out], what MatMul
 * takes) for graph building, `out_in` ([out, in], torch's) for the importance math of src/experts.
 */
export async function readLinear(lin: Linear, layout: WeightLayout): Promise<Float32Array> {
  checkLinearShape(lin);
  const data = await lin.weight.read();
  if (lin.layout === layout) return data;
  return lin.layout === 'out_in'
    ? transpose2d(data, lin.outFeatures, lin.inFeatures)
    : transpose2d(data, lin.inFeatures, lin.outFeatures);
}

/**
 * The linear's weight as an [in, out] value. Kept checkpoint bytes stay [out, in] behind an in-graph Transpose
 * that ORT folds at load, so exporting copies bytes; otherwise `out_in` weights are transposed as they stream out.
 */
async function linearWeight(ctx: DecoderContext, lin: Linear): Promise<string> {
  const { weight, inFeatures: inF, outFeatures: outF } = lin;
  checkLinearShape(lin);
  const kept = ctx.keep(weight);
  if (kept !== undefined) return lin.layout === 'out_in' ? ctx.b.transpose(kept, [1, 0]) : kept;
  const data = await weight.read();
  return lin.layout === 'out_in'
    ? ctx.weightTransposed(weight.name, data, outF, inF)
    : ctx.weight(weight.name, data, [inF, outF]);
}

function checkLinearShape(lin: Linear): void {
  const { weight, layout, inFeatures: inF, outFeatures: outF } = lin;
  const expected = layout === 'out_in' ? [outF, inF] : [inF, outF];
  if (weight.shape.length !== 2 || weight.shape[0] !== expected[0] || weight.shape[1] !== expected[1]) {
    throw new InputError(
      `${weight.file}: ${weight.name} has shape [${weight.shape.join(', ')}], expected [${expected.join(', ')}] (${layout})`,
    );
  }
}

/** Reads a 1-D tensor (bias, norm gain) and checks its length. */
export async function readVector(handle: Linear['weight'], length: number): Promise<Float32Array> {
  if (handle.shape.length !== 1 || handle.shape[0] !== length) {
    throw new InputError(
      `${handle.file}: ${handle.name} has shape [${handle.shape.join(', ')}], expected [${length}]`,
    );
  }
  return handle.read();
}

/** y = x W (+ b): x [..., in] → [..., out]. Weights are named after their checkpoint tensors. */
export async function linear(ctx: DecoderContext, lin: Linear, x: string): Promise<string> {
  const w = await linearWeight(ctx, lin);
  const y = ctx.b.matMul(x, w);
  if (!lin.bias) return y;
  return ctx.b.add(
    y,
    ctx.weight(lin.bias.name, await readVector(lin.bias, lin.outFeatures), [lin.outFeatures]),
  );
}
