/**
 * The float32 tensors a part graph built with `WeightInputs` takes as inputs, from the bytes its builder kept:
 * whole float32 arrays are fed as they are (no copy), chunked bytes (checkpoint tensors streamed, widened or
 * transposed as they go) are joined into one buffer per weight.
 */
import { joinBytes, type WeightInput } from '../onnx/builder.js';
import type { Feeds } from '../runtime/session.js';
import { float32Tensor } from '../runtime/tensors.js';

export function materializeWeights(weights: readonly WeightInput[]): Feeds {
  const feeds: Feeds = {};
  for (const w of weights) feeds[w.name] = float32Tensor(float32Of(w), w.dims);
  return feeds;
}

function float32Of(w: WeightInput): Float32Array {
  // A view of the bytes would do when they are aligned float32 storage; anything else is copied once.
  const bytes = joinBytes(w.bytes);
  const aligned = bytes.byteOffset % 4 === 0 ? bytes : bytes.slice();
  return new Float32Array(aligned.buffer, aligned.byteOffset, aligned.byteLength / 4);
}
