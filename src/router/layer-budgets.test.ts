import { describe, expect, it } from 'vitest';
import { applyTrade, bestTrade, roundCandidates, toRound } from './layer-budgets.js';

describe('greedy per-layer budgets', () => {
  const base = { perplexity: 4, compute: 0.5 };
  it('takes the compute-neutral pair with the largest predicted perplexity drop', () => {
    const round = {
      base,
      // Layer 0 gains most from more compute; layer 2 loses least from less; layer 1's cut is too small.
      up: [
        { perplexity: 3.9, compute: 0.55 },
        { perplexity: 3.98, compute: 0.52 },
        { perplexity: 3.99, compute: 0.53 },
      ],
      down: [
        { perplexity: 4.2, compute: 0.45 },
        { perplexity: 4.01, compute: 0.49 },
        { perplexity: 4.02, compute: 0.44 },
      ],
    };
    const t = bestTrade(round)!;
    expect([t.up, t.down]).toEqual([0, 2]);
    expect(t.gain).toBeCloseTo(-0.08, 9);
    expect(applyTrade([1, 1, 1], t, 2)).toEqual([0.5, 1, 2]);
  });

  it('returns null when every compute-neutral pair would cost perplexity', () => {
    const round = {
      base,
      up: [
        { perplexity: 3.99, compute: 0.55 },
        { perplexity: 3.99, compute: 0.55 },
      ],
      down: [
        { perplexity: 4.05, compute: 0.45 },
        { perplexity: 4.05, compute: 0.45 },
      ],
    };
    expect(bestTrade(round)).toBeNull();
  });

  it('lists the round candidates in the order toRound reads them', () => {
    const c = roundCandidates([1, 2], 2);
    expect(c).toEqual([
      [1, 2],
      [0.5, 2],
      [1, 1],
      [2, 2],
      [1, 4],
    ]);
    const m = c.map((s) => ({ perplexity: s[0]!, compute: s[1]! }));
    expect(toRound(m, 2)).toEqual({ base: m[0], up: [m[1], m[2]], down: [m[3], m[4]] });
  });
});
