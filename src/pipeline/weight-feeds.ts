/**
 * The float32 tensors a part graph built with `WeightInputs` takes as inputs, from the bytes its builder kept.
 * Whole float32 arrays are fed as they are (no copy). Chunked bytes (checkpoint tensors streamed, widened or
 * transposed as they go) and bfloat16 values land in one float32 buffer per weight, half values widened in
 * place there (exactly). Those buffers come from the run's pool: every decoder layer has the same weight shapes,
 * so the next layer reuses the buffers the last one released instead of faulting in fresh pages.
 */
import type { ChunkedBytes, WeightInput } from '../onnx/builder.js';
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

  take(lengths: readonly (number | undefined)[]): (Float32Array | undefined)[] {
    const out = lengths.map((n) => (n === undefined ? undefined : this.idle.get(n)?.pop()));
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
  const reused = pool.take(weights.map((w) => (fedAsIs(w) ? undefined : valuesOf(w))));
  const owned: Float32Array[] = [];
  const feeds: Feeds = {};
  weights.forEach((w, i) => {
    let values: Float32Array;
    if (fedAsIs(w)) values = viewOrCopy(w.bytes as Uint8Array);
    else {
      values = reused[i] ?? new Float32Array(valuesOf(w));
      fill(values, w);
      owned.push(values);
    }
    feeds[w.name] = float32Tensor(values, w.dims);
  });
  return { feeds, release: () => pool.give(owned) };
}

/** float32 values already whole in memory: fed without a copy. */
function fedAsIs(w: WeightInput): boolean {
  return w.stored === 'F32' && w.bytes instanceof Uint8Array;
}

function valuesOf(w: WeightInput): number {
  return w.bytes.byteLength / (w.stored === 'F32' ? 4 : 2);
}

function fill(out: Float32Array, w: WeightInput): void {
  const { bytes } = w;
  if (w.stored !== 'F32') {
    const half: ChunkedBytes =
      bytes instanceof Uint8Array ? { byteLength: bytes.byteLength, chunks: () => [bytes] } : bytes;
    return new WidenedBytes(w.name, w.stored, half).fill(out);
  }
  if (bytes instanceof WidenedBytes) return bytes.fill(out);
  if (bytes instanceof Uint8Array)
    throw new InternalError(`weight input ${w.name}: whole bytes are fed as they are`);
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
