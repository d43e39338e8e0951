/**
 * Suite `convert`: synthetic bf16 Llama checkpoints at three sizes. Per size: `cp` of the checkpoint bytes, then
 * `moefy export` (child process, peak RSS), and at the smallest size `moefy convert` with data-free ordering and a
 * tiny calibration (convert always calibrates: router targets need FFN inputs). Each size's files are deleted
 * before the next is generated.
 */
import { mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { moefyCommand, REPO_ROOT } from './cli-path.js';
import { type ChildRun, runMeasured } from './child.js';
import { type Figure, maxBudget, type SuiteResult } from './figures.js';
import { layerBytes, parameterCount, type SynthShape, writeSynthCheckpoint } from './synth-checkpoint.js';
import { round } from './timing.js';

interface Size {
  readonly label: string;
  readonly shape: SynthShape;
  /** Also run `moefy convert` at this size. */
  readonly convert: boolean;
}

const VOCAB = 32000;
const SIZES: readonly Size[] = [
  {
    label: '50M',
    shape: { hidden: 512, ffn: 1408, layers: 8, heads: 8, kvHeads: 8, vocab: VOCAB },
    convert: true,
  },
  {
    label: '300M',
    shape: { hidden: 1024, ffn: 2816, layers: 20, heads: 16, kvHeads: 4, vocab: VOCAB },
    convert: false,
  },
  {
    label: '1B',
    shape: { hidden: 2048, ffn: 5632, layers: 22, heads: 32, kvHeads: 4, vocab: VOCAB },
    convert: false,
  },
];
const MB = 2 ** 20;
const RSS_SLACK = 300 * MB;

export async function convertSuite(opts: { quick: boolean }): Promise<SuiteResult> {
  const sizes = opts.quick ? SIZES.slice(0, 1) : SIZES;
  const figures: Figure[] = [];
  for (const size of sizes) {
    const dir = mkdtempSync(join(tmpdir(), `moefy-bench-${size.label}-`));
    try {
      figures.push(...(await measureSize(size, dir)));
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  }
  return {
    suite: 'convert',
    settings: {
      checkpoint: 'synthetic Llama, bf16, one safetensors file',
      sizes: sizes.map((s) => s.label).join(', '),
    },
    figures,
  };
}

/** Page-cache timings of a few hundred ms swing ±50% run to run: the fast steps are timed this many times. */
const REPEATS = 3;

async function measureSize(size: Size, dir: string): Promise<Figure[]> {
  const ckpt = join(dir, 'ckpt');
  const file = writeSynthCheckpoint(ckpt, size.shape, 'BF16');
  const bytes = statSync(file).size;
  const out = join(dir, 'out');
  const clean = () => rmSync(out, { recursive: true, force: true });
  const cp = await median(REPEATS, () => runMeasured('cp', [file, out]), clean);
  const moefy = (...extra: string[]) => {
    const c = moefyCommand(['export', ckpt, '--out', out, ...extra]);
    return () => runMeasured(c.command, c.args);
  };
  const exported = await median(1, moefy(), clean);
  // The conversion alone, without ORT's load-and-run check (which materializes float32 weights).
  const streamed = await median(REPEATS, moefy('--no-verify'), clean);
  const wide = await median(1, moefy('--no-verify', '--dtype', 'float32'), clean);
  const p = `${size.label} (${(parameterCount(size.shape) / 1e6).toFixed(0)}M params, ${(bytes / MB).toFixed(0)} MB)`;
  const largest = largestLayerBytes(size.shape);
  const rssLimit = 3 * largest + RSS_SLACK;
  const ratio = (run: ChildRun) => round(run.wallMs / cp.wallMs, 2);
  const figures: Figure[] = [
    { name: `${p}: cp time`, value: round(cp.wallMs / 1000, 2), unit: 's', note: `median of ${REPEATS}` },
    { name: `${p}: export time`, value: round(exported.wallMs / 1000, 2), unit: 's' },
    {
      name: `${p}: export time / cp time`,
      value: ratio(exported),
      unit: '×',
      budget: maxBudget(1.5, '≤ 1.5×'),
      note: 'bf16 kept as bf16 (dtype auto); sha256 of checkpoint and output; ORT load-and-run check',
    },
    {
      name: `${p}: export peak RSS`,
      value: round(exported.peakRss / MB, 0),
      unit: 'MB',
      budget: maxBudget(
        rssLimit / MB,
        `≤ 3 × ${(largest / MB).toFixed(0)} MB + 300 MB = ${(rssLimit / MB).toFixed(0)} MB`,
      ),
      note: `largest layer (decoder layer or embedding, bf16 as stored); the ORT check holds float32 weights; ${exported.rssSource}`,
    },
    {
      name: `${p}: export --no-verify time / cp time`,
      value: ratio(streamed),
      unit: '×',
      budget: maxBudget(1.5, '≤ 1.5×'),
      note: `the streaming conversion alone, median of ${REPEATS} (${round(streamed.wallMs / 1000, 2)} s)`,
    },
    {
      name: `${p}: export --no-verify peak RSS`,
      value: round(streamed.peakRss / MB, 0),
      unit: 'MB',
      budget: maxBudget(rssLimit / MB, `≤ ${(rssLimit / MB).toFixed(0)} MB`),
      note: streamed.rssSource,
    },
    {
      name: `${p}: export --no-verify --dtype float32 time / cp time`,
      value: ratio(wide),
      unit: '×',
      note: `decodes, transposes and writes 2× the bytes (${round(wide.wallMs / 1000, 2)} s, peak ${round(wide.peakRss / MB, 0)} MB)`,
    },
  ];
  if (size.convert)
    figures.push(...(await measureConvert({ dir, ckpt, label: p, cpMs: cp.wallMs, rssLimit })));
  return figures;
}

/** The biggest unit the converter streams: one decoder layer's weights or the embedding / LM head matrix. */
function largestLayerBytes(s: SynthShape): number {
  return Math.max(layerBytes(s, 'BF16'), s.vocab * s.hidden * 2);
}

async function measureConvert(a: {
  dir: string;
  ckpt: string;
  label: string;
  cpMs: number;
  rssLimit: number;
}): Promise<Figure[]> {
  const recipe = join(a.dir, 'recipe.yaml');
  const text = join(REPO_ROOT, 'fixtures/kjv-llama/calibration.txt');
  writeFileSync(
    recipe,
    [
      `model: ${a.ckpt}`,
      'experts: { ordering: weight }',
      `calibration: { text: ${text}, tokens: 512, seq_len: 128, rows_per_layer: 256 }`,
      'router: { kind: ridge }',
      `eval: { text: ${text}, tokens: 512, thresholds: [0], latency: { seq: 16, repeats: 1, decode_tokens: 0 } }`,
      '',
    ].join('\n'),
  );
  const convert = (out: string, ...extra: string[]) => {
    const cmd = moefyCommand(['convert', '--recipe', recipe, '--out', join(a.dir, out), '--quiet', ...extra]);
    return runMeasured(cmd.command, cmd.args, { ...process.env, MOEFY_CACHE_DIR: join(a.dir, 'cache') });
  };
  const run = await convert('convert');
  // Same stages from the cache, float32 graphs: what keeping bf16 costs ORT's sessions during the evaluation.
  const wide = await convert('convert-f32', '--dtype', 'float32');
  return [
    {
      name: `${a.label}: convert time / cp time`,
      value: round(run.wallMs / a.cpMs, 2),
      unit: '×',
      budget: maxBudget(1.5, '≤ 1.5×'),
      note: `weight ordering, 512 calibration tokens, ridge routers; writes MoE + choice + dense graphs (${round(run.wallMs / 1000, 1)} s)`,
    },
    {
      name: `${a.label}: convert peak RSS`,
      value: round(run.peakRss / MB, 0),
      unit: 'MB',
      budget: maxBudget(a.rssLimit / MB, `≤ ${(a.rssLimit / MB).toFixed(0)} MB`),
      note: run.rssSource,
    },
    {
      name: `${a.label}: convert --dtype float32 peak RSS`,
      value: round(wide.peakRss / MB, 0),
      unit: 'MB',
      note: 'stages from the cache; float32 graphs, which ORT loads without converting bf16',
    },
  ];
}

/** The run with the median wall time of `n`; `after` runs after each (removing what it wrote). */
async function median(n: number, run: () => Promise<ChildRun>, after: () => void): Promise<ChildRun> {
  const runs: ChildRun[] = [];
  for (let i = 0; i < n; i++) {
    runs.push(await run());
    after();
  }
  return runs.sort((a, b) => a.wallMs - b.wallMs)[Math.floor(n / 2)]!;
}
