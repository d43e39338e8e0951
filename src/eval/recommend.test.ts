import { describe, expect, it } from 'vitest';
import type { Point } from '../report/types.js';
import { recommendPoint } from './recommend.js';

function point(kind: Point['kind'], o: { threshold?: number; flops: number; ppl: number }): Point {
  return {
    kind,
    threshold: o.threshold ?? null,
    expert: null,
    ffn_fraction: Math.min(1, o.flops),
    flops_fraction: o.flops,
    perplexity: o.ppl,
    accuracy: 0.5,
    ffn_fraction_per_layer: [],
    expert_histogram: [],
    latency: null,
    pareto: false,
  };
}

const dense = point('dense', { flops: 1, ppl: 10 });
const learned = [
  point('learned', { threshold: 0, flops: 1.002, ppl: 10 }),
  point('learned', { threshold: 0.05, flops: 0.9, ppl: 10.05 }),
  point('learned', { threshold: 0.1, flops: 0.8, ppl: 10.19 }),
  point('learned', { threshold: 0.2, flops: 0.6, ppl: 10.9 }),
];

describe('recommendPoint', () => {
  it('takes the cheapest learned point within the tolerance (the guide’s rule)', () => {
    const r = recommendPoint([dense, ...learned], 0.02);
    expect(r).toMatchObject({ kind: 'learned', threshold: 0.1, flops_fraction: 0.8, max_ppl_increase: 0.02 });
    expect(r!.ppl_increase).toBeCloseTo(0.019, 12);
    expect(recommendPoint([dense, ...learned], 0.1)!.threshold).toBe(0.2);
  });

  it('ignores static and oracle points: they are not what model.onnx deploys', () => {
    const cheaper = [
      point('static', { flops: 0.5, ppl: 10.1 }),
      point('oracle', { threshold: 0.3, flops: 0.4, ppl: 10 }),
    ];
    expect(recommendPoint([dense, ...learned, ...cheaper], 0.02)!.threshold).toBe(0.1);
  });

  it('recommends dense when no learned point within the tolerance saves FLOPs', () => {
    const r = recommendPoint([dense, ...learned], 0.001);
    expect(r).toMatchObject({ kind: 'dense', threshold: null, flops_fraction: 1, ppl_increase: 0 });
    expect(recommendPoint(learned, 0.02)).toBeNull();
  });
});
