import { describe, expect, it } from 'vitest';
import { loadModelIR } from '../families/load.js';
import { countParameters, elementCount } from './shapes.js';

describe('countParameters', () => {
  it('counts llama-gqa per part from its config dimensions', async () => {
    const counts = countParameters(await loadModelIR('fixtures/golden/llama-gqa'));
    const [V, H, L, KV, F] = [256, 64, 3, 32, 176];
    expect(counts).toEqual({
      embeddings: V * H,
      attention: L * (H * H + 2 * KV * H + H * H),
      ffn: L * 3 * H * F,
      norms: (2 * L + 1) * H,
      lmHead: V * H,
      total: 2 * V * H + L * (2 * H * H + 2 * KV * H) + L * 3 * H * F + (2 * L + 1) * H,
    });
  });

  it('counts GPT-2 biases and positions, and nothing for a tied head', async () => {
    const counts = countParameters(await loadModelIR('fixtures/golden/gpt2'));
    const [V, H, L, P, F] = [256, 64, 2, 128, 256];
    expect(counts.embeddings).toBe(V * H + P * H);
    expect(counts.attention).toBe(L * (H * 3 * H + 3 * H + H * H + H));
    expect(counts.ffn).toBe(L * (H * F + F + F * H + H));
    expect(counts.norms).toBe((2 * L + 1) * 2 * H);
    expect(counts.lmHead).toBe(0);
  });

  it('treats a scalar as one element', () => {
    expect(elementCount([])).toBe(1);
    expect(elementCount([3, 0])).toBe(0);
  });
});
