import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { sufficiencyLabels } from './labels.js';

describe('sufficiencyLabels', () => {
  // Two tokens, K = 3: e_0, e_1, e_2 (the full width, always 0); powers of two, exact in float32.
  const e = { rows: 2, experts: 3, data: Float32Array.from([0.5, 0.125, 0, 0.0625, 0.03125, 0]) };

  it('labels expert k of a token 1 when its error is within the tolerance (inclusive), [rows, K−1]', () => {
    expect([...sufficiencyLabels(e, 0.05)]).toEqual([0, 0, 0, 1]);
    expect([...sufficiencyLabels(e, 0.0625)]).toEqual([0, 0, 1, 1]);
    expect([...sufficiencyLabels(e, 0.125)]).toEqual([0, 1, 1, 1]);
    expect([...sufficiencyLabels(e, 0.5)]).toEqual([1, 1, 1, 1]);
  });

  it('refuses a tolerance that is not positive, naming the recipe field', () => {
    expect(() => sufficiencyLabels(e, 0)).toThrow(
      new InputError('router.tolerance: expected a positive number, got 0'),
    );
  });
});
