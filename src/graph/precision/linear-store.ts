/**
 * Storing a linear layer's float32 weight in the context's precision (the tensors of linear-weight.ts's table),
 * and finding it again in a data file another graph of the same conversion already wrote.
 */
import { f16BitsToFloat, float32ToHalfBits } from '../../checkpoint/float-convert.js';
import { type Precision, Q4_BLOCK, computesInHalf, isFourBit } from '../../ir/precision.js';
import { ELEM, type ElemType, type GraphBuilder } from '../../onnx/builder.js';
import { elemSize, numElements } from '../../onnx/dtype.js';
import { quantizeNbits4 } from '../../onnx/quantize-nbits.js';
import { quantizeUint8Columns } from '../../onnx/quantize-uint8.js';
import { InternalError } from '../../util/errors.js';
import type { DecoderContext, WeightDtype } from '../context.js';
import { transpose2d, transposedBlocks } from '../transpose.js';
import type { LinearSource, LinearWeight } from './linear-weight.js';

const WEIGHT_ELEM: Readonly<Record<WeightDtype, ElemType>> = {
  float32: ELEM.float,
  float16: ELEM.float16,
  bfloat16: ELEM.bfloat16,
};

/** Stores `w` in the context's precision. */
export function storeLinear(ctx: DecoderContext, w: LinearSource): LinearWeight {
  const p = ctx.precision;
  if (isFourBit(p)) return storeNbits(ctx, w);
  if (p === 'q8') return storeUint8(ctx, w);
  if (p === 'fp16') return { kind: 'float', value: storeHalf(ctx.b, w), half: true };
  const value =
    w.layout === 'out_in'
      ? ctx.weightTransposed(w.name, w.data, w.n, w.k)
      : ctx.weight(w.name, w.data, [w.k, w.n]);
  return { kind: 'float', value, half: false };
}

/** The tensors a weight of this precision is stored as: name suffix, element type, dims. */
function parts(p: Precision, a: { name: string; k: number; n: number; dtype: ElemType }) {
  const { name, k, n } = a;
  if (isFourBit(p)) {
    const blocks = Math.ceil(k / Q4_BLOCK);
    return [
      { name: `${name}.q4`, type: ELEM.uint8, dims: [n, blocks, Q4_BLOCK / 2] },
      { name: `${name}.q4.scales`, type: p === 'q4f16' ? ELEM.float16 : ELEM.float, dims: [n * blocks] },
      { name: `${name}.q4.zero_points`, type: ELEM.uint8, dims: [n * Math.ceil(blocks / 2)] },
    ];
  }
  if (p === 'q8') {
    return [
      { name: `${name}.q8`, type: ELEM.uint8, dims: [k, n] },
      { name: `${name}.q8.scale`, type: ELEM.float, dims: [n] },
      { name: `${name}.q8.zero_point`, type: ELEM.uint8, dims: [n] },
    ];
  }
  return [{ name, type: p === 'fp16' ? ELEM.float16 : a.dtype, dims: [k, n] }];
}

/**
 * The weight `name` [k, n] when a graph sharing the data file already wrote all its parts in this precision
 * (the MoE graphs of one conversion share their nested blocks); undefined when it was never written.
 */
export function sharedLinear(
  ctx: DecoderContext,
  a: { name: string; k: number; n: number },
): LinearWeight | undefined {
  const data = ctx.b.data;
  const stored = parts(ctx.precision, { ...a, dtype: WEIGHT_ELEM[ctx.dtype] });
  if (!data || !stored.every((t) => data.segment(t.name))) return undefined;
  const values = stored.map((t) => {
    const bytes = numElements(t.dims) * elemSize(t.type);
    if (data.segment(t.name)!.length !== bytes) {
      throw new InternalError(
        `shared weight ${t.name}: ${data.segment(t.name)!.length} bytes, ${bytes} expected`,
      );
    }
    return ctx.b.sharedWeight(t.name, t.type, t.dims);
  });
  const p = ctx.precision;
  const half = computesInHalf(p);
  if (isFourBit(p)) {
    const [packed, scales, zeroPoints] = values as [string, string, string];
    return { kind: 'nbits', packed, scales, zeroPoints, k: a.k, n: a.n, half };
  }
  if (p === 'q8') {
    const [q, scale, zero] = values as [string, string, string];
    return { kind: 'uint8', values: q, scale, zero };
  }
  const [value] = values as [string];
  if (half || ctx.dtype === 'float32') return { kind: 'float', value, half };
  return {
    kind: 'float',
    value: ctx.b.op('Cast', [value], { to: ELEM.float }, { name: `${value}/to_float` })[0]!,
    half,
  };
}

function storeHalf(b: GraphBuilder, w: LinearSource): string {
  const half = (v: Float32Array) => float32ToHalfBits(v, 'F16');
  if (w.layout === 'in_out') return b.weight(w.name, ELEM.float16, [w.k, w.n], half(w.data));
  const bytes = transposedBlocks({ data: w.data, rows: w.n, cols: w.k, encode: half });
  return b.weight(w.name, ELEM.float16, [w.k, w.n], bytes);
}

function storeNbits(ctx: DecoderContext, w: LinearSource): LinearWeight {
  const half = ctx.precision === 'q4f16';
  const q = quantizeNbits4({
    data: w.data,
    k: w.k,
    n: w.n,
    layout: w.layout,
    block: Q4_BLOCK,
    // q4f16 keeps float16 scales: values are quantized with the scale the graph will multiply by.
    ...(half && { roundScale: (s: number) => roundToHalf(s) }),
  });
  const [tPacked, tScales, tZeros] = parts(ctx.precision, { ...w, dtype: ELEM.float });
  const { b } = ctx;
  return {
    kind: 'nbits',
    packed: b.weight(tPacked!.name, tPacked!.type, tPacked!.dims, q.packed),
    scales: b.weight(
      tScales!.name,
      tScales!.type,
      tScales!.dims,
      half ? float32ToHalfBits(q.scales, 'F16') : q.scales,
    ),
    zeroPoints: b.weight(tZeros!.name, tZeros!.type, tZeros!.dims, q.zeroPoints),
    k: w.k,
    n: w.n,
    half,
  };
}

function storeUint8(ctx: DecoderContext, w: LinearSource): LinearWeight {
  const data = w.layout === 'in_out' ? w.data : transpose2d(w.data, w.n, w.k); // [k, n]
  const q = quantizeUint8Columns(data, w.k, w.n);
  const [tValues, tScale, tZero] = parts('q8', { ...w, dtype: ELEM.float });
  const { b } = ctx;
  return {
    kind: 'uint8',
    values: b.weight(tValues!.name, tValues!.type, tValues!.dims, q.values),
    scale: b.weight(tScale!.name, tScale!.type, tScale!.dims, q.scales),
    zero: b.weight(tZero!.name, tZero!.type, tZero!.dims, q.zeroPoints),
  };
}

function roundToHalf(v: number): number {
  return f16BitsToFloat(float32ToHalfBits(Float32Array.of(v), 'F16')[0]!);
}
