/**
 * Every precision's linear layer, built by storeLinear/applyLinear and run by ONNX Runtime's CPU provider, against
 * the float32 product: q4 exactly equals int8-quantized x times its dequantized weight (proof of the MatMulNBits
 * layout and of accuracy_level 4), the others within their rounding. Inputs are rank 3, as the decoder's, and an empty batch of rows (a nested block
 * no token chose) runs too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { f16BitsToFloat, float32ToHalfBits } from '../../checkpoint/float-convert.js';
import { PRECISIONS, type Precision } from '../../ir/precision.js';
import { ELEM, GraphBuilder } from '../../onnx/builder.js';
import { writeModel } from '../../onnx/serialize.js';
import { dequantizeNbits4, quantizeNbits4 } from '../../onnx/quantize-nbits.js';
import { createSession, releaseSession, run } from '../../runtime/session.js';
import { float32Tensor, readFloat32 } from '../../runtime/tensors.js';
import { makeContext } from '../weights.js';
import { storeLinear } from './linear-store.js';
import { applyLinear } from './linear-weight.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-linear-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const [K, N] = [80, 6]; // K not a multiple of 32: a short last block
const W = Float32Array.from({ length: K * N }, (_, i) =>
  Math.fround(Math.sin(i * 1.37) * 0.3 + 0.01 * (i % N)),
);

async function product(precision: Precision, x: Float32Array, rows: number): Promise<Float32Array> {
  const b = new GraphBuilder('linear');
  const ctx = makeContext(b, { hidden: K } as never, precision === 'fp16' ? 'float16' : 'float32', precision);
  const input = b.input('x', ELEM.float, [1, 'rows', K]);
  const w = storeLinear(ctx, { name: 'w', data: W, k: K, n: N, layout: 'in_out' });
  b.output('y', applyLinear(ctx, w, input), ELEM.float, [1, 'rows', N]);
  const path = join(dir, `${precision}-${rows}.onnx`);
  writeModel(b.model(), path);
  const session = await createSession(path);
  try {
    const out = await run(session, { x: float32Tensor(x, [1, rows, K]) });
    expect(out.y!.dims).toEqual([1, rows, N]);
    return readFloat32(out.y!);
  } finally {
    await releaseSession(session);
  }
}

function matmul(x: Float32Array, w: Float32Array, rows: number): Float64Array {
  const y = new Float64Array(rows * N);
  for (let r = 0; r < rows; r++)
    for (let c = 0; c < N; c++)
      for (let k = 0; k < K; k++) y[r * N + c] = y[r * N + c]! + x[r * K + k]! * w[k * N + c]!;
  return y;
}

const rows = 3;
const x = Float32Array.from({ length: rows * K }, (_, i) => Math.cos(i * 0.41));
const exact = matmul(x, W, rows);
const maxError = (y: Float32Array, ref: Float64Array) => Math.max(...ref.map((v, i) => Math.abs(v - y[i]!)));
const toHalf = (v: number) => f16BitsToFloat(float32ToHalfBits(Float32Array.of(v), 'F16')[0]!);

/**
 * x as MatMulNBits' int8 path sees it: per row, per block of 32 inputs, symmetric int8 with scale max|x|/127
 * (MLAS QuantizeARow_CompInt8), dequantized.
 */
function int8Blocks(x: Float32Array, rows: number): Float32Array {
  const out = new Float32Array(x.length);
  for (let r = 0; r < rows; r++) {
    for (let k0 = 0; k0 < K; k0 += 32) {
      const block = x.subarray(r * K + k0, r * K + Math.min(K, k0 + 32));
      const scale = Math.fround(Math.max(...block.map(Math.abs)) / 127);
      const inv = scale === 0 ? 0 : Math.fround(1 / scale);
      block.forEach((v, i) => (out[r * K + k0 + i] = Math.fround(Math.round(Math.fround(v * inv)) * scale)));
    }
  }
  return out;
}

describe('linear layers in every precision', () => {
  it('q4 is int8 x times the dequantized 4-bit weight (accuracy_level 4), to float32 rounding', async () => {
    const q = quantizeNbits4({ data: W, k: K, n: N, layout: 'in_out', block: 32 });
    const y = await product('q4', x, rows);
    const weights = dequantizeNbits4(q);
    expect(maxError(y, matmul(int8Blocks(x, rows), weights, rows))).toBeLessThan(1e-5);
    expect(maxError(y, matmul(x, weights, rows))).toBeGreaterThan(1e-4); // activations are quantized too
    expect(maxError(y, exact)).toBeGreaterThan(1e-3); // it is quantized
  });

  it('q4f16 is float16 x times the dequantized 4-bit weight (no int8 activations)', async () => {
    const q = quantizeNbits4({ data: W, k: K, n: N, layout: 'in_out', block: 32, roundScale: toHalf });
    const y = await product('q4f16', x, rows);
    expect(maxError(y, matmul(x.map(toHalf), dequantizeNbits4(q), rows))).toBeLessThan(2e-2);
  });

  it.each([
    ['fp32', 1e-5],
    ['fp16', 2e-2],
    ['q8', 0.03],
    ['q4', 0.3],
    ['q4f16', 0.3],
  ] as const)('%s stays within its rounding of the float32 product', async (precision, tolerance) => {
    expect(maxError(await product(precision, x, rows), exact)).toBeLessThan(tolerance);
  });

  it.each(PRECISIONS)('%s runs on an empty batch of rows', async (precision) => {
    expect(await product(precision, new Float32Array(0), 0)).toHaveLength(0);
  });
});
