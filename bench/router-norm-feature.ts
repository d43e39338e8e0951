/**
 * Issue #16 item 3, measured before anything is built: does the router gain from log‖r‖ beside its input
 * x = RMSNorm(r) (which removes ‖r‖, although the targets divide by ‖r + y‖)? On a finished conversion's cached
 * calibration rows and targets, per layer: ‖r‖ is recovered from what calibration kept (x = g ⊙ r / rms(r), so
 * r = s · x/g, and ‖s·x/g + y‖ = the stored ‖r + y‖ with y = the dense FFN of x: a quadratic in s > 0), then the
 * ridge router fit (z ~ [x, 1]) is compared with z ~ [x, log‖r‖, 1] by mean squared error on calibration windows
 * that fitted nothing (window % 4 == 0; the rest fits). Llama-style gated SiLU FFN only.
 * Run: `npx tsx bench/router-norm-feature.ts <calibrate entry dir> <targets entry dir> <model dir>`; prints JSON.
 */
import { readCalibration } from '../src/app/convert/calibrate.js';
import { readTargets } from '../src/app/convert/targets.js';
import { loadModelIR } from '../src/families/load.js';
import { readLinear } from '../src/graph/weights.js';
import { choleskySolve } from '../src/experts/spd-inverse.js';

const [calDir, tgtDir, modelDir] = process.argv.slice(2);
if (!calDir || !tgtDir || !modelDir)
  throw new Error('usage: router-norm-feature.ts <cal dir> <targets dir> <model dir>');
const ir = await loadModelIR(modelDir);
const L = ir.config.numLayers;
const d = ir.config.hidden;
const m = ir.config.ffnDim;
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

const layers = [];
let [base, withNorm, heldRows, bad] = [0, 0, 0, 0];
for (const layer of ir.layers) {
  const i = layer.index;
  const c = cal[i]!;
  const t = tgt[i]!;
  const ffn = layer.ffn;
  if (ffn.kind !== 'gated') throw new Error('gated FFN only');
  const gate = await readLinear(ffn.gate, 'in_out'); // [d, m]
  const up = await readLinear(ffn.up, 'in_out');
  const down = await readLinear(ffn.down, 'in_out'); // [m, d]
  const g = await layer.ffnNorm.weight.read();
  const offset = layer.ffnNorm.gainOffset ?? 0;
  const n = c.rows;
  const o = t.z.length / n;
  const logNorm = new Float64Array(n);
  for (let r = 0; r < n; r++) {
    const x = c.x.subarray(r * d, (r + 1) * d);
    const h = new Float64Array(m);
    for (let j = 0; j < m; j++) {
      let a = 0;
      let b = 0;
      for (let k = 0; k < d; k++) {
        a += x[k]! * gate[k * m + j]!;
        b += x[k]! * up[k * m + j]!;
      }
      h[j] = (a / (1 + Math.exp(-a))) * b;
    }
    let uu = 0;
    let uy = 0;
    let yy = 0;
    for (let k = 0; k < d; k++) {
      let y = 0;
      for (let j = 0; j < m; j++) y += h[j]! * down[j * d + k]!;
      const u = x[k]! / (g[k]! + offset);
      uu += u * u;
      uy += u * y;
      yy += y * y;
    }
    const N = c.outputNorms[r]!;
    const disc = uy * uy - uu * (yy - N * N);
    const s = disc >= 0 ? (-uy + Math.sqrt(disc)) / uu : NaN;
    if (!(s > 0)) bad++;
    logNorm[r] = Math.log(s > 0 ? s * Math.sqrt(uu) : N);
  }
  let mu = 0;
  for (const v of logNorm) mu += v / n;
  let sd = 0;
  for (const v of logNorm) sd += (v - mu) ** 2 / n;
  sd = Math.sqrt(sd) || 1;
  const F1 = new Float64Array(n * (d + 1));
  const F2 = new Float64Array(n * (d + 2));
  for (let r = 0; r < n; r++) {
    for (let k = 0; k < d; k++) {
      F1[r * (d + 1) + k] = c.x[r * d + k]!;
      F2[r * (d + 2) + k] = c.x[r * d + k]!;
    }
    F1[r * (d + 1) + d] = 1;
    F2[r * (d + 2) + d] = (logNorm[r]! - mu) / sd;
    F2[r * (d + 2) + d + 1] = 1;
  }
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
      rowsWithoutNorm: bad,
    },
    null,
    1,
  ),
);
