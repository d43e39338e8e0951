/** Weight storage (dtype applied per tensor) and linear layers with weights laid out [in, out] for MatMul. */
import { float32ToHalfBits } from '../checkpoint/float-convert.js';
import { ELEM, type GraphBuilder } from '../onnx/builder.js';
import type { Linear } from '../ir/model.js';
import { InputError } from '../util/errors.js';
import type { DecoderContext, WeightDtype } from './context.js';

export function makeContext(
  b: GraphBuilder,
  config: DecoderContext['config'],
  dtype: WeightDtype,
): DecoderContext {
  const weight = (name: string, data: Float32Array, dims: readonly number[]): string => {
    if (dtype === 'float32') return b.weight(name, ELEM.float, dims, data);
    const half = b.weight(name, ELEM.float16, dims, float32ToHalfBits(data, 'F16'));
    return b.op('Cast', [half], { to: ELEM.float }, { name: `${name}/to_float` })[0]!;
  };
  return { b, config, dtype, weight };
}

/** [rows, cols] → [cols, rows], done while streaming one tensor so only it is in memory. */
export function transpose2d(data: Float32Array, rows: number, cols: number): Float32Array {
  const out = new Float32Array(data.length);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) out[c * rows + r] = data[base + c]!;
  }
  return out;
}

/** The linear's weight as [in, out] float32, whatever its stored layout. */
export async function readLinearInOut(lin: Linear): Promise<Float32Array> {
  const { weight, layout, inFeatures: inF, outFeatures: outF } = lin;
  const expected = layout === 'out_in' ? [outF, inF] : [inF, outF];
  if (weight.shape.length !== 2 || weight.shape[0] !== expected[0] || weight.shape[1] !== expected[1]) {
    throw new InputError(
      `${weight.file}: ${weight.name} has shape [${weight.shape.join(', ')}], expected [${expected.join(', ')}] (${layout})`,
    );
  }
  const data = await weight.read();
  return layout === 'out_in' ? transpose2d(data, outF, inF) : data;
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
  const w = ctx.weight(lin.weight.name, await readLinearInOut(lin), [lin.inFeatures, lin.outFeatures]);
  const y = ctx.b.matMul(x, w);
  if (!lin.bias) return y;
  return ctx.b.add(
    y,
    ctx.weight(lin.bias.name, await readVector(lin.bias, lin.outFeatures), [lin.outFeatures]),
  );
}
