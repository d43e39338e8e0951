import { describe, expect, it } from 'vitest';
import { InputError } from '../util/errors.js';
import { Rng, shuffle } from '../util/random.js';
import {
  orderByImportance,
  permutationDigest,
  permuteFfn,
  validatePermutation,
  type FfnTensors,
} from './permutation.js';

const silu = (v: number) => v / (1 + Math.exp(-v));

/** Gated FFN on one token x [hidden] using only the first `width` neurons: Σ_i<width down[:,i]·silu(g_i·x + bg_i)(u_i·x + bu_i). */
function ffn(
  w: FfnTensors,
  x: Float32Array,
  dims: { ffnDim: number; hidden: number; width?: number },
): Float64Array {
  const { ffnDim, hidden } = dims;
  const y = new Float64Array(hidden);
  for (let i = 0; i < (dims.width ?? ffnDim); i++) {
    let g = w.gateBias?.[i] ?? 0;
    let u = w.upBias?.[i] ?? 0;
    for (let j = 0; j < hidden; j++) {
      g += (w.gate?.[i * hidden + j] ?? 0) * (x[j] as number);
      u += (w.up[i * hidden + j] as number) * (x[j] as number);
    }
    const h = silu(g) * u;
    for (let o = 0; o < hidden; o++) y[o] = (y[o] as number) + (w.down[o * ffnDim + i] as number) * h;
  }
  return y;
}

function randomFfn(rng: Rng, ffnDim: number, hidden: number): FfnTensors {
  const r = (n: number) => Float32Array.from({ length: n }, () => rng.normal());
  return {
    gate: r(ffnDim * hidden),
    up: r(ffnDim * hidden),
    down: r(hidden * ffnDim),
    gateBias: r(ffnDim),
    upBias: r(ffnDim),
  };
}

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

describe('permuteFfn', () => {
  const ffnDim = 12;
  const hidden = 5;
  const rng = new Rng(11);
  const dense = randomFfn(rng, ffnDim, hidden);
  const perm = shuffle(
    Int32Array.from({ length: ffnDim }, (_, i) => i),
    rng,
  );
  const permuted = permuteFfn(dense, perm, hidden);
  const x = Float32Array.from({ length: hidden }, () => rng.normal());

  it('leaves the dense function unchanged', () => {
    const a = ffn(dense, x, { ffnDim, hidden });
    const b = ffn(permuted, x, { ffnDim, hidden });
    a.forEach((v, i) => expect(b[i]).toBeCloseTo(v, 6));
  });

  it('makes expert k the sum over the first k permuted neurons', () => {
    const k = 5;
    const prefix = ffn(permuted, x, { ffnDim, hidden, width: k });
    // The same neurons, picked out of the dense FFN by zeroing every other down column.
    const keep = new Set(perm.subarray(0, k));
    const masked = { ...dense, down: dense.down.map((v, idx) => (keep.has(idx % ffnDim) ? v : 0)) };
    const expected = ffn(masked, x, { ffnDim, hidden });
    expected.forEach((v, i) => expect(prefix[i]).toBeCloseTo(v, 6));
  });

  it('moves rows, biases and down columns with the neuron', () => {
    const p = perm[0] as number;
    expect(permuted.gate?.subarray(0, hidden)).toEqual(dense.gate?.subarray(p * hidden, (p + 1) * hidden));
    expect(permuted.upBias?.[0]).toBe(dense.upBias?.[p]);
    expect(permuted.gateBias?.[0]).toBe(dense.gateBias?.[p]);
    expect(permuted.down[2 * ffnDim]).toBe(dense.down[2 * ffnDim + p]);
  });

  it('leaves absent optional tensors absent (plain FFN)', () => {
    const plain = permuteFfn({ up: dense.up, down: dense.down }, perm, hidden);
    expect(Object.keys(plain).sort()).toEqual(['down', 'up']);
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
