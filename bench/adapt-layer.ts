/**
 * One layer's expert adaptation at a real FFN shape, on the path `convert` runs (app/convert/adapt-layer.ts):
 * the Gram graph's sums over `tokens` synthetic calibration tokens in batches of 256 (app/convert/gram-sums.ts),
 * the largest adapted expert's system gathered under a random permutation (experts/adapt-lsq.ts `lsqSystem`), the
 * sums dropped, then the nested solve of every expert (`solveLsq`). Default Llama-3-8B's FFN (14336, hidden 4096,
 * 1024 tokens, experts 25/50/75/100%). Prints JSON: seconds per phase, the process's peak RSS (the OS's maximum,
 * `process.resourceUsage().maxRSS`) and its RSS before the adaptation began, beside `moefy plan`'s estimate of one
 * layer's adaptation memory. Run: `npx tsx bench/adapt-layer.ts [ffn] [hidden] [tokens]` (several GB at 8B: run it
 * alone, under `/usr/bin/time -v` for a second opinion on the peak).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { openOrtGemm } from '../src/app/convert/adapt-gemm.js';
import { GramSums } from '../src/app/convert/gram-sums.js';
import { adaptLayerBytes } from '../src/app/plan/estimates.js';
import { lsqSystem, solveLsq } from '../src/experts/adapt-lsq.js';
import { Rng } from '../src/util/random.js';

const m = Number(process.argv[2] ?? 14336);
const d = Number(process.argv[3] ?? 4096);
const tokens = Number(process.argv[4] ?? 1024);
const BATCH = 256; // calibration rows per ORT run at 8B's shape (one window of 256 tokens)
const sizes = [0.25, 0.5, 0.75, 1].map((f) => Math.round(f * m));
const rng = new Rng(1);
const permutation = Int32Array.from({ length: m }, (_, i) => i);
for (let i = m - 1; i > 0; i--) {
  const j = Math.floor(rng.next() * (i + 1));
  [permutation[i], permutation[j]] = [permutation[j]!, permutation[i]!];
}
const dir = mkdtempSync(join(tmpdir(), 'moefy-adapt-layer-'));
const gram = await GramSums.open({ ffnDim: m, hidden: d, dir, device: 'cpu' });
const ort = openOrtGemm({ dir, device: 'cpu' });
const mb = (bytes: number) => Math.round(bytes / 1e6);
const seconds = (t: number) => Math.round((performance.now() - t) / 100) / 10;
try {
  const rssBefore = mb(process.memoryUsage().rss);
  let t = performance.now();
  let eq: ReturnType<GramSums['begin']> | null = gram.begin();
  for (let done = 0; done < tokens; done += BATCH) {
    const rows = Math.min(BATCH, tokens - done);
    const h = Float32Array.from({ length: rows * m }, () => rng.next() - 0.5);
    const y = Float32Array.from({ length: rows * d }, () => rng.next() - 0.5);
    await gram.add(eq, { h, y, rows });
  }
  const sumsSeconds = seconds(t);
  t = performance.now();
  const system = lsqSystem(eq, { permutation, sizes, ridge: 1e-3 })!;
  eq = null; // as LayerAdapter does: the sums are garbage once the system is gathered
  const gatherSeconds = seconds(t);
  t = performance.now();
  const experts = await solveLsq(system, { gemm: ort.gemm });
  const solveSeconds = seconds(t);
  const systems = sizes.slice(0, -1).map((n) => n + 1);
  console.log(
    JSON.stringify({
      ffn: m,
      hidden: d,
      tokens,
      systems,
      sumsSeconds,
      gatherSeconds,
      solveSeconds,
      rssBeforeMB: rssBefore,
      peakRssMB: mb(process.resourceUsage().maxRSS * 1024),
      planAdaptMB: mb(adaptLayerBytes({ ffnDim: m, hidden: d }, systems)),
      firstWeights: Array.from(experts[0]!.down.subarray(0, 3)),
    }),
  );
} finally {
  await gram.release();
  await ort.release();
  rmSync(dir, { recursive: true, force: true });
}
