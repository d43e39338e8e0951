import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { Rng, shuffle } from '../util/random.js';
import { coactivationGroups } from './grouping.js';
import { validatePermutation } from './permutation.js';

/**
 * 4 planted groups of 8 neurons among 32 (shuffled): neurons of group g fire (≈ ±1) on tokens whose topic is g and
 * stay near 0 elsewhere. Group g's neurons get importance g+1 so the ranking is known.
 */
function planted(seed: number) {
  const ffnDim = 32;
  const rows = 96;
  const rng = new Rng(seed);
  const groupOfNeuron = shuffle(
    Int32Array.from({ length: ffnDim }, (_, i) => i % 4),
    rng,
  );
  const sample = new Float32Array(rows * ffnDim);
  for (let t = 0; t < rows; t++) {
    const topic = rng.int(4);
    for (let i = 0; i < ffnDim; i++) {
      const on = groupOfNeuron[i] === topic;
      sample[t * ffnDim + i] =
        (on ? 1 + 0.2 * rng.normal() : 0.05 * rng.normal()) * (rng.next() < 0.5 ? -1 : 1);
    }
  }
  const importance = Float64Array.from(groupOfNeuron, (g) => g + 1 + 0.01 * rng.next());
  return { ffnDim, rows, sample, groupOfNeuron, importance };
}

describe('coactivationGroups', () => {
  const p = planted(5);
  const input = {
    sample: p.sample,
    rows: p.rows,
    ffnDim: p.ffnDim,
    groupSize: 8,
    importance: p.importance,
    seed: 1,
  };

  it('recovers planted groups as equal-size blocks ranked by summed importance', () => {
    const g = coactivationGroups(input);
    validatePermutation(g.perm, p.ffnDim);
    for (let block = 0; block < 4; block++) {
      const planted = new Set(
        [...g.perm.subarray(block * 8, (block + 1) * 8)].map((i) => p.groupOfNeuron[i]),
      );
      // The most important planted group (3) comes first, then 2, 1, 0.
      expect([...planted]).toEqual([3 - block]);
    }
  });

  it('gives every group exactly groupSize neurons, most important first inside each', () => {
    const g = coactivationGroups({ ...input, groupSize: 4 });
    const counts = new Array(8).fill(0);
    g.groupOf.forEach((rank) => counts[rank]++);
    expect(counts).toEqual(new Array(8).fill(4));
    for (let block = 0; block < 8; block++) {
      const ids = [...g.perm.subarray(block * 4, (block + 1) * 4)];
      expect(new Set(ids.map((i) => g.groupOf[i]))).toEqual(new Set([block]));
      const imp = ids.map((i) => p.importance[i] as number);
      expect(imp).toEqual([...imp].sort((a, b) => b - a));
    }
  });

  it('is deterministic for a seed', () => {
    expect(coactivationGroups(input).perm).toEqual(coactivationGroups(input).perm);
  });

  it('rejects a group size that does not divide the width and mis-sized inputs', () => {
    expect(() => coactivationGroups({ ...input, groupSize: 5 })).toThrow(
      new InputError('experts.group_size: 5 must be a positive divisor of the FFN width 32'),
    );
    expect(() => coactivationGroups({ ...input, rows: 95 })).toThrow(
      new InputError('grouping sample: expected 95×32 activations (rows ≥ 1), got 3072'),
    );
    expect(() => coactivationGroups({ ...input, importance: [1, 2] })).toThrow(
      new InputError('grouping importance: expected 32 values, got 2'),
    );
  });
});
