/**
 * Streaming next-token quality: mean negative log-likelihood (→ perplexity) and top-1 accuracy, accumulated one
 * logits batch at a time so an eval never holds more than one window's logits.
 */
import { InternalError } from '../util/errors.js';

export interface LogitsBatch {
  /** float32 [batch, seq, vocab], row-major. */
  logits: Float32Array;
  batch: number;
  seq: number;
  vocab: number;
  /** [batch, seq]: the id that should follow each position; `ignore` entries (padding, window starts) are skipped. */
  targets: ArrayLike<number | bigint>;
}

/** Target id that marks a position as not scored (Hugging Face's ignore_index). */
export const IGNORE_TARGET = -100;

export interface QualityTotals {
  tokens: number;
  meanNll: number;
  perplexity: number;
  accuracy: number;
}

/** −log softmax(row)[target] in float64, shifted by the row max so exp never overflows; and whether it is the argmax. */
function scoreRow(
  logits: Float32Array,
  start: number,
  vocab: number,
  target: number,
): { nll: number; hit: boolean } {
  let max = -Infinity;
  let argmax = 0;
  for (let v = 0; v < vocab; v++) {
    const value = logits[start + v]!;
    if (value > max) [max, argmax] = [value, v];
  }
  let sum = 0;
  for (let v = 0; v < vocab; v++) sum += Math.exp(logits[start + v]! - max);
  const nll = Math.log(sum) - (logits[start + target]! - max);
  return { nll, hit: argmax === target };
}

export class QualityAccumulator {
  private nllSum = 0;
  private hits = 0;
  private count = 0;

  add(batch: LogitsBatch): void {
    const { logits, vocab } = batch;
    const rows = batch.batch * batch.seq;
    if (logits.length !== rows * vocab || batch.targets.length !== rows) {
      throw new InternalError(
        `logits [${batch.batch}, ${batch.seq}, ${vocab}] need ${rows * vocab} values and ${rows} targets, got ${logits.length} and ${batch.targets.length}`,
      );
    }
    for (let row = 0; row < rows; row++) {
      const target = Number(batch.targets[row]);
      if (target === IGNORE_TARGET) continue;
      if (!Number.isInteger(target) || target < 0 || target >= vocab) {
        throw new InternalError(`target id ${target} at row ${row} is outside the vocabulary [0, ${vocab})`);
      }
      const { nll, hit } = scoreRow(logits, row * vocab, vocab, target);
      this.nllSum += nll;
      this.hits += hit ? 1 : 0;
      this.count += 1;
    }
  }

  /** perplexity = exp(mean NLL); throws when nothing was scored, since 0/0 would read as a result. */
  totals(): QualityTotals {
    if (this.count === 0) throw new InternalError('no scored tokens: perplexity is undefined');
    const meanNll = this.nllSum / this.count;
    return { tokens: this.count, meanNll, perplexity: Math.exp(meanNll), accuracy: this.hits / this.count };
  }
}
