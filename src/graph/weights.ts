/** Weight storage (dtype applied per tensor) and linear layers with weights laid out [in, out] for MatMul. */
import { float32ToHalfBits } from '../checkpoint/float-convert.js';
import { type ChunkedBytes, ELEM, type GraphBuilder } from '../onnx/builder.js';
import type { DType, Linear, ModelIR, WeightLayout } from '../ir/model.js';
import type { Precision } from '../ir/precision.js';
import { InputError } from '../util/errors.js';
import type { DecoderContext, WeightDtype } from './context.js';
import { storeLinear } from './precision/linear-store.js';
import { applyLinear, type LinearWeight } from './precision/linear-weight.js';
import { transpose2d, transposedBlocks } from './transpose.js';

export function makeContext(
  b: GraphBuilder,
  config: DecoderContext['config'],
  dtype: WeightDtype,
  precision: Precision = 'fp32',
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
    precision,
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
 * The linear's weight in the context's precision. In fp32, kept checkpoint bytes stay [out, in] behind an in-graph
 * Transpose that ORT folds at load, so exporting copies bytes; otherwise the weight is read (one tensor at a time)
 * and stored by precision/linear-store.ts, `out_in` weights transposed or quantized as they stream out.
 */
async function linearWeight(ctx: DecoderContext, lin: Linear): Promise<LinearWeight> {
  const { weight, inFeatures: k, outFeatures: n } = lin;
  checkLinearShape(lin);
  const kept = ctx.precision === 'fp32' ? ctx.keep(weight) : undefined;
  if (kept !== undefined) {
    const value = lin.layout === 'out_in' ? ctx.b.transpose(kept, [1, 0]) : kept;
    return { kind: 'float', value, half: false };
  }
  return storeLinear(ctx, { name: weight.name, data: await weight.read(), k, n, layout: lin.layout });
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
  const y = applyLinear(ctx, await linearWeight(ctx, lin), x);
  if (!lin.bias) return y;
  return ctx.b.add(
    y,
    ctx.weight(lin.bias.name, await readVector(lin.bias, lin.outFeatures), [lin.outFeatures]),
  );
}
