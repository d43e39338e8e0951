import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { oracleChoice, relativeErrors } from '../../test/support/router-reference.js';
import { ERROR_EPSILON, LOG_ERROR_DELTA, logErrorTargets, relativeErrorsFromBlocks } from './targets.js';

// One token, hidden 4, three orthogonal blocks: b0 = (3,0,0,0), b1 = (0,4,0,0), b2 = (0,0,0,12); y = Σ b = (3,4,0,12), ‖y‖ = 13.
const blocks = [
  Float32Array.from([3, 0, 0, 0]),
  Float32Array.from([0, 4, 0, 0]),
  Float32Array.from([0, 0, 0, 12]),
];
const y = Float32Array.from([3, 4, 0, 12]);

describe('relative errors', () => {
  it('are ‖y − y_k‖/(‖y‖+ε), decreasing for orthogonal blocks, 0 at the full width', () => {
    const e = relativeErrorsFromBlocks({ y, blocks, rows: 1, hidden: 4 });
    const expected = [Math.sqrt(16 + 144), 12, 0].map((v) => v / (13 + ERROR_EPSILON));
    [...e.data].forEach((v, k) => expect(v).toBeCloseTo(expected[k] as number, 6));
    expect(e.data[0]).toBeGreaterThan(e.data[1] as number);
  });

  it('agree when given prefix outputs instead of blocks', () => {
    const prefixes = [Float32Array.from([3, 0, 0, 0]), Float32Array.from([3, 4, 0, 0]), y];
    expect(relativeErrors({ y, prefixes, rows: 1, hidden: 4 }).data).toEqual(
      relativeErrorsFromBlocks({ y, blocks, rows: 1, hidden: 4 }).data,
    );
  });

  it('stay finite for a zero output', () => {
    const zero = new Float32Array(4);
    const e = relativeErrorsFromBlocks({ y: zero, blocks: [zero, zero], rows: 1, hidden: 4 });
    expect([...e.data]).toEqual([0, 0]);
  });

  it('reject mis-sized outputs', () => {
    expect(() => relativeErrorsFromBlocks({ y, blocks: [y, y.subarray(1)], rows: 1, hidden: 4 })).toThrow(
      new InputError('router targets: expert 1 output has 3 values, expected 4'),
    );
    expect(() => relativeErrorsFromBlocks({ y, blocks: [], rows: 1, hidden: 4 })).toThrow(
      new InputError('router targets: expected at least one expert output'),
    );
  });
});

describe('targets and choices', () => {
  // Two tokens, K = 3.
  const e = { rows: 2, experts: 3, data: Float32Array.from([0.5, 0.1, 0, 0.04, 0.01, 0]) };

  it('z_k = log(e_k + δ) for the K−1 non-full experts', () => {
    const z = logErrorTargets(e);
    expect(z.length).toBe(4);
    expect(z[0]).toBeCloseTo(Math.log(0.5 + LOG_ERROR_DELTA), 6);
    expect(z[3]).toBeCloseTo(Math.log(0.01 + LOG_ERROR_DELTA), 6);
  });

  it('oracle picks the smallest expert within the threshold, else the full width', () => {
    expect(oracleChoice([0.5, 0.1, 0], 0.2)).toBe(1);
    expect(oracleChoice([0.5, 0.1, 0], 0.5)).toBe(0);
    expect(oracleChoice([0.5, 0.1, 0], 0.05)).toBe(2);
  });
});
