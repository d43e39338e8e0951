/**
 * The adaptation's ridge solves at a real FFN shape (default TinyLlama-1.1B: FFN 5632, hidden 2048, experts
 * 25/50/75/100%), on ORT's float64 GEMM as `convert` runs them: one nested Cholesky factorization for every expert
 * (experts/nested-cholesky.ts, what `fitAdaptedExperts` does) beside the former separate blocked SPD inverse of
 * each expert's system (experts/spd-inverse.ts), same box, same run; the largest expert's weights agree between
 * the two (same ridge term). Synthetic, well-conditioned normal equations (R + Rᵀ + m·I): the time depends on the
 * sizes only. Run: `npx tsx bench/adapt-solve.ts [ffn] [hidden]`; prints JSON.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openOrtGemm } from '../src/app/convert/adapt-gemm.js';
import { fitAdaptedExperts } from '../src/experts/adapt-lsq.js';
import { NormalEquations } from '../src/experts/normal-equations.js';
import { SOLVE_TILE } from '../src/experts/lower-tiles.js';
import { spdInverse } from '../src/experts/spd-inverse.js';
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
const ridge = 1e-3;
const systems = sizes.slice(0, -1).map((n) => n + 1);

/** The former path: each expert's system [constant, neurons] inverted on its own, then X = A⁻¹B. */
async function separate(gemm: Parameters<typeof spdInverse>[2]['gemm']): Promise<Float64Array> {
  const top = sizes.at(-2)!;
  let meanDiag = 0;
  for (let r = 0; r < top; r++) meanDiag += hth[r * M + r]! / top;
  let last: Float64Array = new Float64Array(0);
  for (const p of systems) {
    const idx = [m, ...permutation.subarray(0, p - 1)];
    const A = new Float64Array(p * p);
    const B = new Float64Array(p * d);
    for (let r = 0; r < p; r++) {
      for (let c = 0; c < p; c++) A[r * p + c] = hth[idx[r]! * M + idx[c]!]!;
      B.set(eq.hty.subarray(idx[r]! * d, idx[r]! * d + d), r * d);
      if (r > 0) A[r * p + r]! += ridge * meanDiag + 1e-12;
    }
    last = await gemm({ a: await spdInverse(A, p, { gemm }), b: B, m: p, k: p, n: d });
  }
  return last;
}

const dir = mkdtempSync(join(tmpdir(), 'moefy-adapt-solve-'));
const ort = openOrtGemm({ dir, device: 'cpu' });
const round = (v: number, digits = 1) => Math.round(v * 10 ** digits) / 10 ** digits;
try {
  let t = performance.now();
  const nested = await fitAdaptedExperts(eq, { permutation, sizes, ridge, gemm: ort.gemm });
  const nestedSeconds = (performance.now() - t) / 1000;
  t = performance.now();
  const old = await separate(ort.gemm);
  const separateSeconds = (performance.now() - t) / 1000;
  const largest = nested.at(-1)!;
  let maxAbsDiff = Math.abs(largest.bias[0]! - old[0]!);
  for (let i = 0; i < largest.down.length; i++)
    maxAbsDiff = Math.max(maxAbsDiff, Math.abs(largest.down[i]! - old[d + i]!));
  const top = systems.at(-1)!;
  // As app/plan/estimates.ts counts the tiled solve: factor, panels through each diagonal tile's inverse,
  // forward and back substitutions.
  const nestedFlops =
    top ** 3 / 3 +
    top * top * Math.min(SOLVE_TILE, top) +
    top * top * d +
    systems.reduce((s, q) => s + q * q * d, 0);
  const separateFlops = systems.reduce((s, q) => s + (4 / 3) * q ** 3 + 2 * q * q * d, 0);
  console.log(
    JSON.stringify({
      ffn: m,
      hidden: d,
      systems,
      nestedSeconds: round(nestedSeconds),
      nestedGflopPerS: round(nestedFlops / nestedSeconds / 1e9),
      separateSeconds: round(separateSeconds),
      separateGflopPerS: round(separateFlops / separateSeconds / 1e9),
      largestExpertMaxAbsDiff: maxAbsDiff,
    }),
  );
} finally {
  await ort.release();
  rmSync(dir, { recursive: true, force: true });
}
