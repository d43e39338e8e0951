/** Per-document outcomes and aggregation on hand-computed cases. */
import { describe, expect, it } from 'vitest';
import { aggregate, argmax, charLength, docOutcome, meanStderr } from './metrics.js';
import type { TaskDoc } from './types.js';

const ll = (...values: number[]) => values.map((loglikelihood) => ({ loglikelihood, greedy: false }));
const choices = (c: string[], gold: number): TaskDoc => ({ kind: 'choices', context: 'q', choices: c, gold });

describe('docOutcome', () => {
  it('acc takes the highest summed log-likelihood; acc_norm divides by the choice’s length in characters', () => {
    // −10 vs −12: acc picks "ab"; per character −5 vs −2: acc_norm picks "abcdef".
    const doc = choices(['ab', 'abcdef'], 1);
    expect(docOutcome(doc, ll(-10, -12))).toEqual({ acc: 0, acc_norm: 1, loglikelihood: -12 });
  });

  it('acc_norm counts characters (code points) as the harness’s len(choice) does, not bytes or UTF-16 units', () => {
    // "éé": 2 characters, 4 UTF-8 bytes; "abc": 3 of each. Per character −1.5 vs −1.33 → "abc";
    // per byte it would be −0.75 vs −1.33 → "éé".
    expect(docOutcome(choices(['éé', 'abc'], 1), ll(-3, -4)).acc_norm).toBe(1);
    // "😀😀": 2 code points (4 UTF-16 units): −1 vs −1.33 → the emoji; per UTF-16 unit it would lose.
    expect(docOutcome(choices(['😀😀', 'abc'], 0), ll(-2, -4)).acc_norm).toBe(1);
    expect([charLength('😀😀'), charLength('éé'), '😀😀'.length]).toEqual([2, 2, 4]);
  });

  it('ties go to the first choice (np.argmax)', () => {
    expect(argmax([-1, -1, -2])).toBe(0);
    expect(docOutcome(choices(['a', 'b'], 1), ll(-1, -1)).acc).toBe(0);
  });

  it('winogrande (contexts): acc compares the shared continuation’s log-likelihood under each context', () => {
    const doc: TaskDoc = { kind: 'contexts', contexts: ['x A', 'x B'], continuation: 'rest', gold: 1 };
    expect(docOutcome(doc, ll(-7, -5)).acc).toBe(1);
    expect(docOutcome(doc, ll(-5, -7)).acc).toBe(0);
  });

  it('lambada (continuation): acc is the greedy match, the log-likelihood feeds perplexity', () => {
    const doc: TaskDoc = { kind: 'continuation', context: 'a b', continuation: ' c' };
    expect(docOutcome(doc, [{ loglikelihood: -0.5, greedy: true }])).toEqual({ acc: 1, loglikelihood: -0.5 });
  });
});

describe('aggregate', () => {
  it('stderr is the sample standard deviation over √n (lm_eval mean_stderr)', () => {
    // mean 0.75; Σ(x − μ)² = 3·0.0625 + 0.5625 = 0.75; /(n − 1) = 0.25; sd 0.5; /√4 = 0.25.
    expect(meanStderr([1, 0, 1, 1])).toBe(0.25);
    expect(meanStderr([1])).toBeNull();
    const s = aggregate(
      [
        { acc: 1, acc_norm: 0 },
        { acc: 0, acc_norm: 0 },
        { acc: 1, acc_norm: 1 },
        { acc: 1, acc_norm: 1 },
      ],
      ['acc', 'acc_norm'],
    );
    expect(s).toEqual({
      samples: 4,
      acc: 0.75,
      acc_stderr: 0.25,
      acc_norm: 0.5,
      acc_norm_stderr: Math.sqrt(1 / 3) / 2,
    });
  });

  it('perplexity = exp(−mean log-likelihood), its stderr by the delta method', () => {
    const s = aggregate(
      [
        { acc: 1, loglikelihood: -1 },
        { acc: 0, loglikelihood: -3 },
      ],
      ['perplexity', 'acc'],
    );
    // mean −2 → e²; stderr of the mean: sd √2 / √2 = 1 → e² · 1.
    expect(s.perplexity).toBeCloseTo(Math.exp(2), 12);
    expect(s.perplexity_stderr).toBeCloseTo(Math.exp(2), 12);
    expect(s).toMatchObject({ samples: 2, acc: 0.5 });
    expect(s.acc_norm).toBeUndefined();
  });
});
