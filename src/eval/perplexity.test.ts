import { describe, expect, it } from 'vitest';
import { InternalError } from '../util/errors.js';
import { IGNORE_TARGET, QualityAccumulator } from './perplexity.js';

/** Direct log-softmax, written out term by term for the hand case. */
function nll(row: number[], target: number): number {
  const z = row.reduce((s, v) => s + Math.exp(v), 0);
  return -(row[target]! - Math.log(z));
}

describe('QualityAccumulator', () => {
  it('matches a direct computation on a hand case split across two batches', () => {
    // batch 1: [1, 2, vocab 3]; batch 2: [1, 1, 3] with one ignored target.
    const rows = [
      [2, 0.5, -1],
      [0.1, 0.2, 0.3],
      [5, 5, 1],
      [0, 0, 0],
    ];
    const targets = [0, 1, 2, IGNORE_TARGET];
    const acc = new QualityAccumulator();
    acc.add({
      logits: Float32Array.from(rows.slice(0, 2).flat()),
      batch: 1,
      seq: 2,
      vocab: 3,
      targets: targets.slice(0, 2),
    });
    acc.add({
      logits: Float32Array.from(rows.slice(2).flat()),
      batch: 2,
      seq: 1,
      vocab: 3,
      targets: [BigInt(2), BigInt(IGNORE_TARGET)],
    });
    const expected = [nll(rows[0]!, 0), nll(rows[1]!, 1), nll(rows[2]!, 2)];
    const mean = expected.reduce((a, b) => a + b, 0) / 3;
    const totals = acc.totals();
    expect(totals.tokens).toBe(3);
    expect(totals.meanNll).toBeCloseTo(mean, 6);
    expect(totals.perplexity).toBeCloseTo(Math.exp(mean), 5);
    // argmax hits: row 0 (target 0) yes, row 1 (argmax 2, target 1) no, row 2 (argmax 0 on a tie, target 2) no.
    expect(totals.accuracy).toBeCloseTo(1 / 3, 12);
  });

  it('stays finite for logits far beyond exp range', () => {
    const acc = new QualityAccumulator();
    acc.add({ logits: Float32Array.from([1000, 999, -1000]), batch: 1, seq: 1, vocab: 3, targets: [1] });
    expect(acc.totals().meanNll).toBeCloseTo(Math.log(1 + Math.exp(1)), 6);
  });

  it('rejects mismatched shapes, out-of-vocabulary targets and empty totals', () => {
    const acc = new QualityAccumulator();
    expect(() =>
      acc.add({ logits: new Float32Array(5), batch: 1, seq: 2, vocab: 3, targets: [0, 0] }),
    ).toThrow(new InternalError('logits [1, 2, 3] need 6 values and 2 targets, got 5 and 2'));
    expect(() => acc.add({ logits: new Float32Array(3), batch: 1, seq: 1, vocab: 3, targets: [3] })).toThrow(
      new InternalError('target id 3 at row 0 is outside the vocabulary [0, 3)'),
    );
    expect(() => acc.totals()).toThrow(new InternalError('no scored tokens: perplexity is undefined'));
  });
});
