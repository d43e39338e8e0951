import { InputError } from '../util/errors.js';

/**
 * Difficulty targets (DESIGN.md §3): for a token with dense FFN output y and prefix outputs y_k (expert k = the
 * first k blocks), e_k = ‖y − y_k‖ / (‖y‖ + ε) and the router regresses z_k = log(e_k + δ) for k < K.
 * Expert indices are 0-based here, as in the graph's `expert_index`: k = 0..K-1, and e_{K-1} = 0.
 */

/** Keeps e finite for tokens whose FFN output is (near) zero. */
export const ERROR_EPSILON = 1e-6;
/** Floors log(e): errors far below any useful threshold (the recipe's smallest is 0.02) all look alike. */
export const LOG_ERROR_DELTA = 1e-3;

/** e_k per token: data [rows, experts] row-major. */
export interface ErrorTable {
  readonly rows: number;
  readonly experts: number;
  readonly data: Float32Array;
}

/**
 * What e_k is relative to. `output`: the FFN output y (DESIGN.md's first definition). `residual`: the layer's
 * output r + y, the residual stream the error actually perturbs — a token whose FFN adds little to a large
 * residual is easy. Measured on kjv-llama with oracle routing: at ~56% FFN, perplexity +3.3% (residual) vs +6%
 * (output), so `residual` is the default.
 */
export type ErrorBase = 'output' | 'residual';

export interface BlockOutputs {
  readonly y: Float32Array; // [rows, hidden] dense FFN output
  /**
   * b_j [rows, hidden], j = 0..K-1; prefix output y_k = Σ_{j≤k} b_j. An FFN output bias (GPT-2) goes in b_0:
   * the MoE graph adds it once for every expert.
   */
  readonly blocks: readonly Float32Array[];
  readonly rows: number;
  readonly hidden: number;
  /** ‖base‖ per row [rows] when the base is not y itself (the residual form); default ‖y‖. */
  readonly baseNorms?: Float32Array;
}

/** e_k from block outputs; cumulative sums in float64 per token. */
export function relativeErrorsFromBlocks({ y, blocks, rows, hidden, baseNorms }: BlockOutputs): ErrorTable {
  const experts = blocks.length;
  checkShapes(y, blocks, rows * hidden);
  const data = new Float32Array(rows * experts);
  const acc = new Float64Array(hidden);
  for (let r = 0; r < rows; r++) {
    const base = r * hidden;
    acc.fill(0);
    const yNorm = baseNorms ? (baseNorms[r] as number) : Math.sqrt(sumSquares(y, base, hidden));
    blocks.forEach((b, k) => {
      let d2 = 0;
      for (let h = 0; h < hidden; h++) {
        acc[h] = (acc[h] as number) + (b[base + h] as number);
        d2 += ((y[base + h] as number) - (acc[h] as number)) ** 2;
      }
      data[r * experts + k] = Math.sqrt(d2) / (yNorm + ERROR_EPSILON);
    });
  }
  return { rows, experts, data };
}

function sumSquares(v: Float32Array, offset: number, n: number): number {
  let s = 0;
  for (let i = offset; i < offset + n; i++) s += (v[i] as number) ** 2;
  return s;
}

function checkShapes(y: Float32Array, parts: readonly Float32Array[], size: number): void {
  if (parts.length < 1) throw new InputError('router targets: expected at least one expert output');
  if (y.length !== size)
    throw new InputError(`router targets: dense output has ${y.length} values, expected ${size}`);
  parts.forEach((p, k) => {
    if (p.length !== size)
      throw new InputError(`router targets: expert ${k} output has ${p.length} values, expected ${size}`);
  });
}

/** z_k = log(e_k + δ) for k < K-1 (the full width needs no prediction): [rows, experts-1]. */
export function logErrorTargets(e: ErrorTable): Float32Array {
  const outputs = e.experts - 1;
  const z = new Float32Array(e.rows * outputs);
  for (let r = 0; r < e.rows; r++) {
    for (let k = 0; k < outputs; k++)
      z[r * outputs + k] = Math.log((e.data[r * e.experts + k] as number) + LOG_ERROR_DELTA);
  }
  return z;
}
