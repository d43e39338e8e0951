import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { chooseExpert } from '../../test/support/router-reference.js';
import { routerForward } from './forward.js';
import { initMlpRouter, type RouterWeights } from './spec.js';
import { LOG_ERROR_DELTA } from './targets.js';

describe('initMlpRouter', () => {
  it('is deterministic per seed and shaped [in, out]', () => {
    const a = initMlpRouter({ d: 8, hidden: 4, outputs: 3, seed: 1 });
    expect(initMlpRouter({ d: 8, hidden: 4, outputs: 3, seed: 1 })).toEqual(a);
    expect(initMlpRouter({ d: 8, hidden: 4, outputs: 3, seed: 2 }).w1).not.toEqual(a.w1);
    expect([a.w1.length, a.b1.length, a.w2?.length, a.b2?.length]).toEqual([32, 4, 12, 3]);
    expect(initMlpRouter({ d: 8, hidden: 4, outputs: 2, seed: 1, outputBias: [-2, -3] }).b2).toEqual(
      Float32Array.from([-2, -3]),
    );
  });

  it('rejects non-positive sizes and a mis-sized bias', () => {
    expect(() => initMlpRouter({ d: 8, hidden: 0, outputs: 3, seed: 1 })).toThrow(
      new InputError('router.hidden: expected a positive integer, got 0'),
    );
    expect(() => initMlpRouter({ d: 8, hidden: 4, outputs: 3, seed: 1, outputBias: [0] })).toThrow(
      new InputError('router output bias: expected 3 values, got 1'),
    );
  });
});

describe('routerForward', () => {
  it('computes SiLU(x·W1 + b1)·W2 + b2 by hand', () => {
    // d 2, r 2, outputs 1.
    const w: RouterWeights = {
      kind: 'mlp',
      d: 2,
      hidden: 2,
      outputs: 1,
      w1: Float32Array.from([1, 0, 0, -1]),
      b1: Float32Array.from([0, 1]),
      w2: Float32Array.from([2, 3]),
      b2: Float32Array.from([0.5]),
    };
    const silu = (v: number) => v / (1 + Math.exp(-v));
    const out = routerForward(w, Float32Array.from([1, 2]), 1);
    expect(out[0]).toBeCloseTo(2 * silu(1) + 3 * silu(-1) + 0.5, 6);
  });
});

describe('chooseExpert', () => {
  const z = [
    Math.log(0.3 + LOG_ERROR_DELTA),
    Math.log(0.1 + LOG_ERROR_DELTA),
    Math.log(0.02 + LOG_ERROR_DELTA),
  ];

  it('takes the smallest expert whose predicted error fits, full width otherwise and at threshold 0', () => {
    expect(chooseExpert(z, 0.5)).toBe(0);
    expect(chooseExpert(z, 0.1 + 1e-9)).toBe(1);
    expect(chooseExpert(z, 0.01)).toBe(3);
    expect(chooseExpert(z, 0)).toBe(3);
    expect(chooseExpert([-100, -100], 0)).toBe(2);
  });

  it('never picks a larger expert when the threshold grows', () => {
    fc.assert(
      fc.property(
        fc.array(fc.double({ min: -10, max: 2, noNaN: true }), { minLength: 1, maxLength: 6 }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        fc.double({ min: 0, max: 5, noNaN: true }),
        (pred, t1, t2) => chooseExpert(pred, Math.max(t1, t2)) <= chooseExpert(pred, Math.min(t1, t2)),
      ),
    );
  });
});
