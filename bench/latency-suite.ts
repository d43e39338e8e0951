/**
 * Suite `latency` (ORT CPU, 2 intra-op threads, batch 1): kjv-llama converted with ridge routers, swept over
 * router thresholds; and a synthetic d=2048 / FFN 5632 model whose tokens take experts drawn from kjv-llama's
 * realized choice distribution (same routers' statistics) through the input-choice graph. Every routed point is
 * compared with dense and with the static dense slice of its FFN fraction.
 */
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { loadTokenizer } from '../src/data/tokenizer.js';
import { loadModelIR } from '../src/families/load.js';
import { expertSizes, routerMacs } from '../src/ir/flops.js';
import { float32Tensor } from '../src/runtime/tensors.js';
import { runMeasured } from './child.js';
import { moefyCommand, REPO_ROOT } from './cli-path.js';
import type { Figure, SuiteResult } from './figures.js';
import { overheadFigures } from './latency-figures.js';
import { comparePoint, DEFAULT_SIZES, sliceWriter, type Timing } from './latency-compare.js';
import {
  type GraphRun,
  type LatencySetup,
  pairedIntervalNote,
  pairedRatio,
  type Timed,
  timeGroup,
} from './latency-measure.js';
import { SYNTH, syntheticFigures } from './latency-synthetic.js';
import { median, round } from './timing.js';

const KJV = join(REPO_ROOT, 'fixtures/kjv-llama');
const THRESHOLDS = [0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 0.7, 1.0, 1.5];
const TARGET_FRACTIONS = [0.25, 0.5];
const THREADS = 2;

export async function latencySuite(opts: { quick: boolean }): Promise<SuiteResult> {
  const dir = mkdtempSync(join(tmpdir(), 'moefy-bench-latency-'));
  const timing = {
    seq: 256,
    decodeTokens: opts.quick ? 8 : 32,
    repeats: opts.quick ? 2 : 10,
    threads: THREADS,
  };
  try {
    const tokens = loadTokenizer(KJV)
      .encode(readFileSync(join(KJV, 'eval.txt'), 'utf8'))
      .slice(0, 512);
    const kjv = await kjvFigures({ dir: join(dir, 'kjv'), tokens, timing });
    const synth = opts.quick
      ? []
      : await syntheticFigures({ dir: join(dir, 'synth'), tokens, timing, mixes: kjv.mixes });
    return {
      suite: 'latency',
      settings: {
        runtime: 'onnxruntime-node CPU EP',
        'intra-op threads': THREADS,
        batch: 1,
        'prefill tokens': timing.seq,
        'decode tokens (KV cache, per-token mean)': timing.decodeTokens,
        repeats: `${timing.repeats} interleaved rounds after 1 warm-up; median of paired ratios with a distribution-free 99% interval (needs ≥ 8 rounds)`,
        synthetic: opts.quick
          ? 'skipped (--quick)'
          : `d=${SYNTH.hidden}, FFN ${SYNTH.ffn}, ${SYNTH.layers} layers, vocab ${SYNTH.vocab}, random f32 weights`,
      },
      figures: [...kjv.figures, ...synth],
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function kjvFigures(a: { dir: string; tokens: number[]; timing: Timing }) {
  const out = join(a.dir, 'out');
  await convertKjv(a.dir, out);
  const ir = await loadModelIR(KJV);
  const setup: LatencySetup = { ...a.timing, config: ir.config, tokens: a.tokens };
  const sizes = expertSizes(ir.config.ffnDim, DEFAULT_SIZES, 16);
  const dense: GraphRun = { path: join(out, 'dense.onnx') };
  const routed = (threshold: number): GraphRun => ({
    path: join(out, 'model.onnx'),
    sizes,
    extraFeeds: () => ({ router_threshold: float32Tensor([threshold], []) }),
  });
  const sweep = await timeGroup(setup, [dense, ...THRESHOLDS.map(routed)]);
  const points = THRESHOLDS.map((threshold, i) => ({ threshold, timed: sweep[i + 1]! }));
  const figures: Figure[] = [
    { name: 'kjv-llama dense prefill', value: round(median(sweep[0]!.prefill), 2), unit: 'ms' },
    { name: 'kjv-llama dense decode', value: round(median(sweep[0]!.decode), 3), unit: 'ms/token' },
    ...overheadFigures({ label: 'kjv-llama', dense: sweep[0]!, moe: points[0]!.timed }),
    ...points.map((p) => sweepFigure(p, sweep[0]!)),
  ];
  const mixes: number[][] = [];
  const routerCost = routerMacs({ hidden: ir.config.hidden, routerHidden: null, experts: sizes.length });
  const slice = sliceWriter(ir, a.dir);
  for (const target of TARGET_FRACTIONS) {
    const p = nearest(points.slice(1), target);
    mixes.push([...p.timed.histogram!]);
    const fractions = { prefill: p.timed.prefillFraction, decode: p.timed.decodeFraction };
    figures.push(
      ...(await comparePoint({
        label: `kjv-llama t=${p.threshold}`,
        setup,
        dense,
        routed: routed(p.threshold),
        fractions,
        slice,
        routerMacs: routerCost,
      })),
    );
  }
  return { figures, mixes };
}

function sweepFigure(p: { threshold: number; timed: Timed }, dense: Timed): Figure {
  const t = p.timed;
  return {
    name: `kjv-llama sweep t=${p.threshold}: prefill speedup`,
    value: round(pairedRatio(dense, t, 'prefill'), 2),
    unit: '×',
    note:
      `FFN ${round(t.prefillFraction, 3)} prefill / ${round(t.decodeFraction, 3)} decode; ` +
      `${pairedIntervalNote(dense, t, 'prefill')}; decode speedup ${round(pairedRatio(dense, t, 'decode'), 2)}× ` +
      `(${pairedIntervalNote(dense, t, 'decode')})`,
  };
}

function nearest<T extends { timed: Timed }>(points: readonly T[], target: number): T {
  return points.reduce((best, p) =>
    Math.abs(p.timed.prefillFraction - target) < Math.abs(best.timed.prefillFraction - target) ? p : best,
  );
}

/** `moefy convert` of kjv-llama with ridge routers (seconds): the real router graph and dense baseline. */
async function convertKjv(dir: string, out: string): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const recipe = join(dir, 'recipe.yaml');
  const text = (f: string) => join(KJV, f);
  writeFileSync(
    recipe,
    [
      `model: ${KJV}`,
      `calibration: { text: ${text('calibration.txt')}, tokens: 16384, seq_len: 128, rows_per_layer: 4096 }`,
      // convert's own evaluation is not what this suite measures: keep its timing pass minimal.
      `eval: { text: ${text('eval.txt')}, tokens: 4096, latency: { seq: 128, repeats: 1, decode_tokens: 1 } }`,
      'router: { kind: ridge }',
      '',
    ].join('\n'),
  );
  const cmd = moefyCommand(['convert', '--recipe', recipe, '--out', out, '--quiet']);
  await runMeasured(cmd.command, cmd.args, { ...process.env, MOEFY_CACHE_DIR: join(dir, 'cache') });
}
