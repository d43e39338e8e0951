/**
 * Rows for training: a seeded held-out split and seeded per-epoch batch orders. The order of epoch e is a pure
 * function of (seed, e), so the batch of any step is known from the step number alone: a resumed run needs no
 * saved RNG state to continue with exactly the batches an uninterrupted run would have seen.
 */
import { Rng, shuffle } from '../util/random.js';
import type { LayerRows } from './types.js';

export interface RowSplit {
  /** Row indices into the caller's arrays. */
  readonly train: Int32Array;
  readonly heldout: Int32Array;
}

/** Held-out rows are round(n·fraction) rows drawn by a seeded shuffle; at least one row always trains. */
export function splitRows(n: number, fraction: number, seed: number): RowSplit {
  const order = shuffle(
    Int32Array.from({ length: n }, (_, i) => i),
    new Rng(seed),
  );
  const held = Math.min(n - 1, Math.round(n * fraction));
  return { heldout: order.slice(0, held).sort(), train: order.slice(held) };
}

/** Batches per epoch: full batches only (the last partial one is dropped), at least one. */
export function batchesPerEpoch(trainRows: number, batch: number): number {
  return Math.max(1, Math.floor(trainRows / batch));
}

/** The permutation of `train` used in epoch `epoch`. */
export function epochOrder(train: Int32Array, seed: number, epoch: number): Int32Array {
  const rng = new Rng((seed + Math.imul(epoch + 1, 0x9e3779b1)) >>> 0);
  return shuffle(Int32Array.from(train), rng);
}

/** Copies the rows `indices` of one layer into contiguous x [B, d] and z [B, K−1]. */
export function gatherRows(
  rows: LayerRows,
  indices: ArrayLike<number>,
  dims: { d: number; outputs: number },
): LayerRows {
  const { d, outputs } = dims;
  const x = new Float32Array(indices.length * d);
  const z = new Float32Array(indices.length * outputs);
  for (let i = 0; i < indices.length; i++) {
    const r = indices[i] as number;
    x.set(rows.x.subarray(r * d, (r + 1) * d), i * d);
    z.set(rows.z.subarray(r * outputs, (r + 1) * outputs), i * outputs);
  }
  return { x, z };
}

/** Serves the row indices of every step's batch (1-based steps), caching the current epoch's order. */
export class BatchPlan {
  private epoch = -1;
  private order: Int32Array = new Int32Array(0);
  readonly batch: number;
  readonly perEpoch: number;

  constructor(
    private readonly train: Int32Array,
    private readonly seed: number,
    batch: number,
  ) {
    this.batch = Math.min(batch, train.length);
    this.perEpoch = batchesPerEpoch(train.length, this.batch);
  }

  indices(step: number): Int32Array {
    const epoch = Math.floor((step - 1) / this.perEpoch);
    if (epoch !== this.epoch) {
      this.order = epochOrder(this.train, this.seed, epoch);
      this.epoch = epoch;
    }
    const start = ((step - 1) % this.perEpoch) * this.batch;
    return this.order.subarray(start, start + this.batch);
  }
}
