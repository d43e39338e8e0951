/**
 * Plain-JS twins of decisions the graphs make, for tests to compare ORT's choices and errors against: the router's
 * choice from predicted log-errors (src/graph/router-graph.ts), the oracle's choice from true errors
 * (src/graph/moe-oracle.ts), and relative errors from prefix outputs. Production computes these in-graph.
 */
import {
  type BlockOutputs,
  type ErrorTable,
  LOG_ERROR_DELTA,
  relativeErrorsFromBlocks,
} from '../../src/router/targets.js';

/**
 * The expert a token takes: the smallest k whose predicted e_k = exp(z_k) − δ is ≤ threshold, else the full width
 * K−1 (= predicted.length). Threshold ≤ 0 always picks the full width, so threshold 0 reproduces the dense model.
 */
export function chooseExpert(predictedLogErrors: ArrayLike<number>, threshold: number): number {
  const full = predictedLogErrors.length;
  if (!(threshold > 0)) return full;
  for (let k = 0; k < full; k++) {
    if (Math.exp(predictedLogErrors[k] as number) - LOG_ERROR_DELTA <= threshold) return k;
  }
  return full;
}

/** Smallest k with e_k ≤ threshold, else the full width K-1. `errors` is one token's row e_0..e_{K-1}. */
export function oracleChoice(errors: ArrayLike<number>, threshold: number): number {
  const last = errors.length - 1;
  for (let k = 0; k < last; k++) if ((errors[k] as number) <= threshold) return k;
  return last;
}

/** e_k from prefix outputs y_k directly (prefixes[k] = output of expert k). */
export function relativeErrors({
  y,
  prefixes,
  rows,
  hidden,
}: Omit<BlockOutputs, 'blocks'> & { prefixes: readonly Float32Array[] }): ErrorTable {
  // Differences of consecutive prefixes are the blocks; the cumulative sum then reproduces each prefix.
  const blocks = prefixes.map((p, k) =>
    k === 0 ? p : p.map((v, i) => v - (prefixes[k - 1]?.[i] as number)),
  );
  return relativeErrorsFromBlocks({ y, blocks, rows, hidden });
}
