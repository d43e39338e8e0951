/** Next-token choice from one position's logits: greedy (temperature 0) or seeded sampling. */
import type { Rng } from '../../util/random.js';

export type PickToken = (logits: Float32Array) => number;

/** Index of the largest logit; ties go to the lowest id, as torch.argmax and transformers.js do. */
export function argmax(logits: Float32Array): number {
  let best = 0;
  for (let i = 1; i < logits.length; i++) if (logits[i]! > logits[best]!) best = i;
  return best;
}

/** Draws from softmax(logits / temperature); temperature 0 is greedy. */
export function tokenPicker(temperature: number, rng: Rng): PickToken {
  if (temperature === 0) return argmax;
  return (logits) => {
    const max = logits[argmax(logits)]!;
    // Shifting by the max keeps exp() finite; the shift cancels in the normalisation.
    const weights = Float64Array.from(logits, (l) => Math.exp((l - max) / temperature));
    let total = 0;
    for (const w of weights) total += w;
    let u = rng.next() * total;
    for (let i = 0; i < weights.length; i++) {
      u -= weights[i]!;
      if (u < 0) return i;
    }
    return weights.length - 1; // u landed on the rounding remainder
  };
}
