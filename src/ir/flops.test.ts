import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import {
  attentionProjectionMacs,
  attentionScoreMacs,
  expertSizes,
  ffnMacs,
  layerParams,
  lmHeadMacs,
  modelParams,
  routerMacs,
  routerParams,
  tokenMacs,
} from './flops.js';
import type { ModelConfig } from './model.js';

/** d 8, 2 heads × 4, 1 kv head, FFN 16, vocab 10, 2 layers: small enough to count by hand. */
const tiny: ModelConfig = {
  family: 'llama',
  architecture: 'LlamaForCausalLM',
  vocabSize: 10,
  hidden: 8,
  numLayers: 2,
  numHeads: 2,
  numKvHeads: 1,
  headDim: 4,
  ffnDim: 16,
  maxPositions: 32,
  tiedEmbeddings: false,
  sourceDtype: 'float32',
};

describe('MAC counts', () => {
  it('attention projections: q 8×8, k and v 8×4 each, o 8×8', () => {
    expect(attentionProjectionMacs(tiny)).toBe(64 + 32 + 32 + 64);
  });

  it('attention scores: q·kᵀ and weights·v, 2 heads × 4 dims per position', () => {
    expect(attentionScoreMacs(tiny, 5)).toBe(2 * (2 * 4 * 5));
    expect(attentionScoreMacs(tiny, 0)).toBe(0);
  });

  it('FFN: three matrices when gated, two when plain', () => {
    expect(ffnMacs(8, { kind: 'gated', neurons: 16 })).toBe(3 * 8 * 16);
    expect(ffnMacs(8, { kind: 'plain', neurons: 16 })).toBe(2 * 8 * 16);
  });

  it('router: d·r + r·(K−1) for the MLP, d·(K−1) for the linear one; params add biases; log‖r‖ adds its cost', () => {
    expect(routerMacs({ hidden: 8, routerHidden: 3, experts: 4 })).toBe(24 + 9);
    expect(routerMacs({ hidden: 8, routerHidden: null, experts: 4 })).toBe(24);
    expect(routerParams({ hidden: 8, routerHidden: 3, experts: 4 })).toBe(24 + 3 + 9 + 3);
    expect(routerParams({ hidden: 8, routerHidden: null, experts: 4 })).toBe(24 + 3);
    // log‖r‖: ‖r‖² (d MACs) and one more input row of the first layer.
    expect(routerMacs({ hidden: 8, routerHidden: 3, experts: 4, logNorm: true })).toBe(8 + 27 + 9);
    expect(routerMacs({ hidden: 8, routerHidden: null, experts: 4, logNorm: true })).toBe(8 + 27);
    expect(routerParams({ hidden: 8, routerHidden: 3, experts: 4, logNorm: true })).toBe(27 + 3 + 9 + 3);
  });

  it('LM head and the whole model per token', () => {
    expect(lmHeadMacs(tiny)).toBe(80);
    const layer = 192 + 2 * 2 * 4 * 3 + 3 * 8 * 16 + 7;
    expect(tokenMacs({ config: tiny, ffnKind: 'gated', context: 3, neurons: 16, routerMacs: 7 })).toBe(
      2 * layer + 80,
    );
    expect(tokenMacs({ config: tiny, ffnKind: 'plain', context: 0, neurons: 4 })).toBe(2 * (192 + 64) + 80);
  });

  it('parameters: embedding, untied head, layers (matrices + 2 norms) and the final norm', () => {
    expect(layerParams(tiny, 'gated')).toBe(192 + 384 + 16);
    expect(modelParams(tiny, 'gated')).toBe(2 * 80 + 2 * 592 + 8);
    expect(modelParams({ ...tiny, tiedEmbeddings: true }, 'gated')).toBe(80 + 2 * 592 + 8);
  });
});

describe('expertSizes', () => {
  it('rounds each fraction to the nearest multiple of align; the last is the full width', () => {
    expect(expertSizes(512, [0.125, 0.25, 0.5, 0.75, 1], 16)).toEqual([64, 128, 256, 384, 512]);
    expect(expertSizes(100, [0.3, 0.5, 1], 16)).toEqual([32, 48, 100]);
    expect(expertSizes(5632, [0.1, 1], 64)).toEqual([576, 5632]);
    expect(expertSizes(64, [1], 16)).toEqual([64]);
  });

  it('never goes below one aligned block', () => {
    expect(expertSizes(512, [0.001, 1], 16)).toEqual([16, 512]);
  });

  it('refuses sizes that rounding merges, that reach the full width early, or a last size ≠ 1', () => {
    expect(() => expertSizes(512, [0.125, 0.13, 1], 16)).toThrow(
      new InputError(
        'experts.sizes [0.125, 0.13, 1] with align 16 on an FFN of 512 neurons: sizes 0.125 and 0.13 give 64 and 64 ' +
          'neurons; use a smaller align or sizes further apart',
      ),
    );
    expect(() => expertSizes(112, [0.9, 1], 64)).toThrow(/sizes 0.9 and 1 give 128 and 112 neurons/);
    expect(() => expertSizes(8, [0.5, 1], 16)).toThrow(/sizes 0.5 and 1 give 16 and 8/);
    expect(() => expertSizes(512, [0.5], 16)).toThrow(
      new InputError('experts.sizes [0.5] with align 16 on an FFN of 512 neurons: the last size must be 1'),
    );
    expect(() => expertSizes(512, [1], 0)).toThrow(
      new InputError('experts.align must be an integer ≥ 1, got 0'),
    );
  });
});
