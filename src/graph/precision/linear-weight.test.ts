/**
 * Every precision's linear layer, built by storeLinear/applyLinear and run by ONNX Runtime's CPU provider, against
 * the float32 product: q4 exactly equals x times its dequantized weight (proof of the MatMulNBits layout), the
 * others within their rounding. Inputs are rank 3, as the decoder's, and an empty batch of rows (a nested block
 * no token chose) runs too.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
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

describe('linear layers in every precision', () => {
  it('q4 is x times the dequantized 4-bit weight, to float32 rounding', async () => {
    const q = quantizeNbits4({ data: W, k: K, n: N, layout: 'in_out', block: 32 });
    const y = await product('q4', x, rows);
    expect(maxError(y, matmul(x, dequantizeNbits4(q), rows))).toBeLessThan(1e-5);
    expect(maxError(y, exact)).toBeGreaterThan(1e-3); // it is quantized
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
