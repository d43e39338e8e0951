import { describe, expect, it } from 'vitest';
import { Rng } from '../../util/random.js';
import { argmax, tokenPicker } from './sampling.js';

describe('token picking', () => {
  it('argmax takes the largest logit, the lowest id on ties', () => {
    expect(argmax(Float32Array.from([0.1, 3, -2, 3]))).toBe(1);
    expect(argmax(Float32Array.from([-5]))).toBe(0);
  });

  it('temperature 0 is greedy and ignores the generator', () => {
    const pick = tokenPicker(0, new Rng(1));
    expect(pick(Float32Array.from([0, 2, 1]))).toBe(1);
  });

  it('sampling is a pure function of the seed and follows softmax(logits / t)', () => {
    const logits = Float32Array.from([Math.log(1), Math.log(3), -Infinity]);
    const draw = (seed: number) => {
      const pick = tokenPicker(1, new Rng(seed));
      return Array.from({ length: 4000 }, () => pick(logits));
    };
    const a = draw(7);
    expect(draw(7)).toEqual(a);
    expect(a).not.toContain(2); // probability 0
    const ones = a.filter((i) => i === 1).length / a.length;
    expect(ones).toBeGreaterThan(0.72); // 0.75 expected
    expect(ones).toBeLessThan(0.78);
  });

  it('a low temperature sharpens towards the argmax; huge logits stay finite', () => {
    const pick = tokenPicker(0.01, new Rng(3));
    const logits = Float32Array.from([1e30, 1e30 - 1e25, 0]);
    expect(Array.from({ length: 50 }, () => pick(logits)).every((i) => i === 0)).toBe(true);
  });
});
