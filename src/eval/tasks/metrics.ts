/**
 * Per-document outcomes and their aggregation, as lm-evaluation-harness computes them (lm_eval/api/task.py
 * `process_results`, lm_eval/api/metrics.py):
 * - acc: 1 when argmax of the summed log-likelihoods is the gold (np.argmax: the first on ties); for a single
 *   continuation (LAMBADA), 1 when it is the greedy decode;
 * - acc_norm: the same over log-likelihood / len(choice), len in characters (Python `len` of the choice string
 *   without the delimiter: code points, not bytes, not tokens);
 * - perplexity: exp(−mean log-likelihood of the continuations);
 * - stderr of a mean: `mean_stderr` = sample standard deviation (n − 1) / √n. The harness bootstraps perplexity's
 *   (100 000 resamples of Python's RNG); here it is the delta method, ppl · stderr(mean log-likelihood), which the
 *   bootstrap converges to for large n and which is deterministic.
 */
import type { TaskScores } from '../../report/task-types.js';
import type { RequestScore } from './score.js';
import type { TaskDoc, TaskMetric } from './types.js';

export interface DocOutcome {
  readonly acc: number;
  readonly acc_norm?: number;
  readonly loglikelihood?: number;
}

/** Index of the largest value, the first one on ties (np.argmax). */
export function argmax(values: readonly number[]): number {
  let best = 0;
  values.forEach((v, i) => {
    if (v > values[best]!) best = i;
  });
  return best;
}

/** Python's len(str): code points (a JS string's length counts UTF-16 units). */
export function charLength(s: string): number {
  return [...s].length;
}

export function docOutcome(doc: TaskDoc, scores: readonly RequestScore[]): DocOutcome {
  if (doc.kind === 'continuation') {
    const [s] = scores;
    return { acc: s!.greedy ? 1 : 0, loglikelihood: s!.loglikelihood };
  }
  const lls = scores.map((s) => s.loglikelihood);
  // The harness measures the strings doc_to_choice returns: the choices, or WinoGrande's per-option contexts.
  const strings = doc.kind === 'choices' ? doc.choices : doc.contexts;
  const normalized = lls.map((ll, i) => ll / charLength(strings[i]!));
  return {
    acc: argmax(lls) === doc.gold ? 1 : 0,
    acc_norm: argmax(normalized) === doc.gold ? 1 : 0,
    loglikelihood: lls[doc.gold]!,
  };
}

export function mean(values: readonly number[]): number {
  return values.reduce((a, v) => a + v, 0) / values.length;
}

/** lm_eval/api/metrics.py mean_stderr: sample_stddev / √n; null below two samples (undefined there). */
export function meanStderr(values: readonly number[]): number | null {
  const n = values.length;
  if (n < 2) return null;
  const mu = mean(values);
  const variance = values.reduce((a, v) => a + (v - mu) ** 2, 0) / (n - 1);
  return Math.sqrt(variance) / Math.sqrt(n);
}

export function aggregate(outcomes: readonly DocOutcome[], metrics: readonly TaskMetric[]): TaskScores {
  const pick = (f: (o: DocOutcome) => number | undefined) => outcomes.map((o) => f(o) ?? NaN);
  const scores: TaskScores = { samples: outcomes.length };
  if (metrics.includes('acc')) {
    const acc = pick((o) => o.acc);
    [scores.acc, scores.acc_stderr] = [mean(acc), meanStderr(acc)];
  }
  if (metrics.includes('acc_norm')) {
    const norm = pick((o) => o.acc_norm);
    [scores.acc_norm, scores.acc_norm_stderr] = [mean(norm), meanStderr(norm)];
  }
  if (metrics.includes('perplexity')) {
    const lls = pick((o) => o.loglikelihood);
    const ppl = Math.exp(-mean(lls));
    const se = meanStderr(lls);
    [scores.perplexity, scores.perplexity_stderr] = [ppl, se === null ? null : ppl * se];
  }
  return scores;
}
