import { describe, expect, it } from 'vitest';
import { InternalError } from '../util/errors.js';
import { medianInterval, pairedSpeedup, REQUIRED_CONFIDENCE } from './latency-stats.js';

describe('medianInterval', () => {
  it('takes the order statistics whose binomial coverage reaches 99%', () => {
    expect(REQUIRED_CONFIDENCE).toBe(0.99);
    // n = 10: only [x(1), x(10)] reaches 99% (1 − 2/1024); [x(2), x(9)] covers 1 − 22/1024 = 97.9%.
    const values = [10, 1, 9, 2, 8, 3, 7, 4, 6, 5];
    expect(medianInterval(values)).toEqual({ low: 1, high: 10, confidence: 1 - 2 / 1024 });
    // n = 20: [x(4), x(17)] covers 1 − 2·P(Bin(20, ½) ≤ 3) = 1 − 2·1351/2^20.
    const twenty = Array.from({ length: 20 }, (_, i) => 20 - i);
    const i = medianInterval(twenty);
    expect([i.low, i.high]).toEqual([4, 17]);
    expect(i.confidence).toBeCloseTo(1 - (2 * 1351) / 2 ** 20, 12);
    // n = 8 is the smallest sample with a 99% interval: [min, max] covers 1 − 2/256.
    expect(medianInterval([3, 1, 2, 6, 5, 4, 8, 7]).confidence).toBe(1 - 2 / 256);
  });

  it('reports the lower coverage of [min, max] when there are too few values', () => {
    const i = medianInterval([1, 2, 3, 4, 5, 6, 7]);
    expect([i.low, i.high]).toEqual([1, 7]);
    expect(i.confidence).toBeCloseTo(1 - 2 / 128, 12);
    expect(i.confidence).toBeLessThan(REQUIRED_CONFIDENCE);
    expect(() => medianInterval([])).toThrow(InternalError);
  });
});

describe('pairedSpeedup', () => {
  const dense = [20, 22, 19, 30, 21, 20, 23, 19, 21, 20];

  it('calls a graph faster only when the whole interval is above 1', () => {
    const half = dense.map((t) => t / 2);
    const s = pairedSpeedup({ reference: dense, graph: half, measure: 'time' });
    expect(s).toMatchObject({ ratio: 2, low: 2, high: 2, verdict: 'faster' });
  });

  it('pairs repeats, so a load spike that slows both graphs of one round cancels out', () => {
    // Round 4 is 50% slower for both; unpaired medians would still agree, but its ratio is exactly 1.25.
    const graph = dense.map((t) => t / 1.25);
    expect(pairedSpeedup({ reference: dense, graph, measure: 'time' }).low).toBeCloseTo(1.25, 12);
  });

  it('says no-difference when the interval contains 1, whatever the median', () => {
    // Nine of ten rounds faster (median 1.05×), one slower: at 99% that is no measurable difference.
    const graph = dense.map((t, i) => (i === 3 ? t * 1.1 : t / 1.05));
    const s = pairedSpeedup({ reference: dense, graph, measure: 'time' });
    expect(s.low).toBeLessThan(1);
    expect(s.high).toBeGreaterThan(1);
    expect(s.verdict).toBe('no-difference');
  });

  it('uses rates the other way round, and needs enough repeats for any verdict', () => {
    const slower = pairedSpeedup({
      reference: [100, 100, 100, 100, 100, 100, 100, 100],
      graph: [80, 81, 79, 80, 80, 82, 80, 80],
      measure: 'rate',
    });
    expect(slower.verdict).toBe('slower');
    expect(slower.ratio).toBeCloseTo(0.8, 12);
    const few = pairedSpeedup({ reference: [100, 100, 100], graph: [50, 50, 50], measure: 'rate' });
    expect(few.verdict).toBe('no-difference');
    expect(few.confidence).toBe(0.75);
    expect(() => pairedSpeedup({ reference: [1, 2], graph: [1], measure: 'time' })).toThrow(InternalError);
  });
});
