import { describe, expect, it } from 'vitest';
import { InternalError } from '../util/errors.js';
import { ChunkedQuality } from './chunked-quality.js';
import { IGNORE_TARGET, QualityAccumulator } from './perplexity.js';

/** Deterministic logits with repeated values (ties across chunk borders) and a wide range (rescaling matters). */
function logitsOf(rows: number, vocab: number, seed: number): Float32Array {
  let x = seed;
  return Float32Array.from({ length: rows * vocab }, (_, i) => {
    x = (x * 1103515245 + 12345) % 2 ** 31;
    return i % 7 === 3 ? 4 : ((x / 2 ** 31) * 40 - 20) * ((i % 5) + 1);
  });
}

/** Batch `b`'s logits of ids [first, first + width). */
function chunkOf(logits: Float32Array, a: { rows: number; vocab: number; first: number; width: number }) {
  const out = new Float32Array(a.rows * a.width);
  for (let r = 0; r < a.rows; r++) {
    out.set(logits.subarray(r * a.vocab + a.first, r * a.vocab + a.first + a.width), r * a.width);
  }
  return out;
}

describe('ChunkedQuality', () => {
  const vocab = 37;
  const batches = [
    { logits: logitsOf(6, vocab, 1), targets: [0, 36, 3, IGNORE_TARGET, 17, 10] },
    { logits: logitsOf(4, vocab, 2), targets: [5, IGNORE_TARGET, 36, 22] },
  ];
  const whole = new QualityAccumulator();
  for (const b of batches) {
    whole.add({ logits: b.logits, batch: 1, seq: b.targets.length, vocab, targets: b.targets });
  }
  const expected = whole.totals();

  function chunked(width: number): ChunkedQuality {
    const q = new ChunkedQuality(
      vocab,
      batches.map((b) => b.targets),
    );
    for (let first = 0; first < vocab; first += width) {
      const w = Math.min(width, vocab - first);
      batches.forEach((b, i) =>
        q.add(i, {
          logits: chunkOf(b.logits, { rows: b.targets.length, vocab, first, width: w }),
          first,
          width: w,
        }),
      );
    }
    return q;
  }

  it('equals the whole-vocabulary accumulator bit for bit with one chunk', () => {
    expect(chunked(vocab).totals()).toEqual(expected);
  });

  it.each([1, 3, 7, 36])(
    'equals it within float64 rounding in chunks of %i ids (argmax: the first maximum)',
    (width) => {
      const got = chunked(width).totals();
      expect(got.tokens).toBe(expected.tokens);
      expect(got.accuracy).toBe(expected.accuracy);
      expect(Math.abs(got.meanNll - expected.meanNll) / expected.meanNll).toBeLessThan(1e-12);
    },
  );

  it('refuses a target outside the vocabulary, a wrong chunk and a missing one', () => {
    expect(() => new ChunkedQuality(4, [[4]])).toThrow(
      new InternalError('target id 4 at row 0 is outside the vocabulary [0, 4)'),
    );
    const q = new ChunkedQuality(4, [[3]]);
    expect(() => q.add(0, { logits: new Float32Array(3), first: 2, width: 3 })).toThrow(InternalError);
    q.add(0, { logits: new Float32Array(2), first: 0, width: 2 });
    expect(() => q.totals()).toThrow(
      new InternalError('chunked quality: the chunk holding target 3 was never added'),
    );
  });
});
