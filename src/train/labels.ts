import type { ErrorTable } from '../router/targets.js';
import { InputError } from '../util/errors.js';

/**
 * Targets of the classification (`bce`) router: label_k = 1 when expert k alone is good enough for the token,
 * e_k ≤ τ, else 0; [rows, K−1] (the full width always suffices and needs no label). At inference
 * 1 − σ(p_k) plays the predicted error (see src/graph/router-loss.ts).
 */
export function sufficiencyLabels(e: ErrorTable, tolerance: number): Float32Array {
  if (!(tolerance > 0))
    throw new InputError(`router.tolerance: expected a positive number, got ${tolerance}`);
  const outputs = e.experts - 1;
  const labels = new Float32Array(e.rows * outputs);
  for (let r = 0; r < e.rows; r++) {
    for (let k = 0; k < outputs; k++)
      labels[r * outputs + k] = (e.data[r * e.experts + k] as number) <= tolerance ? 1 : 0;
  }
  return labels;
}
