/**
 * NaN/Inf weights make every downstream number NaN (logits, importance, router targets) without any error, so a
 * tensor is checked as it is read for use and a bad one is reported by name instead of silently propagated.
 */
import { CheckpointFormatError } from '../util/errors.js';
import { printable } from '../util/untrusted-text.js';

interface FiniteCheck {
  file: string;
  name: string;
  data: Float32Array;
}

/** Returns `data` unchanged when every value is finite; otherwise names the tensor, the count and the first index. */
export function assertFinite({ file, name, data }: FiniteCheck): Float32Array {
  let bad = 0;
  let first = -1;
  for (let i = 0; i < data.length; i++) {
    // x - x is 0 for finite x and NaN for NaN and ±Inf: one branch-free test per element.
    if (data[i]! - data[i]! !== 0) {
      if (bad++ === 0) first = i;
    }
  }
  if (bad === 0) return data;
  throw new CheckpointFormatError(
    file,
    `${printable(name)}: ${bad} non-finite value(s) (first at index ${first}: ${data[first]}); the weights are corrupt`,
  );
}
