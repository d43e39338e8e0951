import { describe, expect, it } from 'vitest';
import type { Linear, TensorHandle } from '../ir/model.js';
import { InputError } from '../util/errors.js';
import { inverseFrequencies } from './rope-frequencies.js';
import { permuteRows } from '../experts/permutation.js';
import { gatherColumns } from './expert-weights.js';
import { transpose2d } from './transpose.js';
import { readLinear } from './weights.js';

function handle(name: string, shape: number[], values: number[]): TensorHandle {
  return {
    name,
    dtype: 'F32',
    shape,
    file: '/ckpt/model.safetensors',
    read: async () => Float32Array.from(values),
  };
}

describe('linear weights', () => {
  it('transposes in tiles cut at any edge, and a block of permuted rows transposed is the gathered columns', () => {
    const [rows, cols] = [70, 45]; // not multiples of the 32-value tile
    const w = Float32Array.from({ length: rows * cols }, (_, i) => i);
    const t = transpose2d(w, rows, cols);
    for (let r = 0; r < rows; r++)
      for (let c = 0; c < cols; c++) expect(t[c * rows + r]).toBe(w[r * cols + c]);
    // The expert blocks of an out_in gate/up (expert-weights.ts): rows picked, then transposed.
    const perm = Int32Array.from({ length: 37 }, (_, i) => (i * 17) % rows);
    expect(transpose2d(permuteRows(w, perm, cols), perm.length, cols)).toEqual(gatherColumns(t, perm, rows));
  });

  it('reads either stored layout in either asked layout', async () => {
    expect(Array.from(transpose2d(Float32Array.of(1, 2, 3, 4, 5, 6), 2, 3))).toEqual([1, 4, 2, 5, 3, 6]);
    const outIn: Linear = {
      weight: handle('w', [2, 3], [1, 2, 3, 4, 5, 6]),
      layout: 'out_in',
      inFeatures: 3,
      outFeatures: 2,
    };
    expect(Array.from(await readLinear(outIn, 'in_out'))).toEqual([1, 4, 2, 5, 3, 6]);
    expect(Array.from(await readLinear(outIn, 'out_in'))).toEqual([1, 2, 3, 4, 5, 6]);
    const inOut: Linear = { ...outIn, layout: 'in_out', inFeatures: 2, outFeatures: 3 };
    expect(Array.from(await readLinear(inOut, 'in_out'))).toEqual([1, 2, 3, 4, 5, 6]);
    expect(Array.from(await readLinear(inOut, 'out_in'))).toEqual([1, 4, 2, 5, 3, 6]);
  });

  it('rejects a weight whose shape does not match its layout', async () => {
    const bad: Linear = {
      weight: handle('q.weight', [3, 2], []),
      layout: 'out_in',
      inFeatures: 3,
      outFeatures: 2,
    };
    await expect(readLinear(bad, 'in_out')).rejects.toThrow(InputError);
    await expect(readLinear(bad, 'out_in')).rejects.toThrow(
      '/ckpt/model.safetensors: q.weight has shape [3, 2], expected [2, 3] (out_in)',
    );
  });
});

describe('rope', () => {
  it('computes inv_freq as torch does in float32', () => {
    // torch: 1.0 / (10000 ** (torch.arange(0, 8, 2).float() / 8))
    expect(inverseFrequencies(10000, 8)).toEqual([
      1, 0.10000000149011612, 0.009999999776482582, 0.0010000000474974513,
    ]);
  });
});
