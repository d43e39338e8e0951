import { InputError } from '../util/errors.js';

/**
 * Streaming accumulator of E_t |h_i(t)| over calibration tokens, h = act(gate)⊙up (the FFN's intermediate
 * activation). Sums are float64 so millions of tokens do not lose precision. Grouping needs the activation
 * patterns themselves; collect those with a bounded row sample (data/reservoir.ts) fed the same batches.
 */
export class ActivationStats {
  private readonly absSum: Float64Array;
  private rows = 0;

  constructor(readonly ffnDim: number) {
    this.absSum = new Float64Array(ffnDim);
  }

  /** Adds a batch h [rows, ffnDim], row-major. */
  add(h: Float32Array, rows: number): void {
    if (h.length !== rows * this.ffnDim) {
      throw new InputError(`activations: expected ${rows}×${this.ffnDim} values, got ${h.length}`);
    }
    const n = this.ffnDim;
    for (let r = 0; r < rows; r++) {
      const base = r * n;
      for (let i = 0; i < n; i++)
        this.absSum[i] = (this.absSum[i] as number) + Math.abs(h[base + i] as number);
    }
    this.rows += rows;
  }

  get count(): number {
    return this.rows;
  }

  /** E_t |h_i(t)| per neuron [ffnDim]. */
  meanAbs(): Float64Array {
    if (this.rows === 0) throw new InputError('activations: no calibration tokens were accumulated');
    return this.absSum.map((s) => s / this.rows);
  }
}

/**
 * importance_i = E_t |h_i(t)| · ‖W_down[:,i]‖ (DESIGN.md §3, the default `activation` ordering): how much neuron i
 * moves the FFN output on real tokens. `downColumnNorms` comes from importance.ts columnNorms(down, hidden, ffnDim),
 * from stored E|h_i| (the calibration stage keeps only the means; ActivationStats.meanAbs gives them).
 */
export function importanceFromMeanAbs(
  meanAbs: ArrayLike<number>,
  downColumnNorms: Float64Array,
): Float64Array {
  if (downColumnNorms.length !== meanAbs.length) {
    throw new InputError(`ffn.down: expected ${meanAbs.length} column norms, got ${downColumnNorms.length}`);
  }
  return downColumnNorms.map((n, i) => n * (meanAbs[i] as number));
}
