/**
 * Layer-sequential calibration throughput against a bare dense forward of the same checkpoint, in ONE process and
 * interleaved (calibration pass, bare pass, calibration pass, …), so both see the same machine load; the ratio of
 * each pair is reported with its spread. The calibration pass is the stage's own code (`calibrate`: embedding, one
 * part graph per layer built from the checkpoint, the runs, the reservoirs and statistics, the per-layer files and
 * their merge); the bare forward is one whole float32 graph opened once beforehand (its load time reported apart:
 * a user's forward would pay it too). Run alone: `tsx bench/scale-throughput.ts <checkpoint> <tokens> <seq> <pairs>`.
 */
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { calibrate } from '../src/app/convert/calibrate.js';
import { createProgress } from '../src/app/shared/progress.js';
import { openTextSource } from '../src/app/shared/text-source.js';
import { collectWindows, streamTextWindows } from '../src/data/windows.js';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { loadModelIR } from '../src/families/load.js';
import { loadRecipe } from '../src/recipe/load.js';
import { openBareForward } from './bare-forward.js';
import { REPO_ROOT } from './cli-path.js';

export interface ThroughputResult {
  readonly tokens: number;
  /** Per pair: calibration seconds, bare forward seconds, ratio of tokens/s (= bare / calibration seconds). */
  readonly pairs: readonly { calibration: number; bare: number; ratio: number }[];
  readonly bareLoadSeconds: number;
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

export async function measureThroughput(a: {
  readonly checkpoint: string;
  readonly tokens: number;
  readonly seqLen: number;
  readonly pairs: number;
}): Promise<ThroughputResult> {
  const dir = mkdtempSync(join(tmpdir(), 'moefy-throughput-'));
  try {
    const recipePath = join(dir, 'recipe.yaml');
    writeFileSync(
      recipePath,
      `model: ${a.checkpoint}\ncalibration: { text: ${join(REPO_ROOT, 'fixtures/kjv-llama/calibration.txt')}, tokens: ${a.tokens}, seq_len: ${a.seqLen}, rows_per_layer: 1024 }\nrouter: { train: { batch: 512 } }\n`,
    );
    const recipe = await loadRecipe(recipePath);
    const ir = await loadModelIR(a.checkpoint);
    const text = await openTextSource(recipe.calibration);
    const windows = await collectWindows(
      streamTextWindows({
        chunks: text.chunks(),
        tokenizer: loadTokenizer(a.checkpoint),
        seqLen: a.seqLen,
        maxTokens: a.tokens,
      }),
      a.seqLen,
    );
    const tokens = windows.count * a.seqLen;
    const bare = await openBareForward(ir, windows);
    const stage = createProgress({ quiet: true }).stage('calibrate');
    const pairs: { calibration: number; bare: number; ratio: number }[] = [];
    try {
      for (let p = 0; p < a.pairs; p++) {
        const out = join(dir, `cal.${p}`);
        mkdirSync(out);
        const t = performance.now();
        await calibrate({ ir, tokenizerDir: a.checkpoint, recipe, text, device: 'cpu', stage }, out);
        const calibration = (performance.now() - t) / 1000;
        rmSync(out, { recursive: true, force: true });
        const b = await bare.pass();
        pairs.push({ calibration, bare: b, ratio: b / calibration });
      }
    } finally {
      await bare.close();
    }
    const ratios = pairs.map((p) => p.ratio).sort((x, y) => x - y);
    return {
      tokens,
      pairs,
      bareLoadSeconds: bare.loadSeconds,
      median: ratios[Math.floor((ratios.length - 1) / 2)]!,
      min: ratios[0]!,
      max: ratios[ratios.length - 1]!,
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1]?.endsWith('scale-throughput.ts')) {
  const [checkpoint, tokens, seq, pairs] = process.argv.slice(2);
  const result = await measureThroughput({
    checkpoint: checkpoint!,
    tokens: Number(tokens ?? 1024),
    seqLen: Number(seq ?? 256),
    pairs: Number(pairs ?? 3),
  });
  process.stdout.write(`${JSON.stringify(result)}\n`);
}
