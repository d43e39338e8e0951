import { describe, expect, it } from 'vitest';
import type { ModelConfig } from '../ir/model.js';
import { InternalError } from '../util/errors.js';
import { ComputeAccumulator, type ComputeSpec } from './compute.js';

const config: ModelConfig = {
  family: 'llama',
  architecture: 'LlamaForCausalLM',
  vocabSize: 10,
  hidden: 4,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 2,
  ffnDim: 8,
  maxPositions: 16,
  tiedEmbeddings: false,
  sourceDtype: 'float32',
};
const spec: ComputeSpec = {
  config,
  ffnKind: 'gated',
  expertSizes: [2, 4, 8],
  router: { hidden: 4, routerHidden: null, experts: 3 },
};

describe('ComputeAccumulator', () => {
  it('counts realized FFN width, histogram and FLOPs on a hand-made expert_index, skipping padding', () => {
    const acc = new ComputeAccumulator(spec);
    // [layers 2, batch 2, seq 3]; row 1 is left-padded at position 0 (its experts there must be ignored).
    const expertIndex = BigInt64Array.from([0, 1, 2, 2, 0, 0, 2, 2, 2, 0, 1, 2].map(BigInt));
    acc.add({
      expertIndex,
      batch: 2,
      seq: 3,
      attentionMask: BigInt64Array.from([1, 1, 1, 0, 1, 1].map(BigInt)),
    });
    const t = acc.totals();
    expect(t.tokens).toBe(5);
    expect(t.ffnFractionPerLayer).toEqual([18 / 40, 36 / 40]); // layer 0: 2+4+8+2+2, layer 1: 8+8+8+4+8 neurons
    expect(t.ffnFraction).toBeCloseTo(54 / 80, 12);
    expect(t.expertHistogram).toEqual([3, 2, 5]);
    // Per token-layer MACs: projections 48, scores 8·context, FFN 12·n, router 8; LM head 40 per token.
    // Contexts 1,2,3 (row 0) and 1,2 (row 1, padding not attended): Σ = 9.
    const moe = 2 * (5 * (48 + 8) + 8 * 9) + 12 * 54 + 5 * 40;
    const dense = 2 * (5 * 48 + 8 * 9) + 12 * 8 * 10 + 5 * 40;
    expect(t.flopsFraction).toBeCloseTo(moe / dense, 12);
    // FFN + router over the dense FFN: the router's 8 MACs per token-layer against the dense FFN's 12·8 = 96.
    expect(t.ffnRouterFraction).toBeCloseTo(54 / 80 + 8 / 96, 12);
  });

  it('gives exactly 1 for an all-full-width batch without a router, over several batches', () => {
    const acc = new ComputeAccumulator({ ...spec, router: null });
    acc.add({ expertIndex: [2, 2, 2, 2], batch: 1, seq: 2 });
    acc.add({ expertIndex: [2, 2], batch: 1, seq: 1 });
    const t = acc.totals();
    expect(t.ffnFraction).toBe(1);
    expect(t.flopsFraction).toBe(1);
    expect(t.ffnRouterFraction).toBe(1);
    expect(t.expertHistogram).toEqual([0, 0, 6]);
  });

  it('rejects a wrong shape, an out-of-range expert and empty totals', () => {
    const acc = new ComputeAccumulator(spec);
    expect(() => acc.add({ expertIndex: [0, 0, 0], batch: 1, seq: 2 })).toThrow(
      new InternalError('expert_index needs [2, 1, 2] = 4 values and a mask of 2, got 3 and none'),
    );
    expect(() => acc.add({ expertIndex: [0, 3], batch: 1, seq: 1 })).toThrow(
      new InternalError('expert_index 3 at layer 1 is outside [0, 3)'),
    );
    expect(() => new ComputeAccumulator(spec).totals()).toThrow(
      new InternalError('no counted tokens: compute fractions are undefined'),
    );
  });
});
