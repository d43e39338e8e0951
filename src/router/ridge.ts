import { InputError } from '../util/errors.js';
import type { RouterWeights } from './spec.js';

/**
 * Closed-form ridge router: z ≈ x·W + b minimising ‖XW + b − Z‖² + λ‖W‖² (the bias is not penalized).
 * Gram matrices accumulate in float64 over streaming batches, so calibration rows never need to be in memory at
 * once; memory is O((d+1)²), time O(rows·(d+1)²) for the Gram plus O((d+1)³) for the solve.
 */
const TILE_ROWS = 128;

export class RidgeAccumulator {
  private readonly p: number; // d + 1: features plus the bias column (last)
  private readonly xtx: Float64Array; // [p, p], upper triangle filled
  private readonly xtz: Float64Array; // [p, outputs]
  private rows = 0;

  constructor(
    readonly d: number,
    readonly outputs: number,
  ) {
    this.p = d + 1;
    this.xtx = new Float64Array(this.p * this.p);
    this.xtz = new Float64Array(this.p * outputs);
  }

  /** Adds a batch: x [rows, d], z [rows, outputs], row-major. */
  add(x: Float32Array, z: Float32Array, rows: number): void {
    if (x.length !== rows * this.d) {
      throw new InputError(`ridge router: expected ${rows}×${this.d} inputs, got ${x.length}`);
    }
    if (z.length !== rows * this.outputs) {
      throw new InputError(`ridge router: expected ${rows}×${this.outputs} targets, got ${z.length}`);
    }
    // Tiles of rows keep the transposed block in cache while every feature pair sweeps it.
    for (let start = 0; start < rows; start += TILE_ROWS) {
      const n = Math.min(TILE_ROWS, rows - start);
      const xs = x.subarray(start * this.d, (start + n) * this.d);
      this.addTile(xs, z.subarray(start * this.outputs, (start + n) * this.outputs), n);
    }
    this.rows += rows;
  }

  private addTile(x: Float32Array, z: Float32Array, rows: number): void {
    const xt = this.augmentedTranspose(x, rows); // [p, rows]: contiguous feature columns for the dots
    const { p, outputs } = this;
    for (let i = 0; i < p; i++) {
      const xi = xt.subarray(i * rows, (i + 1) * rows);
      for (let j = i; j < p; j++)
        this.xtx[i * p + j] = (this.xtx[i * p + j] as number) + dot(xi, xt, j * rows);
      for (let r = 0; r < rows; r++) {
        const v = xi[r] as number;
        for (let o = 0; o < outputs; o++) {
          this.xtz[i * outputs + o] =
            (this.xtz[i * outputs + o] as number) + v * (z[r * outputs + o] as number);
        }
      }
    }
  }

  get count(): number {
    return this.rows;
  }

  /** Solves (XᵀX + λI')W = XᵀZ by Cholesky, I' = identity without the bias entry. */
  solve(lambda: number): RouterWeights {
    if (!(lambda >= 0)) throw new InputError(`router.lambda: expected a number ≥ 0, got ${lambda}`);
    if (this.rows === 0) throw new InputError('ridge router: no training rows were added');
    const { p, d, outputs } = this;
    const a = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) a[i * p + j] = a[j * p + i] = this.xtx[i * p + j] as number;
      if (i < d) a[i * p + i] = (a[i * p + i] as number) + lambda;
    }
    const w = choleskySolve(a, this.xtz.slice(), { n: p, cols: outputs, lambda });
    return {
      kind: 'ridge',
      d,
      outputs,
      w1: Float32Array.from(w.subarray(0, d * outputs)),
      b1: Float32Array.from(w.subarray(d * outputs)),
    };
  }

  private augmentedTranspose(x: Float32Array, rows: number): Float64Array {
    const { d, p } = this;
    const xt = new Float64Array(p * rows);
    for (let r = 0; r < rows; r++) {
      for (let i = 0; i < d; i++) xt[i * rows + r] = x[r * d + i] as number;
      xt[d * rows + r] = 1;
    }
    return xt;
  }
}

function dot(a: Float64Array, b: Float64Array, bOff: number): number {
  let s = 0;
  for (let r = 0; r < a.length; r++) s += (a[r] as number) * (b[bOff + r] as number);
  return s;
}

const SINGULAR_PIVOT = 1e-12;

/** Solves A·X = B for symmetric positive definite A [n, n]; B [n, cols] is overwritten with X and returned. */
export function choleskySolve(
  a: Float64Array,
  b: Float64Array,
  dims: { n: number; cols: number; lambda?: number },
): Float64Array {
  const { n, cols } = dims;
  const l = new Float64Array(n * n); // lower triangle: A = L·Lᵀ
  for (let j = 0; j < n; j++) {
    let diag = a[j * n + j] as number;
    for (let k = 0; k < j; k++) diag -= (l[j * n + k] as number) ** 2;
    // A pivot lost to rounding (relative to its own diagonal) means the features are collinear.
    if (!(diag > SINGULAR_PIVOT * (a[j * n + j] as number))) {
      throw new InputError(
        `ridge router: normal equations are singular at feature ${j} (lambda ${dims.lambda ?? 0}); use lambda > 0 or more calibration rows`,
      );
    }
    const ljj = Math.sqrt(diag);
    l[j * n + j] = ljj;
    for (let i = j + 1; i < n; i++) {
      let s = a[i * n + j] as number;
      for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[j * n + k] as number);
      l[i * n + j] = s / ljj;
    }
  }
  for (let c = 0; c < cols; c++) substituteColumn(l, b, { n, cols, c });
  return b;
}

/** Forward (L·y = b) then backward (Lᵀ·x = y) substitution on column c of b, in place. */
function substituteColumn(l: Float64Array, b: Float64Array, d: { n: number; cols: number; c: number }): void {
  const { n, cols, c } = d;
  for (let i = 0; i < n; i++) {
    let s = b[i * cols + c] as number;
    for (let k = 0; k < i; k++) s -= (l[i * n + k] as number) * (b[k * cols + c] as number);
    b[i * cols + c] = s / (l[i * n + i] as number);
  }
  for (let i = n - 1; i >= 0; i--) {
    let s = b[i * cols + c] as number;
    for (let k = i + 1; k < n; k++) s -= (l[k * n + i] as number) * (b[k * cols + c] as number);
    b[i * cols + c] = s / (l[i * n + i] as number);
  }
}
