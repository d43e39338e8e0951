import { createHash } from 'node:crypto';
import { InputError } from '../util/errors.js';

/**
 * Neuron permutations: perm[newIndex] = oldIndex. Expert k is then the prefix of the first n_k permuted neurons
 * (DESIGN.md §3 "Nested experts").
 */

/** Neurons by descending importance; equal importances keep index order so the result is deterministic. */
export function orderByImportance(importance: ArrayLike<number>): Int32Array {
  const perm = Int32Array.from({ length: importance.length }, (_, i) => i);
  // Int32Array.sort is not guaranteed stable across engines for comparators: break ties explicitly.
  return perm.sort((a, b) => (importance[b] as number) - (importance[a] as number) || a - b);
}

/** Throws unless `perm` holds each of 0..n-1 exactly once. `what` names the source (e.g. `moefy.json layers.3`). */
export function validatePermutation(perm: Int32Array, n: number, what = 'permutation'): void {
  if (perm.length !== n) throw new InputError(`${what}: expected ${n} entries, got ${perm.length}`);
  const seen = new Uint8Array(n);
  for (let i = 0; i < n; i++) {
    const p = perm[i] as number;
    if (p < 0 || p >= n) throw new InputError(`${what}: entry ${i} is ${p}, outside 0..${n - 1}`);
    if (seen[p] === 1) throw new InputError(`${what}: index ${p} appears twice`);
    seen[p] = 1;
  }
}

/** out[r, :] = w[perm[r], :] for a row-major [n, cols] matrix; also serves vectors (cols = 1). */
export function permuteRows(w: Float32Array, perm: Int32Array, cols: number): Float32Array {
  const out = new Float32Array(perm.length * cols);
  for (let r = 0; r < perm.length; r++) {
    const src = (perm[r] as number) * cols;
    out.set(w.subarray(src, src + cols), r * cols);
  }
  return out;
}

/** out[:, c] = w[:, perm[c]] for a row-major [rows, n] matrix. */
export function permuteColumns(w: Float32Array, perm: Int32Array, rows: number): Float32Array {
  const n = perm.length;
  const out = new Float32Array(rows * n);
  for (let r = 0; r < rows; r++) {
    const base = r * n;
    for (let c = 0; c < n; c++) out[base + c] = w[base + (perm[c] as number)] as number;
  }
  return out;
}

/** sha256 hex of the permutation as little-endian int32 bytes, recorded per layer in moefy.json. */
export function permutationDigest(perm: Int32Array): string {
  const bytes = Buffer.alloc(perm.length * 4);
  perm.forEach((p, i) => bytes.writeInt32LE(p, i * 4));
  return createHash('sha256').update(bytes).digest('hex');
}
