/**
 * The float32 tensors a part graph built with `WeightInputs` takes as inputs, from the bytes its builder kept.
 * Whole float32 arrays are fed as they are (no copy). Chunked bytes (checkpoint tensors streamed, widened or
 * transposed as they go) land in one buffer per weight; half-precision storage is widened in place there.
 * Those buffers come from the run's pool: every decoder layer has the same weight shapes, so the next layer
 * reuses the buffers the last one released instead of faulting in fresh pages (~0.1 s a layer at hidden 2048).
 */
import { type ChunkedBytes, type WeightInput } from '../onnx/builder.js';
import type { Feeds } from '../runtime/session.js';
import { float32Tensor } from '../runtime/tensors.js';
import { InternalError } from '../util/errors.js';
import { WidenedBytes } from './float32-storage.js';

export interface WeightFeeds {
  readonly feeds: Feeds;
  /** Hands the buffers back to the pool (the feeds must not be used after). */
  release(): void;
}

/**
 * Buffers released by the last part of a run, by length. A part takes what it needs and the rest is dropped,
 * so the pool never holds more than one part's weights beside the part in use.
 */
class BufferPool {
  private idle = new Map<number, Float32Array[]>();

  take(weights: readonly WeightInput[]): (Float32Array | undefined)[] {
    const out = weights.map((w) =>
      w.bytes instanceof Uint8Array ? undefined : this.idle.get(w.bytes.byteLength / 4)?.pop(),
    );
    this.idle = new Map();
    return out;
  }

  give(buffers: readonly Float32Array[]): void {
    for (const b of buffers) this.idle.set(b.length, [...(this.idle.get(b.length) ?? []), b]);
  }
}

/** One pool per run (the run's setup object): it goes with the run. */
const POOLS = new WeakMap<object, BufferPool>();

export function materializeWeights(weights: readonly WeightInput[], run: object): WeightFeeds {
  let pool = POOLS.get(run);
  if (!pool) POOLS.set(run, (pool = new BufferPool()));
  const reused = pool.take(weights);
  const owned: Float32Array[] = [];
  const feeds: Feeds = {};
  weights.forEach((w, i) => {
    let values: Float32Array;
    if (w.bytes instanceof Uint8Array) values = viewOrCopy(w.bytes);
    else {
      values = reused[i] ?? new Float32Array(w.bytes.byteLength / 4);
      fill(values, w.bytes);
      owned.push(values);
    }
    feeds[w.name] = float32Tensor(values, w.dims);
  });
  return { feeds, release: () => pool.give(owned) };
}

function fill(out: Float32Array, bytes: ChunkedBytes): void {
  if (bytes instanceof WidenedBytes) return bytes.fill(out);
  const target = new Uint8Array(out.buffer, out.byteOffset, out.byteLength);
  let at = 0;
  for (const chunk of bytes.chunks()) {
    target.set(chunk, at);
    at += chunk.byteLength;
  }
  if (at !== target.byteLength)
    throw new InternalError(`weight input: ${at} bytes, expected ${target.byteLength}`);
}

/** float32 values over `bytes` (a view when aligned, as a Float32Array's bytes always are). */
function viewOrCopy(bytes: Uint8Array): Float32Array {
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}
