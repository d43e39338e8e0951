/**
 * The sufficient statistics of one layer's expert adaptation (adapt-lsq.ts, adapt-joint.ts) over the calibration
 * tokens, in the FFN's own (unpermuted) neuron order: [h 1]ᵀ[h 1] (neurons 0..m−1, then the constant 1 for the
 * bias) and [h 1]ᵀy, summed in float64 from the Gram graph's float32 batch sums (graph/gram.ts), and the count.
 * The Gram matrix is symmetric, so only its lower triangle is kept, by blocks of rows, exactly as the Gram graph
 * computes it: at Llama-3-8B's FFN 14336 that is 0.88 GB of float64 instead of 1.64 GB.
 */
import { InternalError } from '../util/errors.js';

/** Rows of [h 1]ᵀ[h 1] per Gram run: one run's float32 output is GRAM_BLOCK × (m+1) values (59 MB at 8B). */
export const GRAM_BLOCK = 1024;

export class NormalEquations {
  /** Row block b covers rows [edges[b], edges[b + 1]) of the (m+1)² matrix. */
  readonly edges: readonly number[];
  /** Block b: [rows_b, edges[b + 1]] row-major, the lower triangle's columns of those rows (diagonal included). */
  readonly hth: Float64Array[];
  /** [(m+1), d]: Σ h_i y, then Σ y. */
  readonly hty: Float64Array;
  count = 0;

  constructor(
    readonly ffnDim: number,
    readonly hidden: number,
    readonly block = GRAM_BLOCK,
  ) {
    const n = ffnDim + 1;
    this.edges = Array.from({ length: Math.ceil(n / block) + 1 }, (_, b) => Math.min(n, b * block));
    this.hth = this.edges.slice(1).map((end, b) => new Float64Array((end - this.edges[b]!) * end));
    this.hty = new Float64Array(n * hidden);
  }

  /** Adds one Gram run's float32 sums of row block b: hth [rows_b, end_b], hty [rows_b, d]. */
  addBlock(b: number, sums: { hth: ArrayLike<number>; hty: ArrayLike<number> }): void {
    const into = this.hth[b];
    const r0 = this.edges[b]!;
    const yt = this.hty.subarray(r0 * this.hidden, this.edges[b + 1]! * this.hidden);
    if (!into || sums.hth.length !== into.length || sums.hty.length !== yt.length) {
      throw new InternalError(
        `normal equations: block ${b} expects ${into?.length ?? 0} + ${yt.length} values, got ${sums.hth.length} + ${sums.hty.length}`,
      );
    }
    for (let i = 0; i < into.length; i++) into[i]! += sums.hth[i]!;
    for (let i = 0; i < yt.length; i++) yt[i]! += sums.hty[i]!;
  }

  /** Counts a batch's tokens once every block of it was added. */
  addTokens(rows: number): void {
    this.count += rows;
  }

  /**
   * Adds one batch's whole sums over `rows` tokens: hth [(m+1), (m+1)] row-major (its lower triangle is read),
   * hty [(m+1), d].
   * @internal the tests' and benches' way in: convert adds the Gram graph's blocks (addBlock)
   */
  add(batch: { hth: ArrayLike<number>; hty: ArrayLike<number>; rows: number }): void {
    const n = this.ffnDim + 1;
    if (batch.hth.length !== n * n || batch.hty.length !== this.hty.length) {
      throw new InternalError(
        `normal equations: expected ${n * n} + ${this.hty.length} values, got ${batch.hth.length} + ${batch.hty.length}`,
      );
    }
    this.hth.forEach((into, b) => {
      const [r0, end] = [this.edges[b]!, this.edges[b + 1]!];
      for (let r = r0; r < end; r++)
        for (let c = 0; c < end; c++) into[(r - r0) * end + c]! += batch.hth[r * n + c]!;
    });
    for (let i = 0; i < this.hty.length; i++) this.hty[i]! += batch.hty[i]!;
    this.count += batch.rows;
  }

  /** Entry (r, c) of [h 1]ᵀ[h 1], from whichever triangle holds it (index m is the constant). */
  at(r: number, c: number): number {
    // Called once per entry of a gathered system (58 M times at 8B's shape): no destructuring, no division.
    const i = r >= c ? r : c;
    const j = r >= c ? c : r;
    const b = Math.floor(i / this.block);
    return this.hth[b]![(i - b * this.block) * this.edges[b + 1]! + j]!;
  }

  /** Row r of [h 1]ᵀy [d]. */
  ytRow(r: number): Float64Array {
    return this.hty.subarray(r * this.hidden, (r + 1) * this.hidden);
  }
}
