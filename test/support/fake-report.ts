/**
 * A realistic but made-up report (SmolLM2-135M-like shapes) for report/chart tests. The numbers are invented here
 * and nowhere else; Pareto flags and the learned-vs-static comparison are derived with eval's pure functions.
 */
import { summarizeLatency } from '../../src/eval/latency.js';
import { withPareto, type PointMeasurement } from '../../src/eval/pareto.js';
import { recommendPoint } from '../../src/eval/recommend.js';
import type { Point, Report } from '../../src/report/types.js';

const LAYERS = 30;
const EXPERT_SIZES = [192, 384, 768, 1152, 1536];
/** Share of dense MACs outside the FFN (attention, embeddings, LM head) at seq 256. */
const NON_FFN = 0.38;
const ROUTER = 0.004;
const DENSE_PREFILL_MS = 182.4;
const DENSE_DECODE_RATE = 38.5;
/** Invented relative noise of 10 interleaved repeats (the same pattern for every graph, shifted per graph). */
const NOISE = [0.03, -0.02, 0.01, 0.05, -0.04, 0.0, 0.02, -0.01, 0.04, -0.03];

function repeats(value: number, shift: number): number[] {
  return NOISE.map((_, i) => value * (1 + NOISE[(i + shift) % NOISE.length]!));
}

function samples(prefillMs: number, decodeRate: number, shift: number) {
  return { prefillMs: repeats(prefillMs, shift), decodeRate: repeats(decodeRate, shift + 3) };
}

const DENSE_SAMPLES = samples(DENSE_PREFILL_MS, DENSE_DECODE_RATE, 0);

function point(
  kind: Point['kind'],
  o: { threshold?: number; expert?: number; ffn: number; ppl: number; timed: boolean },
): PointMeasurement {
  const routed = kind === 'learned' || kind === 'oracle';
  const share = o.ffn * (1 - NON_FFN);
  return {
    kind,
    threshold: o.threshold ?? null,
    expert: o.expert ?? null,
    ffn_fraction: o.ffn,
    // The router's MACs as a share of the dense FFN's (learned points pay for it; the oracle's is not counted).
    ffn_router_fraction: o.ffn + (kind === 'learned' ? ROUTER / (1 - NON_FFN) : 0),
    flops_fraction: NON_FFN + share + (routed ? ROUTER : 0),
    perplexity: o.ppl,
    accuracy: 0.4123 - (o.ppl - 12.41) * 0.004,
    ffn_fraction_per_layer: Array.from({ length: LAYERS }, (_, l) =>
      Math.min(1, o.ffn * (0.8 + (0.4 * l) / (LAYERS - 1))),
    ),
    expert_histogram: routed
      ? [410, 1220, 3050, 2210, 1302]
      : EXPERT_SIZES.map((_, k) => (k === o.expert ? 8192 : 0)),
    latency: o.timed
      ? kind === 'dense'
        ? summarizeLatency(DENSE_SAMPLES, null)
        : summarizeLatency(
            samples(
              DENSE_PREFILL_MS * (0.35 + 0.65 * o.ffn) * (routed ? 1.04 : 1),
              DENSE_DECODE_RATE / ((0.4 + 0.6 * o.ffn) * (routed ? 1.05 : 1)),
              Math.round(o.ffn * 100),
            ),
            DENSE_SAMPLES,
          )
      : null,
  };
}

const LEARNED: [number, number, number][] = [
  [0.02, 0.93, 12.44],
  [0.05, 0.82, 12.52],
  [0.1, 0.68, 12.71],
  [0.15, 0.59, 12.93],
  [0.2, 0.52, 13.18],
  [0.3, 0.41, 13.9],
  [0.5, 0.27, 15.6],
];
const ORACLE: [number, number, number][] = [
  [0.02, 0.85, 12.43],
  [0.05, 0.72, 12.49],
  [0.1, 0.55, 12.62],
  [0.15, 0.46, 12.8],
  [0.2, 0.4, 13.0],
  [0.3, 0.31, 13.5],
  [0.5, 0.2, 14.9],
];
const STATIC_PPL = [48.2, 24.1, 15.3, 13.2, 12.41];

export function fakeReport(): Report {
  const measured: PointMeasurement[] = [
    point('dense', { ffn: 1, ppl: 12.41, timed: true }),
    ...LEARNED.map(([threshold, ffn, ppl]) => point('learned', { threshold, ffn, ppl, timed: true })),
    ...STATIC_PPL.map((ppl, expert) =>
      point('static', { expert, ffn: EXPERT_SIZES[expert]! / 1536, ppl, timed: true }),
    ),
    ...ORACLE.map(([threshold, ffn, ppl]) => point('oracle', { threshold, ffn, ppl, timed: false })),
  ];
  const { points, pareto } = withPareto(measured);
  return {
    schema: 'moefy.report/1',
    moefy_version: '0.1.0',
    model: {
      id: 'HuggingFaceTB/SmolLM2-135M',
      family: 'llama',
      source_sha: '93efa2f097d58c2a74874c7e644dbc9b0cee75a2',
      layers: LAYERS,
      hidden: 576,
      ffn_dim: 1536,
      expert_sizes: EXPERT_SIZES,
    },
    machine: { cpu: 'AMD EPYC 7B13', cores: 2, ort_version: '1.30.0', threads: 2 },
    eval: { text: 'fixtures/kjv-llama/eval.txt', tokens: 65536, seq_len: 256 },
    points,
    pareto,
    timing: {
      reference: 'dense',
      repeats: NOISE.length,
      prompt_tokens: 256,
      decode_tokens: 32,
      required_confidence: 0.99,
    },
    recommended: recommendPoint(points, 0.02),
    fixed_threshold: 0.1,
  };
}
