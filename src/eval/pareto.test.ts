import { describe, expect, it } from 'vitest';
import { interpolateAt, paretoFlags, withPareto, type PointMeasurement } from './pareto.js';

describe('interpolateAt', () => {
  const curve = [
    { x: 1, y: 10 },
    { x: 0.25, y: 40 },
    { x: 0.5, y: 20 },
  ];
  it('interpolates linearly between neighbours whatever the input order', () => {
    expect(interpolateAt(curve, 0.5)).toBe(20);
    expect(interpolateAt(curve, 0.375)).toBeCloseTo(30, 12);
    expect(interpolateAt(curve, 0.75)).toBeCloseTo(15, 12);
    expect(interpolateAt(curve, 0.25)).toBe(40);
    expect(interpolateAt(curve, 1)).toBe(10);
  });
  it('returns null outside the range and on an empty curve', () => {
    expect(interpolateAt(curve, 0.2)).toBeNull();
    expect(interpolateAt(curve, 1.01)).toBeNull();
    expect(interpolateAt([], 0.5)).toBeNull();
  });
  it('keeps the lowest y of duplicate x values', () => {
    expect(
      interpolateAt(
        [
          { x: 0, y: 4 },
          { x: 1, y: 8 },
          { x: 1, y: 6 },
        ],
        0.5,
      ),
    ).toBe(5);
  });
});

describe('paretoFlags', () => {
  it('marks points no other point beats on both axes; ties stay on the frontier', () => {
    const flags = paretoFlags([
      { compute: 0.5, perplexity: 20 }, // frontier
      { compute: 0.6, perplexity: 21 }, // dominated by the first
      { compute: 0.7, perplexity: 15 }, // frontier
      { compute: 0.7, perplexity: 16 }, // same compute, worse perplexity
      { compute: 1, perplexity: 12 }, // frontier
      { compute: 1, perplexity: 12 }, // identical twin: also frontier
    ]);
    expect(flags).toEqual([true, false, true, false, true, true]);
  });
});

function measurement(
  kind: PointMeasurement['kind'],
  ffn: number,
  ppl: number,
  threshold: number | null = null,
): PointMeasurement {
  return {
    kind,
    threshold,
    expert: null,
    ffn_fraction: ffn,
    flops_fraction: 0.4 + 0.6 * ffn,
    perplexity: ppl,
    accuracy: 0.4,
    ffn_fraction_per_layer: [ffn],
    expert_histogram: [1],
    latency: null,
  };
}

describe('withPareto', () => {
  it('leaves oracle off the frontier and interpolates static (with dense as full width) at learned widths', () => {
    const { points, pareto } = withPareto([
      measurement('dense', 1, 10),
      { ...measurement('static', 0.5, 20), expert: 2 },
      measurement('learned', 0.75, 11, 0.1),
      measurement('learned', 0.4, 14, 0.3),
      measurement('oracle', 0.3, 12, 0.3),
    ]);
    expect(points.map((p) => p.pareto)).toEqual([true, false, true, true, false]);
    expect(pareto.kinds).toEqual(['dense', 'learned', 'static']);
    const dense = { expert: 0, ffn_fraction: 1, perplexity: 10 }; // expert_histogram has one entry here
    expect(pareto.learned_vs_static).toEqual([
      {
        threshold: 0.1,
        ffn_fraction: 0.75,
        ffn_router_fraction: 0.75,
        learned_perplexity: 11,
        static_perplexity: 15,
        static_at_or_above: dense,
      },
      {
        threshold: 0.3,
        ffn_fraction: 0.4,
        ffn_router_fraction: 0.4,
        learned_perplexity: 14,
        static_perplexity: null,
        static_at_or_above: { expert: 2, ffn_fraction: 0.5, perplexity: 20 },
      },
    ]);
  });

  it('places a learned point by FFN + router compute and compares it with a measured slice at or above it', () => {
    const withRouter = { ...measurement('learned', 0.46, 13, 0.2), ffn_router_fraction: 0.5 + 1e-9 };
    const { pareto } = withPareto([
      measurement('dense', 1, 10),
      { ...measurement('static', 0.5, 20), expert: 2 },
      { ...measurement('static', 0.75, 12), expert: 3 },
      withRouter,
    ]);
    const [c] = pareto.learned_vs_static;
    expect(c!.ffn_fraction).toBe(0.46);
    expect(c!.ffn_router_fraction).toBe(0.5 + 1e-9);
    // The 50% slice costs less than the routed point once the router is counted: the next measured one is 75%.
    expect(c!.static_at_or_above).toEqual({ expert: 3, ffn_fraction: 0.75, perplexity: 12 });
    expect(c!.static_perplexity).toBeCloseTo(20, 5);
  });
});
