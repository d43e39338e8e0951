import { InputError } from '../util/errors.js';
import type { RouterWeights } from './spec.js';

/** Rows per Gram tile (a caller adding whole tiles at a time gets the sums of one call). */
export const TILE_ROWS = 128;

/**
 * Closed-form ridge router: z ≈ x·W + b minimising ‖XW + b − Z‖² + λ‖W‖² (the bias is not penalized).
 * Gram matrices accumulate in float64 over streaming batches, so calibration rows never need to be in memory at
 * once; memory is O((d+1)²), time O(rows·(d+1)²) for the Gram plus O((d+1)³) for the solve.
 */

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
    for (let i0 = 0; i0 < p; i0 += BLOCK) {
      for (let j0 = i0; j0 < p; j0 += BLOCK) gramBlock({ xt, rows, p, i0, j0, out: this.xtx });
    }
    for (let i = 0; i < p; i++) {
      const xi = xt.subarray(i * rows, (i + 1) * rows);
      for (let r = 0; r < rows; r++) {
        const v = xi[r] as number;
        for (let o = 0; o < outputs; o++) {
          this.xtz[i * outputs + o] =
            (this.xtz[i * outputs + o] as number) + v * (z[r * outputs + o] as number);
        }
      }
    }
  }

  /**
   * Copies of XᵀX (upper triangle) and XᵀZ so far; for the test that holds the blocked sums to the plain loop's.
   * @internal
   */
  normalEquations(): { xtx: Float64Array; xtz: Float64Array } {
    return { xtx: this.xtx.slice(), xtz: this.xtz.slice() };
  }

  get count(): number {
    return this.rows;
  }

  /** Solves (XᵀX + λI')W = XᵀZ by Cholesky, I' = identity without the bias entry. */
  solve(lambda: number): RouterWeights {
    return drain(this.solveSteps(lambda));
  }

  /**
   * `solve` cut into steps of bounded work (the generator returns the weights): a caller that yields to the event
   * loop between steps stays interruptible while a large fit runs (d = 4096: ~20 G multiply-adds).
   */
  *solveSteps(lambda: number): Generator<void, RouterWeights> {
    if (!(lambda >= 0)) throw new InputError(`router.lambda: expected a number ≥ 0, got ${lambda}`);
    if (this.rows === 0) throw new InputError('ridge router: no training rows were added');
    const { p, d, outputs } = this;
    const a = new Float64Array(p * p);
    for (let i = 0; i < p; i++) {
      for (let j = i; j < p; j++) a[i * p + j] = a[j * p + i] = this.xtx[i * p + j] as number;
      if (i < d) a[i * p + i] = (a[i * p + i] as number) + lambda;
    }
    const w = yield* choleskySteps(a, this.xtz.slice(), { n: p, cols: outputs, lambda });
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

/** Gram tiles are BLOCK × BLOCK entries: 16 dot products share each loaded value (registers, not memory). */
const BLOCK = 4;

/**
 * out[i, j] += Σ_r xt[i, r]·xt[j, r] for the BLOCK × BLOCK tile at (i0, j0), entries with j ≥ i only. Each entry's
 * dot product runs over r in order from 0, exactly as a plain dot would, so the sums are bit for bit those of the
 * one-pair-at-a-time loop this replaced (8× slower at d = 2048); edge tiles (past p) take the plain loop.
 */
function gramBlock(t: {
  xt: Float64Array;
  rows: number;
  p: number;
  i0: number;
  j0: number;
  out: Float64Array;
}): void {
  const { xt, rows, p, i0, j0, out } = t;
  if (i0 + BLOCK > p || j0 + BLOCK > p) {
    for (let i = i0; i < Math.min(p, i0 + BLOCK); i++) {
      for (let j = Math.max(i, j0); j < Math.min(p, j0 + BLOCK); j++) {
        out[i * p + j] = (out[i * p + j] as number) + dot(xt, i * rows, j * rows, rows);
      }
    }
    return;
  }
  const a0 = i0 * rows;
  const a1 = a0 + rows;
  const a2 = a1 + rows;
  const a3 = a2 + rows;
  const b0 = j0 * rows;
  const b1 = b0 + rows;
  const b2 = b1 + rows;
  const b3 = b2 + rows;
  // prettier-ignore
  let s00 = 0, s01 = 0, s02 = 0, s03 = 0, s10 = 0, s11 = 0, s12 = 0, s13 = 0,
    s20 = 0, s21 = 0, s22 = 0, s23 = 0, s30 = 0, s31 = 0, s32 = 0, s33 = 0;
  for (let r = 0; r < rows; r++) {
    const x0 = xt[a0 + r] as number;
    const x1 = xt[a1 + r] as number;
    const x2 = xt[a2 + r] as number;
    const x3 = xt[a3 + r] as number;
    const y0 = xt[b0 + r] as number;
    const y1 = xt[b1 + r] as number;
    const y2 = xt[b2 + r] as number;
    const y3 = xt[b3 + r] as number;
    s00 += x0 * y0;
    s01 += x0 * y1;
    s02 += x0 * y2;
    s03 += x0 * y3;
    s10 += x1 * y0;
    s11 += x1 * y1;
    s12 += x1 * y2;
    s13 += x1 * y3;
    s20 += x2 * y0;
    s21 += x2 * y1;
    s22 += x2 * y2;
    s23 += x2 * y3;
    s30 += x3 * y0;
    s31 += x3 * y1;
    s32 += x3 * y2;
    s33 += x3 * y3;
  }
  const o0 = i0 * p + j0;
  const o1 = o0 + p;
  const o2 = o1 + p;
  const o3 = o2 + p;
  const diagonal = i0 === j0; // only entries with j ≥ i are kept
  if (!diagonal) out[o1] = (out[o1] as number) + s10;
  if (!diagonal) out[o2] = (out[o2] as number) + s20;
  if (!diagonal) out[o2 + 1] = (out[o2 + 1] as number) + s21;
  if (!diagonal) out[o3] = (out[o3] as number) + s30;
  if (!diagonal) out[o3 + 1] = (out[o3 + 1] as number) + s31;
  if (!diagonal) out[o3 + 2] = (out[o3 + 2] as number) + s32;
  out[o0] = (out[o0] as number) + s00;
  out[o0 + 1] = (out[o0 + 1] as number) + s01;
  out[o0 + 2] = (out[o0 + 2] as number) + s02;
  out[o0 + 3] = (out[o0 + 3] as number) + s03;
  out[o1 + 1] = (out[o1 + 1] as number) + s11;
  out[o1 + 2] = (out[o1 + 2] as number) + s12;
  out[o1 + 3] = (out[o1 + 3] as number) + s13;
  out[o2 + 2] = (out[o2 + 2] as number) + s22;
  out[o2 + 3] = (out[o2 + 3] as number) + s23;
  out[o3 + 3] = (out[o3 + 3] as number) + s33;
}

function dot(v: Float64Array, aOff: number, bOff: number, n: number): number {
  let s = 0;
  for (let r = 0; r < n; r++) s += (v[aOff + r] as number) * (v[bOff + r] as number);
  return s;
}

const SINGULAR_PIVOT = 1e-12;

/** Multiply-adds between two steps of a stepped solve (~0.1 s of JavaScript). */
const STEP_WORK = 1e8;

/**
 * Solves A·X = B for symmetric positive definite A [n, n]; B [n, cols] is overwritten with X and returned.
 * @internal the fit itself goes through the stepped form; tests solve small systems with this.
 */
export function choleskySolve(
  a: Float64Array,
  b: Float64Array,
  dims: { n: number; cols: number; lambda?: number },
): Float64Array {
  return drain(choleskySteps(a, b, dims));
}

/** `choleskySolve` yielding after about STEP_WORK multiply-adds at a time. */
function* choleskySteps(
  a: Float64Array,
  b: Float64Array,
  dims: { n: number; cols: number; lambda?: number },
): Generator<void, Float64Array> {
  const { n, cols } = dims;
  const l = new Float64Array(n * n); // lower triangle: A = L·Lᵀ
  let work = 0;
  for (let j = 0; j < n; j++) {
    work += j * (n - j);
    if (work > STEP_WORK) {
      work = 0;
      yield;
    }
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
    choleskyColumn({ a, l, n, j, ljj });
  }
  for (let c = 0; c < cols; c++) substituteColumn(l, b, { n, cols, c });
  return b;
}

/**
 * Column j of L below the diagonal: l[i, j] = (a[i, j] − Σ_{k<j} l[i, k]·l[j, k]) / l[j, j]. Four rows i at a time
 * share each l[j, k] load; every entry still subtracts its terms in order of k, so L is bit for bit what the
 * one-row loop gave (about 3× slower at d = 2048).
 */
function choleskyColumn(c: { a: Float64Array; l: Float64Array; n: number; j: number; ljj: number }): void {
  const { a, l, n, j, ljj } = c;
  const rj = j * n;
  let i = j + 1;
  for (; i + 4 <= n; i += 4) {
    const r0 = i * n;
    const r1 = r0 + n;
    const r2 = r1 + n;
    const r3 = r2 + n;
    let s0 = a[r0 + j] as number;
    let s1 = a[r1 + j] as number;
    let s2 = a[r2 + j] as number;
    let s3 = a[r3 + j] as number;
    for (let k = 0; k < j; k++) {
      const v = l[rj + k] as number;
      s0 -= (l[r0 + k] as number) * v;
      s1 -= (l[r1 + k] as number) * v;
      s2 -= (l[r2 + k] as number) * v;
      s3 -= (l[r3 + k] as number) * v;
    }
    l[r0 + j] = s0 / ljj;
    l[r1 + j] = s1 / ljj;
    l[r2 + j] = s2 / ljj;
    l[r3 + j] = s3 / ljj;
  }
  for (; i < n; i++) {
    let s = a[i * n + j] as number;
    for (let k = 0; k < j; k++) s -= (l[i * n + k] as number) * (l[rj + k] as number);
    l[i * n + j] = s / ljj;
  }
}

/** Runs a stepped computation to its end, without pausing. */
function drain<T>(steps: Generator<void, T>): T {
  for (;;) {
    const next = steps.next();
    if (next.done) return next.value;
  }
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
