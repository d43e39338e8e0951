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
import { runMeasured } from './child.js';
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

async function measureSize(size: Size, dir: string): Promise<Figure[]> {
  const ckpt = join(dir, 'ckpt');
  const file = writeSynthCheckpoint(ckpt, size.shape, 'BF16');
  const bytes = statSync(file).size;
  const cp = await runMeasured('cp', [file, join(dir, 'copy.safetensors')]);
  rmSync(join(dir, 'copy.safetensors'));
  const exp = moefyCommand(['export', ckpt, '--out', join(dir, 'export')]);
  const exported = await runMeasured(exp.command, exp.args);
  rmSync(join(dir, 'export'), { recursive: true, force: true });
  // The conversion alone, without ORT's load-and-run check (which holds ORT's own copy of the weights).
  const bare = moefyCommand(['export', ckpt, '--out', join(dir, 'export'), '--no-verify']);
  const streamed = await runMeasured(bare.command, bare.args);
  rmSync(join(dir, 'export'), { recursive: true, force: true });
  const p = `${size.label} (${(parameterCount(size.shape) / 1e6).toFixed(0)}M params, ${(bytes / MB).toFixed(0)} MB)`;
  const largest = largestLayerBytes(size.shape);
  const rssLimit = 3 * largest + RSS_SLACK;
  const figures: Figure[] = [
    { name: `${p}: cp time`, value: round(cp.wallMs / 1000, 2), unit: 's' },
    { name: `${p}: export time`, value: round(exported.wallMs / 1000, 2), unit: 's' },
    {
      name: `${p}: export time / cp time`,
      value: round(exported.wallMs / cp.wallMs, 2),
      unit: '×',
      budget: maxBudget(1.5, '≤ 1.5×'),
      note: 'export writes float32 (2× the bf16 bytes) and runs a 4-token smoke test in ORT',
    },
    {
      name: `${p}: export peak RSS`,
      value: round(exported.peakRss / MB, 0),
      unit: 'MB',
      budget: maxBudget(
        rssLimit / MB,
        `≤ 3 × ${(largest / MB).toFixed(0)} MB + 300 MB = ${(rssLimit / MB).toFixed(0)} MB`,
      ),
      note: `largest layer (decoder layer or embedding, bf16 as stored); ${exported.rssSource}`,
    },
    {
      name: `${p}: export --no-verify time / cp time`,
      value: round(streamed.wallMs / cp.wallMs, 2),
      unit: '×',
      budget: maxBudget(1.5, '≤ 1.5×'),
      note: 'the streaming conversion alone (no ORT check)',
    },
    {
      name: `${p}: export --no-verify peak RSS`,
      value: round(streamed.peakRss / MB, 0),
      unit: 'MB',
      budget: maxBudget(rssLimit / MB, `≤ ${(rssLimit / MB).toFixed(0)} MB`),
      note: streamed.rssSource,
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
  const cmd = moefyCommand(['convert', '--recipe', recipe, '--out', join(a.dir, 'convert'), '--quiet']);
  const run = await runMeasured(cmd.command, cmd.args, {
    ...process.env,
    MOEFY_CACHE_DIR: join(a.dir, 'cache'),
  });
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
  ];
}
