/**
 * The adaptation's ridge solves at a real FFN shape (default TinyLlama-1.1B: FFN 5632, hidden 2048, experts
 * 25/50/75/100%), on ORT's float64 GEMM as `convert` runs them, beside the plain JavaScript Cholesky solve of the
 * smallest system for comparison. Synthetic, well-conditioned normal equations (R + Rᵀ + m·I): the time depends on
 * the sizes only. Run: `npx tsx bench/adapt-solve.ts [ffn] [hidden]`; prints JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openOrtGemm } from '../src/app/convert/adapt-gemm.js';
import { fitAdaptedExperts, NormalEquations } from '../src/experts/adapt-lsq.js';
import { choleskySolve } from '../src/experts/spd-inverse.js';
import { Rng } from '../src/util/random.js';

const m = Number(process.argv[2] ?? 5632);
const d = Number(process.argv[3] ?? 2048);
const sizes = [0.25, 0.5, 0.75, 1].map((f) => Math.round(f * m));
const rng = new Rng(1);
const eq = new NormalEquations(m, d);
const M = m + 1;
const hth = new Float64Array(M * M);
for (let i = 0; i < M; i++) {
  hth[i * M + i] = M;
  for (let j = 0; j < i; j++) {
    const v = rng.next() - 0.5;
    hth[i * M + j] = v;
    hth[j * M + i] = v;
  }
}
eq.add({ hth, hty: Float64Array.from({ length: M * d }, () => rng.next() - 0.5), rows: 1 });
const permutation = Int32Array.from({ length: m }, (_, i) => i);

const dir = mkdtempSync(join(tmpdir(), 'moefy-adapt-solve-'));
const ort = openOrtGemm({ dir, device: 'cpu' });
try {
  let t = performance.now();
  await fitAdaptedExperts(eq, { permutation, sizes, ridge: 1e-3, gemm: ort.gemm });
  const ortSeconds = (performance.now() - t) / 1000;
  const p = sizes[0]! + 1;
  const A = new Float64Array(p * p);
  for (let r = 0; r < p; r++) A.set(hth.subarray(r * M, r * M + p), r * p);
  const B = Float64Array.from(eq.hty.subarray(0, p * d));
  t = performance.now();
  choleskySolve(A, B, p, d);
  const jsSmallest = (performance.now() - t) / 1000;
  const flops = (q: number) => (4 / 3) * q ** 3 + 2 * q * q * d;
  const systems = sizes.slice(0, -1).map((n) => n + 1);
  console.log(
    JSON.stringify({
      ffn: m,
      hidden: d,
      systems,
      ortSecondsAllExperts: Math.round(ortSeconds * 10) / 10,
      ortGflopPerS: Math.round((systems.reduce((s, q) => s + flops(q), 0) / ortSeconds / 1e9) * 10) / 10,
      jsCholeskySecondsSmallest: Math.round(jsSmallest * 10) / 10,
      jsGflopPerS: Math.round(((p ** 3 / 3 + 2 * p * p * d) / jsSmallest / 1e9) * 100) / 100,
    }),
  );
} finally {
  await ort.release();
  rmSync(dir, { recursive: true, force: true });
}
