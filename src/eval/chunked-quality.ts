/**
 * Next-token quality from logits that arrive in vocabulary chunks (the LM head applied a chunk of rows at a time,
 * eval/head-scores.ts): per scored position a running log-sum-exp (max M and Σ exp(l − M) in float64, rescaled
 * when a chunk brings a larger max), the target's logit from the chunk it falls in, and the first index of the
 * largest logit. The totals are perplexity.ts's: with one chunk covering the vocabulary, the same sums in the same
 * order, bit for bit; with several, the same values up to float64 rounding of the rescaling.
 */
import { InternalError } from '../util/errors.js';
import { IGNORE_TARGET, type QualityTotals } from './perplexity.js';

export interface VocabChunk {
  /** float32 [rows, width], row-major: the logits of vocabulary ids [first, first + width) of one batch. */
  readonly logits: Float32Array;
  readonly first: number;
  readonly width: number;
}

/** Running state of every position of one batch. */
interface BatchState {
  readonly targets: Int32Array;
  readonly max: Float64Array;
  readonly sum: Float64Array;
  readonly argmax: Int32Array;
  readonly target: Float64Array;
}

export class ChunkedQuality {
  private readonly batches: BatchState[];

  /** `targets[i]`: batch i's next ids [batch · seq] (IGNORE_TARGET: not scored), as perplexity.ts takes them. */
  constructor(
    private readonly vocab: number,
    targets: readonly ArrayLike<number>[],
  ) {
    this.batches = targets.map((t) => {
      const ids = Int32Array.from(t);
      ids.forEach((id, row) => {
        if (id !== IGNORE_TARGET && !(id >= 0 && id < vocab)) {
          throw new InternalError(`target id ${id} at row ${row} is outside the vocabulary [0, ${vocab})`);
        }
      });
      const n = ids.length;
      return {
        targets: ids,
        max: new Float64Array(n).fill(-Infinity),
        sum: new Float64Array(n),
        argmax: new Int32Array(n),
        target: new Float64Array(n).fill(NaN),
      };
    });
  }

  /** Batch `index`'s logits over one vocabulary chunk; chunks come in increasing `first`, each batch's once. */
  add(index: number, c: VocabChunk): void {
    const s = this.batches[index];
    if (!s) throw new InternalError(`chunked quality: no batch ${index}`);
    const rows = s.targets.length;
    if (c.logits.length !== rows * c.width || c.first < 0 || c.first + c.width > this.vocab) {
      throw new InternalError(
        `chunked quality: logits of ${c.logits.length} values for ${rows} rows × ids [${c.first}, ${c.first + c.width}) of ${this.vocab}`,
      );
    }
    for (let row = 0; row < rows; row++) {
      const t = s.targets[row]!;
      if (t === IGNORE_TARGET) continue;
      const start = row * c.width;
      let max = -Infinity;
      let argmax = 0;
      for (let v = 0; v < c.width; v++) {
        const value = c.logits[start + v]!;
        if (value > max) [max, argmax] = [value, v];
      }
      // A larger max rescales what was summed so far (exp(M_old − M) = 0 for the first chunk).
      if (max > s.max[row]!) {
        s.sum[row] = s.sum[row]! * Math.exp(s.max[row]! - max);
        s.max[row] = max;
        s.argmax[row] = c.first + argmax;
      }
      const m = s.max[row]!;
      let sum = 0;
      for (let v = 0; v < c.width; v++) sum += Math.exp(c.logits[start + v]! - m);
      s.sum[row] = s.sum[row]! + sum;
      if (t >= c.first && t < c.first + c.width) s.target[row] = c.logits[start + t - c.first]!;
    }
  }

  /** perplexity = exp(mean NLL); throws when nothing was scored or a target's chunk never came. */
  totals(): QualityTotals {
    let nllSum = 0;
    let hits = 0;
    let count = 0;
    for (const s of this.batches) {
      for (let row = 0; row < s.targets.length; row++) {
        const t = s.targets[row]!;
        if (t === IGNORE_TARGET) continue;
        if (Number.isNaN(s.target[row]!)) {
          throw new InternalError(`chunked quality: the chunk holding target ${t} was never added`);
        }
        nllSum += Math.log(s.sum[row]!) - (s.target[row]! - s.max[row]!);
        hits += s.argmax[row] === t ? 1 : 0;
        count += 1;
      }
    }
    if (count === 0) throw new InternalError('no scored tokens: perplexity is undefined');
    const meanNll = nllSum / count;
    return { tokens: count, meanNll, perplexity: Math.exp(meanNll), accuracy: hits / count };
  }
}
