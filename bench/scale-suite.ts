/**
 * Suite `scale`: convert synthetic bf16 checkpoints of real shapes end to end with the layer-sequential stages
 * (TinyLlama-1.1B: 22 layers, hidden 2048, FFN 5632, GQA 32/4, vocab 256; with MOEFY_BENCH_8B=1 and the disk for
 * it, Llama-3-8B: 32 layers, 4096, 14336, GQA 32/8, vocab 128256 untied). Per shape: `moefy plan --json` (its
 * estimates), `moefy convert` under /usr/bin/time -v (peak RSS, each stage's time from its progress lines), and
 * the calibration's and the evaluation's tokens/s against a bare dense forward, interleaved in one process
 * (scale-throughput.ts, eval-throughput.ts).
 * Latency timings are off in the recipe: they open the whole graphs, which the layer-sequential stages avoid.
 */
import { spawn } from 'node:child_process';
import { mkdtempSync, rmSync, statfsSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moefyCommand, REPO_ROOT } from './cli-path.js';
import { type Figure, maxBudget, minBudget, type SuiteResult } from './figures.js';
import { layerBytes, parameterCount, type SynthShape, writeSynthCheckpoint } from './synth-checkpoint.js';
import { measureEvalThroughput } from './eval-throughput.js';
import { measureThroughput } from './scale-throughput.js';
import { round } from './timing.js';

interface Shape {
  readonly label: string;
  readonly shape: SynthShape;
}

const SHAPES: readonly Shape[] = [
  { label: '1.1B', shape: { hidden: 2048, ffn: 5632, layers: 22, heads: 32, kvHeads: 4, vocab: 256 } },
  { label: '8B', shape: { hidden: 4096, ffn: 14336, layers: 32, heads: 32, kvHeads: 8, vocab: 128256 } },
];
const MB = 2 ** 20;
const SLACK = 600 * MB;
const CAL = { tokens: 1024, seqLen: 256 };
const EVAL = { tokens: 512, seqLen: 256, thresholds: [0, 0.1] };

export async function scaleSuite(opts: { quick: boolean }): Promise<SuiteResult> {
  const figures: Figure[] = [];
  const skipped: string[] = [];
  for (const s of opts.quick ? [] : SHAPES) {
    const need = parameterCount(s.shape) * 2 * 3.2; // checkpoint + bf16 MoE + dense graphs + slack
    const free = freeBytes(tmpdir());
    if (s.label === '8B' && process.env.MOEFY_BENCH_8B !== '1') {
      skipped.push('8B: set MOEFY_BENCH_8B=1 (needs ~55 GB of disk and hours on 2 cores)');
      continue;
    }
    if (free < need) {
      skipped.push(
        `${s.label}: ${round(free / 2 ** 30, 1)} GB free in ${tmpdir()}, needs ${round(need / 2 ** 30, 1)} GB`,
      );
      continue;
    }
    const dir = mkdtempSync(join(tmpdir(), `moefy-scale-${s.label}-`));
    try {
      figures.push(...(await measureShape(s, dir)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    suite: 'scale',
    settings: {
      checkpoint: 'synthetic Llama, bf16, distinct random values per tensor',
      recipe: `calibration ${CAL.tokens} tokens (windows of ${CAL.seqLen}), eval ${EVAL.tokens} tokens, thresholds ${EVAL.thresholds.join('/')}, experts 25/50/75/100%, mlp router 20 steps, latency off`,
      ...(skipped.length > 0 && { skipped: skipped.join('; ') }),
    },
    figures,
  };
}

async function measureShape(s: Shape, dir: string): Promise<Figure[]> {
  const ckpt = join(dir, 'ckpt');
  writeSynthCheckpoint(ckpt, s.shape, 'BF16');
  const text = join(REPO_ROOT, 'fixtures/kjv-llama');
  const recipe = join(dir, 'recipe.yaml');
  writeFileSync(
    recipe,
    [
      `model: ${ckpt}`,
      // adapt: none until the adapt sums run on the layer runner (#16): `lsq` holds every layer's normal equations.
      'experts: { sizes: [0.25, 0.5, 0.75, 1.0], adapt: none }',
      `calibration: { text: ${text}/calibration.txt, tokens: ${CAL.tokens}, seq_len: ${CAL.seqLen}, rows_per_layer: 1024 }`,
      'router: { train: { steps: 20, batch: 512 } }',
      // fp32 only: the other precisions' perplexities are measured on whole graphs (#17), not layer by layer.
      'output: { dtypes: [fp32] }',
      `eval: { text: ${text}/eval.txt, tokens: ${EVAL.tokens}, seq_len: ${EVAL.seqLen}, thresholds: [${EVAL.thresholds.join(', ')}], latency: { enabled: false } }`,
      '',
    ].join('\n'),
  );
  const env = { ...process.env, MOEFY_CACHE_DIR: join(dir, 'cache'), CI: 'true' };
  const planCmd = moefyCommand(['plan', recipe, '--json']);
  const plan = JSON.parse((await child(planCmd.command, planCmd.args, env)).stdout) as {
    memory: { peakBytes: number };
    time: { calibrationSeconds: number; evalSeconds: number; totalSeconds: number };
  };
  const convertCmd = moefyCommand(['convert', '--recipe', recipe, '--out', join(dir, 'out')]);
  const started = performance.now();
  const run = await child('/usr/bin/time', ['-v', convertCmd.command, ...convertCmd.args], env);
  const wall = (performance.now() - started) / 1000;
  rmSync(join(dir, 'out'), { recursive: true, force: true });
  const peak = Number(/Maximum resident set size \(kbytes\): (\d+)/.exec(run.stderr)?.[1] ?? 0) * 1024;
  const stage = (name: string) =>
    Number(new RegExp(`\\[${name}\\] done in ([\\d.]+)s`).exec(run.stderr)?.[1] ?? NaN);
  // Interleaved in one process (calibration pass, bare pass, …): the ratio of each pair, with its spread.
  const tp = await measureThroughput({ checkpoint: ckpt, tokens: CAL.tokens, seqLen: CAL.seqLen, pairs: 3 });
  // The evaluation the same way: one point's pass (dense, routed) against the bare forward, and the whole sweep.
  const ev = await measureEvalThroughput({
    checkpoint: ckpt,
    tokens: EVAL.tokens,
    seqLen: EVAL.seqLen,
    pairs: 3,
    sweep: true,
  });
  const f32Layer = (layerBytes(s.shape, 'BF16') / 2) * 4;
  const head = s.shape.vocab * s.shape.hidden * 4;
  const hidden = (1 + 4 + 2 * EVAL.thresholds.length + 1) * EVAL.tokens * s.shape.hidden * 4;
  const bound = 2 * f32Layer + head + hidden + SLACK;
  const p = `${s.label} (${(parameterCount(s.shape) / 1e9).toFixed(2)}B params)`;
  return [
    {
      name: `${p}: convert peak RSS`,
      value: round(peak / MB, 0),
      unit: 'MB',
      budget: maxBudget(
        bound / MB,
        `≤ 2 f32 layers + head + hidden states + 600 MB = ${round(bound / MB, 0)} MB`,
      ),
      note: `/usr/bin/time -v; plan estimated ${round(plan.memory.peakBytes / MB, 0)} MB`,
    },
    {
      name: `${p}: measured / planned peak RSS`,
      value: round(peak / plan.memory.peakBytes, 2),
      unit: '×',
      budget: maxBudget(1.3, '0.7–1.3×'),
    },
    ...['resolve', 'calibrate', 'targets', 'router', 'emit', 'eval'].map((name) => ({
      name: `${p}: ${name} time`,
      value: round(stage(name), 1),
      unit: 's',
      ...(name === 'calibrate' && { note: `plan estimated ${round(plan.time.calibrationSeconds, 1)} s` }),
      ...(name === 'eval' && { note: `plan estimated ${round(plan.time.evalSeconds, 1)} s` }),
    })),
    {
      name: `${p}: convert wall time`,
      value: round(wall, 0),
      unit: 's',
      note: `plan estimated ${round(plan.time.totalSeconds, 0)} s`,
    },
    {
      name: `${p}: calibration tokens/s / bare dense forward tokens/s`,
      value: round(tp.median, 2),
      unit: '×',
      budget: minBudget(0.7, '≥ 0.7×'),
      note: `median of ${tp.pairs.length} interleaved pairs in one process (${round(tp.min, 2)}–${round(tp.max, 2)}), ${tp.tokens} tokens; calibration = the stage's code, part graphs built from the checkpoint included; the bare forward's graph load (${round(tp.bareLoadSeconds, 1)} s) excluded`,
    },
    ...(['dense', 'routed'] as const).map((point) => ({
      name: `${p}: eval ${point} point tokens/s / bare dense forward tokens/s`,
      value: round(ev[point].wall.median, 2),
      unit: '×',
      budget: minBudget(0.7, '≥ 0.7×'),
      note: `one point's layer-by-layer pass (convert's code: part graphs built per layer, head), median of ${ev.pairs.length} interleaved pairs (${round(ev[point].wall.min, 2)}–${round(ev[point].wall.max, 2)}; by CPU seconds ${round(ev[point].cpu.median, 2)}×), ${ev.tokens} tokens`,
    })),
    ...(ev.sweep
      ? [
          {
            name: `${p}: eval sweep tokens/s per point / bare dense forward tokens/s`,
            value: round(ev.sweep.ratio.wall, 2),
            unit: '×',
            budget: minBudget(0.7, '≥ 0.7×'),
            note: `${ev.sweep.points} points in ${round(ev.sweep.seconds.wall, 1)} s (one run; by CPU seconds ${round(ev.sweep.ratio.cpu, 2)}×)`,
          },
        ]
      : []),
  ];
}

function freeBytes(path: string): number {
  const s = statfsSync(path);
  return s.bavail * s.bsize;
}

function child(
  command: string,
  args: readonly string[],
  env: NodeJS.ProcessEnv,
): Promise<{ stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const c = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    c.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    c.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    c.on('close', (code) =>
      code === 0
        ? resolve({ stdout, stderr })
        : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${stderr.slice(-2000)}`)),
    );
  });
}
