/**
 * The adaptation's normal equations summed on ORT one block of rows per run (app/convert/gram-sums.ts, the Gram
 * graph in graph/gram.ts, experts/normal-equations.ts), real sessions: every entry of [h 1]ᵀ[h 1] (either
 * triangle) and [h 1]ᵀy equals the float64 sums of the same rows within float32 rounding, over batches of
 * different sizes and blocks that do not divide the width; the whole-matrix way in (`add`) stores the same
 * triangle; a block of the wrong size is refused by class and message.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { GramSums } from '../src/app/convert/gram-sums.js';
import { NormalEquations } from '../src/experts/normal-equations.js';
import { InternalError } from '../src/util/errors.js';
import { Rng } from '../src/util/random.js';

const dir = mkdtempSync(join(tmpdir(), 'moefy-gram-sums-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe('Gram sums by blocks of rows', () => {
  const [m, d] = [13, 3];
  const rng = new Rng(11);
  const batches = [7, 5].map((rows) => ({
    rows,
    h: Float32Array.from({ length: rows * m }, () => rng.next() - 0.5),
    y: Float32Array.from({ length: rows * d }, () => rng.next() - 0.5),
  }));
  /** Σ over every batch row of [h 1]ᵀ[h 1] and [h 1]ᵀy, in float64. */
  const exact = { hth: new Float64Array((m + 1) ** 2), hty: new Float64Array((m + 1) * d) };
  for (const b of batches) {
    for (let r = 0; r < b.rows; r++) {
      const row = [...b.h.subarray(r * m, (r + 1) * m), 1];
      for (let i = 0; i <= m; i++) {
        for (let j = 0; j <= m; j++) exact.hth[i * (m + 1) + j]! += row[i]! * row[j]!;
        for (let c = 0; c < d; c++) exact.hty[i * d + c]! += row[i]! * b.y[r * d + c]!;
      }
    }
  }

  const expectSums = (eq: NormalEquations, digits: number) => {
    expect(eq.count).toBe(12);
    for (let i = 0; i <= m; i++) {
      for (let j = 0; j <= m; j++) expect(eq.at(i, j)).toBeCloseTo(exact.hth[i * (m + 1) + j]!, digits);
      for (let c = 0; c < d; c++) expect(eq.ytRow(i)[c]).toBeCloseTo(exact.hty[i * d + c]!, digits);
    }
  };

  it('equals the float64 sums of the rows, whatever the block', async () => {
    for (const block of [4, 14, 1024]) {
      const gram = await GramSums.open({ ffnDim: m, hidden: d, dir, device: 'cpu', block });
      const eq = gram.begin();
      expect(eq.edges.at(-1)).toBe(m + 1);
      for (const b of batches) await gram.add(eq, b);
      await gram.release();
      expectSums(eq, 5);
    }
  });

  it('stores the same triangle from whole sums, and refuses a block of the wrong size', () => {
    const eq = new NormalEquations(m, d, 4);
    eq.add({ ...exact, rows: 12 });
    expectSums(eq, 12);
    expect(() => eq.addBlock(1, { hth: [1], hty: [1] })).toThrow(
      new InternalError('normal equations: block 1 expects 32 + 12 values, got 1 + 1'),
    );
  });
});
