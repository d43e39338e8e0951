/**
 * Row slices of a tensor handle (dim 0): the LM head applied in vocabulary chunks and the embedding rows of the
 * token ids a run uses (DESIGN.md §3), so neither holds the whole vocab × hidden table. A checkpoint tensor reads
 * only the rows' bytes (TensorHandle.rows); a derived view is read whole and cut, which bounds nothing but keeps
 * every family correct.
 */
import { InternalError } from '../util/errors.js';
import type { TensorHandle } from './model.js';

/** Rows [first, first + count) of `h`. */
export function tensorRows(h: TensorHandle, first: number, count: number): TensorHandle {
  if (h.rows) return h.rows(first, count);
  const whole = h.shape[0] ?? 0;
  if (first < 0 || count < 0 || first + count > whole) {
    throw new InternalError(`${h.name}: rows [${first}, ${first + count}) of ${whole}`);
  }
  const width = rowWidth(h);
  return {
    name: h.name,
    dtype: h.dtype,
    shape: [count, ...h.shape.slice(1)],
    file: h.file,
    read: async () => (await h.read()).slice(first * width, (first + count) * width),
  };
}

/**
 * The rows `ids` of `h`, in that order, as one [ids.length, ...] tensor (read on demand; a derived view: no stored bytes). `ids` ascending
 * and distinct: each run of consecutive ids is one read.
 */
export function gatheredRows(h: TensorHandle, ids: readonly number[]): TensorHandle {
  ids.forEach((id, i) => {
    if (!Number.isInteger(id) || id < 0 || id >= (h.shape[0] ?? 0) || (i > 0 && id <= ids[i - 1]!)) {
      throw new InternalError(`${h.name}: gathered ids must be ascending row indices, got ${id} at ${i}`);
    }
  });
  const width = rowWidth(h);
  return {
    name: h.name,
    dtype: h.dtype,
    shape: [ids.length, ...h.shape.slice(1)],
    file: h.file,
    read: async () => {
      const out = new Float32Array(ids.length * width);
      for (let i = 0; i < ids.length;) {
        let j = i + 1;
        while (j < ids.length && ids[j] === ids[j - 1]! + 1) j++;
        out.set(await tensorRows(h, ids[i]!, j - i).read(), i * width);
        i = j;
      }
      return out;
    },
  };
}

function rowWidth(h: TensorHandle): number {
  return h.shape.slice(1).reduce((a, b) => a * b, 1);
}
