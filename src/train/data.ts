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
  /** select ∪ report, sorted. */
  readonly heldout: Int32Array;
  /** Held-out rows that choose the weights (early stopping, best step). */
  readonly select: Int32Array;
  /** Held-out rows that only measure the chosen weights: they selected nothing. */
  readonly report: Int32Array;
}

/**
 * Held out: about round(n·fraction) rows drawn by a seeded shuffle (at least one row always trains), alternately
 * into `select` and `report`. With `groups` (each row's calibration window), whole windows are drawn instead: rows
 * of one window are neighbours in one text, so a window that trains must not also measure.
 */
export function splitRows(n: number, fraction: number, seed: number, groups?: Int32Array): RowSplit {
  if (groups) return splitGroups(n, fraction, seed, groups);
  const order = shuffle(
    Int32Array.from({ length: n }, (_, i) => i),
    new Rng(seed),
  );
  const held = order.slice(0, Math.min(n - 1, Math.round(n * fraction)));
  return {
    heldout: Int32Array.from(held).sort(),
    select: held.filter((_, i) => i % 2 === 0).sort(),
    report: held.filter((_, i) => i % 2 === 1).sort(),
    train: order.slice(held.length),
  };
}

function splitGroups(n: number, fraction: number, seed: number, groups: Int32Array): RowSplit {
  const members = new Map<number, number[]>();
  for (let r = 0; r < n; r++) members.set(groups[r]!, [...(members.get(groups[r]!) ?? []), r]);
  const ids = shuffle(Int32Array.from([...members.keys()].sort((a, b) => a - b)), new Rng(seed));
  const target = Math.round(n * fraction);
  const select: number[] = [];
  const report: number[] = [];
  let held = 0;
  for (const [i, id] of ids.entries()) {
    const rows = members.get(id)!;
    if (held >= target || held + rows.length >= n) break;
    (i % 2 === 0 ? select : report).push(...rows);
    held += rows.length;
  }
  const isHeld = new Uint8Array(n);
  for (const r of [...select, ...report]) isHeld[r] = 1;
  const sorted = (v: number[]) => Int32Array.from(v).sort();
  return {
    heldout: sorted([...select, ...report]),
    select: sorted(select),
    report: sorted(report),
    train: shuffle(
      Int32Array.from({ length: n }, (_, r) => r).filter((r) => !isHeld[r]),
      new Rng(seed + 1),
    ),
  };
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
