import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { orderByImportance, permutationDigest, validatePermutation } from './permutation.js';

describe('orderByImportance', () => {
  it('sorts descending and keeps index order among ties', () => {
    expect([...orderByImportance([1, 3, 2, 3, 0, 2])]).toEqual([1, 3, 2, 5, 0, 4]);
  });
});

describe('validatePermutation', () => {
  it('accepts permutations and names the problem otherwise', () => {
    expect(() => validatePermutation(Int32Array.from([2, 0, 1]), 3)).not.toThrow();
    expect(() => validatePermutation(Int32Array.from([0, 1]), 3, 'layers.2')).toThrow(
      new InputError('layers.2: expected 3 entries, got 2'),
    );
    expect(() => validatePermutation(Int32Array.from([0, 3, 1]), 3)).toThrow(
      new InputError('permutation: entry 1 is 3, outside 0..2'),
    );
    expect(() => validatePermutation(Int32Array.from([0, 1, 1]), 3)).toThrow(
      new InputError('permutation: index 1 appears twice'),
    );
  });
});

describe('permutationDigest', () => {
  it('is the sha256 of the little-endian int32 bytes', () => {
    // Python: hashlib.sha256(struct.pack('<3i', 0, 1, 2)).hexdigest()
    expect(permutationDigest(Int32Array.from([0, 1, 2]))).toBe(
      'ad5dc1478de06a4c2728ea528bd9361a4b945e92a414bf4d180cedaaeaa5f4cc',
    );
    expect(permutationDigest(Int32Array.from([1, 0, 2]))).not.toBe(
      permutationDigest(Int32Array.from([0, 1, 2])),
    );
  });
});
