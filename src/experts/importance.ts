import { InputError } from '../util/errors.js';

/**
 * Neuron importance for nested-expert ordering (DESIGN.md §3 "Nested experts"). Weights are row-major float32 in
 * the canonical torch layout [out, in]: up/gate [ffnDim, hidden] (row i = neuron i's input weights), down
 * [hidden, ffnDim] (column i = neuron i's output weights). GPT-2's Conv1D ([in, out]) must be transposed by the
 * caller first.
 */
export interface FfnWeights {
  readonly up: Float32Array; // [ffnDim, hidden]
  readonly down: Float32Array; // [hidden, ffnDim]
  /** Gated FFNs only. When given, its row norm joins the product (see weightImportance). */
  readonly gate?: Float32Array; // [ffnDim, hidden]
  readonly ffnDim: number;
  readonly hidden: number;
}

/** L2 norm of each row of a row-major [rows, cols] matrix. */
export function rowNorms(w: Float32Array, rows: number, cols: number): Float64Array {
  const out = new Float64Array(rows);
  for (let r = 0; r < rows; r++) {
    let s = 0;
    for (let c = r * cols, end = c + cols; c < end; c++) s += (w[c] as number) ** 2;
    out[r] = Math.sqrt(s);
  }
  return out;
}

/** L2 norm of each column of a row-major [rows, cols] matrix. */
export function columnNorms(w: Float32Array, rows: number, cols: number): Float64Array {
  const sq = new Float64Array(cols);
  for (let r = 0; r < rows; r++) {
    const base = r * cols;
    for (let c = 0; c < cols; c++) sq[c] = (sq[c] as number) + (w[base + c] as number) ** 2;
  }
  return sq.map(Math.sqrt);
}

function checkLength(name: string, w: Float32Array, expected: number): void {
  if (w.length !== expected) {
    throw new InputError(`ffn.${name}: expected ${expected} weights, got ${w.length}`);
  }
}

/**
 * Data-free importance_i = ‖W_up[i]‖·‖W_down[:,i]‖, times ‖W_gate[i]‖ when `gate` is given. Including the gate is
 * the better proxy for gated FFNs: |h_i| = |act(g_i·x)|·|u_i·x| grows with both row norms (SiLU ≈ identity for
 * large positive inputs), so ranking by up alone ignores half of the neuron's input scale.
 */
export function weightImportance(w: FfnWeights): Float64Array {
  const { ffnDim, hidden } = w;
  checkLength('up', w.up, ffnDim * hidden);
  checkLength('down', w.down, hidden * ffnDim);
  if (w.gate !== undefined) checkLength('gate', w.gate, ffnDim * hidden);
  const importance = rowNorms(w.up, ffnDim, hidden);
  const downNorms = columnNorms(w.down, hidden, ffnDim);
  const gateNorms = w.gate === undefined ? undefined : rowNorms(w.gate, ffnDim, hidden);
  for (let i = 0; i < ffnDim; i++) {
    importance[i] = (importance[i] as number) * (downNorms[i] as number) * (gateNorms?.[i] ?? 1);
  }
  return importance;
}
