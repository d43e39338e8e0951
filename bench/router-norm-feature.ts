/**
 * Issue #16 item 3: does the router gain from log‖r‖ beside its input x = RMSNorm(r) (which removes ‖r‖, although
 * the targets divide by ‖r + y‖)? On a finished conversion's cached calibration rows and targets, per layer, the
 * ridge router fit (z ~ [x, 1]) is compared with z ~ [x, f, 1] by mean squared error on calibration windows that
 * fitted nothing (window % 4 == 0; the rest fits). f is built as the router stage builds it (`routerRows`: log(‖r‖ +
 * ε) standardized over the layer's rows) from the ‖r‖ calibration stored (`layers.N.residual_norm`, kept whatever
 * router.input is), so the figure is the one of the rows the routers are fitted on.
 * Run: `npx tsx bench/router-norm-feature.ts <calibrate entry dir> <targets entry dir> <model dir>`; prints JSON.
 */
import { readCalibration } from '../src/app/convert/calibrate.js';
import { readTargets } from '../src/app/convert/targets.js';
import { loadModelIR } from '../src/families/load.js';
import { choleskySolve } from '../src/experts/spd-inverse.js';
import { routerRows } from '../src/router/features.js';

const [calDir, tgtDir, modelDir] = process.argv.slice(2);
if (!calDir || !tgtDir || !modelDir)
  throw new Error('usage: router-norm-feature.ts <cal dir> <targets dir> <model dir>');
const ir = await loadModelIR(modelDir);
const L = ir.config.numLayers;
const d = ir.config.hidden;
const cal = await readCalibration(calDir, L);
const tgt = await readTargets(tgtDir, L);

/** Ridge fit of Z [n, o] on F [n, p] (λ relative to the mean diagonal) → W [p, o]. */
function ridge(F: Float64Array, Z: Float32Array, rows: number[], p: number, o: number): Float64Array {
  const A = new Float64Array(p * p);
  const B = new Float64Array(p * o);
  for (const r of rows) {
    for (let i = 0; i < p; i++) {
      const fi = F[r * p + i]!;
      for (let j = 0; j <= i; j++) A[i * p + j]! += fi * F[r * p + j]!;
      for (let c = 0; c < o; c++) B[i * o + c]! += fi * Z[r * o + c]!;
    }
  }
  let mean = 0;
  for (let i = 0; i < p; i++) mean += A[i * p + i]! / p;
  for (let i = 0; i < p; i++) {
    for (let j = 0; j < i; j++) A[j * p + i] = A[i * p + j]!;
    if (i < p - 1) A[i * p + i]! += 1e-3 * mean; // the constant (last) is not penalized
  }
  choleskySolve(A, B, p, o);
  return B;
}

function mse(
  F: Float64Array,
  W: Float64Array,
  Z: Float32Array,
  rows: number[],
  p: number,
  o: number,
): number {
  let s = 0;
  for (const r of rows) {
    for (let c = 0; c < o; c++) {
      let v = -Z[r * o + c]!;
      for (let i = 0; i < p; i++) v += F[r * p + i]! * W[i * o + c]!;
      s += v * v;
    }
  }
  return s / (rows.length * o);
}

/** rows [n, p] (float32) followed by a constant column → [n, p + 1] in float64. */
function withConstant(rows: Float32Array, n: number, p: number): Float64Array {
  const F = new Float64Array(n * (p + 1));
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < p; k++) F[r * (p + 1) + k] = rows[r * p + k]!;
    F[r * (p + 1) + p] = 1;
  }
  return F;
}

const layers = [];
let [base, withNorm, heldRows] = [0, 0, 0];
for (let i = 0; i < L; i++) {
  const c = cal[i]!;
  const t = tgt[i]!;
  const n = c.rows;
  const o = t.z.length / n;
  if (!c.residualNorms)
    throw new Error(
      `${calDir}: layers.${i}.residual_norm missing: the entry predates the stored ‖r‖; run convert again to recalibrate`,
    );
  const F1 = withConstant(c.x, n, d);
  const F2 = withConstant(
    routerRows('normed+log_norm', { x: c.x, rows: n, residualNorms: c.residualNorms }).x,
    n,
    d + 1,
  );
  const fit: number[] = [];
  const held: number[] = [];
  for (let r = 0; r < n; r++) (c.windows[r]! % 4 === 0 ? held : fit).push(r);
  const e1 = mse(F1, ridge(F1, t.z, fit, d + 1, o), t.z, held, d + 1, o);
  const e2 = mse(F2, ridge(F2, t.z, fit, d + 2, o), t.z, held, d + 2, o);
  base += e1 * held.length;
  withNorm += e2 * held.length;
  heldRows += held.length;
  layers.push({
    layer: i,
    fitRows: fit.length,
    heldRows: held.length,
    mseX: e1,
    mseXLogNorm: e2,
    change: e2 / e1 - 1,
  });
}
console.log(
  JSON.stringify(
    {
      layers,
      heldOutMseX: base / heldRows,
      heldOutMseXLogNorm: withNorm / heldRows,
      change: withNorm / base - 1,
    },
    null,
    1,
  ),
);
