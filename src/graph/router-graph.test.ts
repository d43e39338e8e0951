import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { loadModelIR } from '../families/load.js';
import { ELEM, GraphBuilder, writeModel } from '../onnx/builder.js';
import { foldFeatureScale, routerRows } from '../router/features.js';
import { routerForward } from '../router/forward.js';
import { initMlpRouter, type RidgeRouter, type RouterWeights, withInput } from '../router/spec.js';
import { ERROR_EPSILON } from '../router/targets.js';
import { createSession, releaseSession, run } from '../runtime/session.js';
import { float32Tensor, readFloat32 } from '../runtime/tensors.js';
import { Rng } from '../util/random.js';
import { routerLogErrors } from './router-graph.js';
import { makeContext } from './weights.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-router-graph-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const D = 6;
const ROWS = 9;
const OUTPUTS = 3;
const rng = new Rng(7);
const uniform = (n: number, scale: number) =>
  Float32Array.from({ length: n }, () => (rng.next() - 0.5) * scale);
const x = uniform(ROWS * D, 4);
// Residual rows whose norms span 1e-3 … 1e3, one of them zero: log(‖r‖ + ε) stays finite there.
const residual = Float32Array.from({ length: ROWS * D }, (_, i) => {
  const row = Math.floor(i / D);
  return row === 0 ? 0 : (rng.next() - 0.5) * 10 ** ((row % 7) - 3);
});

/** The router subgraph alone on a real ORT session: x [N, d], residual [N, d] → z [N, K−1]. */
async function graphZ(r: RouterWeights, name: string): Promise<Float32Array> {
  const b = new GraphBuilder(name);
  const config = (await loadModelIR(join(process.cwd(), 'fixtures', 'kjv-llama'))).config;
  const ctx = makeContext(b, config, 'float32');
  const xs = b.input('x', ELEM.float, ['rows', D]);
  const rs = b.input('residual', ELEM.float, ['rows', D]);
  b.output('z', routerLogErrors(ctx, r, { x: xs, residual: rs }, 0), ELEM.float, ['rows', OUTPUTS]);
  const path = join(dir, `${name}.onnx`);
  writeModel(b.model(), path);
  const session = await createSession(path);
  try {
    const out = await run(session, {
      x: float32Tensor(x, [ROWS, D]),
      residual: float32Tensor(residual, [ROWS, D]),
    });
    return readFloat32(out.z!);
  } finally {
    await releaseSession(session);
  }
}

function residualNorms(): Float32Array {
  return Float32Array.from({ length: ROWS }, (_, r) => Math.hypot(...residual.subarray(r * D, (r + 1) * D)));
}

function maxAbsDiff(a: ArrayLike<number>, b: ArrayLike<number>): number {
  let m = 0;
  for (let i = 0; i < a.length; i++) m = Math.max(m, Math.abs(a[i]! - b[i]!));
  return m;
}

describe('router graph with the log‖r‖ input', () => {
  it('computes z = x·W + v·log(‖r‖ + ε) + b (ridge) as written out in float64', async () => {
    const w1 = uniform((D + 1) * OUTPUTS, 2);
    const r: RidgeRouter = {
      kind: 'ridge',
      d: D,
      outputs: OUTPUTS,
      input: 'normed+log_norm',
      w1,
      b1: uniform(OUTPUTS, 2),
    };
    const got = await graphZ(r, 'ridge');
    const want = new Float64Array(ROWS * OUTPUTS);
    const norms = residualNorms();
    for (let n = 0; n < ROWS; n++) {
      const feature = Math.log(norms[n]! + ERROR_EPSILON);
      for (let o = 0; o < OUTPUTS; o++) {
        let z = r.b1[o]! + w1[D * OUTPUTS + o]! * feature; // v = w1's last row
        for (let i = 0; i < D; i++) z += x[n * D + i]! * w1[i * OUTPUTS + o]!;
        want[n * OUTPUTS + o] = z;
      }
    }
    expect(got.every(Number.isFinite)).toBe(true); // row 0 has a zero residual
    expect(maxAbsDiff(got, want)).toBeLessThanOrEqual(1e-5);
    // The log‖r‖ weight matters: the same router without it predicts something else.
    const normed = await graphZ({ ...r, input: 'normed', w1: w1.subarray(0, D * OUTPUTS) }, 'ridge-normed');
    expect(maxAbsDiff(got, normed)).toBeGreaterThan(1e-2);
  });

  it('reads f itself with the weights fitted on standardized f folded in (mlp): the fit’s own predictions', async () => {
    const init = initMlpRouter({ d: D + 1, hidden: 5, outputs: OUTPUTS, seed: 3 });
    const fitted: RouterWeights = { ...init, b1: uniform(5, 1) }; // as trained: on [x, (f − μ)/σ]
    const { x: rows, scale } = routerRows('normed+log_norm', {
      x,
      rows: ROWS,
      residualNorms: residualNorms(),
    });
    expect(rows.length).toBe(ROWS * (D + 1));
    expect(scale!.std).toBeGreaterThan(0.5); // the norms span six decades
    const r = withInput(foldFeatureScale(fitted, scale!), 'normed+log_norm', D);
    const got = await graphZ(r, 'mlp');
    expect(maxAbsDiff(got, routerForward(fitted, rows, ROWS))).toBeLessThanOrEqual(1e-4);
  });
});
