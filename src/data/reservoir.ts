import { InputError } from '../util/errors.js';
import { Rng } from '../util/random.js';

/**
 * Seeded reservoir sample (Algorithm R) of fixed-width float rows: after n rows, each has been kept with
 * probability capacity/n. Memory is capacity × width floats whatever n is; the result depends only on the seed and
 * the order rows arrive in. Used to keep a bounded sample of token rows per layer.
 */
export class RowReservoir {
  private readonly data: Float32Array; // [capacity, width]
  private readonly rng: Rng;
  private seen = 0;

  constructor(
    readonly capacity: number,
    readonly width: number,
    seed: number,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1)
      throw new InputError(`reservoir capacity: expected a positive integer, got ${capacity}`);
    if (!Number.isInteger(width) || width < 1)
      throw new InputError(`reservoir width: expected a positive integer, got ${width}`);
    this.data = new Float32Array(capacity * width);
    this.rng = new Rng(seed);
  }

  /** Offers a batch of rows [rows, width]. */
  add(batch: Float32Array, rows: number): void {
    const { width, capacity } = this;
    if (batch.length !== rows * width)
      throw new InputError(`reservoir: expected ${rows}×${width} values, got ${batch.length}`);
    for (let r = 0; r < rows; r++) {
      const slot = this.seen < capacity ? this.seen : this.rng.int(this.seen + 1);
      if (slot < capacity) this.data.set(batch.subarray(r * width, (r + 1) * width), slot * width);
      this.seen++;
    }
  }

  /** Rows offered so far. */
  get count(): number {
    return this.seen;
  }

  /** The kept rows [min(count, capacity), width] (a view: copy before offering more rows if you keep it). */
  rows(): { readonly rows: number; readonly data: Float32Array } {
    const rows = Math.min(this.seen, this.capacity);
    return { rows, data: this.data.subarray(0, rows * this.width) };
  }
}
