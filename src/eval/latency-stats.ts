/**
 * How sure a measured speedup is. Every repeat times every graph once (interleaved), so each repeat gives one
 * paired ratio against the reference graph timed in the same round. The speedup is the median of those ratios;
 * its interval is the distribution-free confidence interval of a median (order statistics, binomial coverage): it
 * assumes nothing about the shape of the noise, only that repeats are exchangeable. A speedup is called one only
 * when the interval excludes 1 at the required confidence.
 */
import type { Speedup } from '../report/types.js';
import { InternalError } from '../util/errors.js';

/**
 * Coverage a speedup's interval must reach before the report calls it faster or slower. A report holds some 25
 * intervals (every timed point, prefill and decode); at 99% each, a difference claimed anywhere by chance alone
 * stays rare (with 10 repeats the interval is [min, max], 99.8%: about one report in twenty).
 */
export const REQUIRED_CONFIDENCE = 0.99;

interface MedianInterval {
  readonly low: number;
  readonly high: number;
  /** The interval's exact coverage for the median, ≥ REQUIRED_CONFIDENCE when there are enough repeats. */
  readonly confidence: number;
}

/** P(X ≤ k) for X ~ Binomial(n, 1/2). */
function binomialCdfHalf(n: number, k: number): number {
  let term = 0.5 ** n; // C(n, 0) / 2^n
  let sum = 0;
  for (let i = 0; i <= k; i++) {
    sum += term;
    term = (term * (n - i)) / (i + 1);
  }
  return sum;
}

/**
 * [x(k), x(n−k+1)] with the largest k whose coverage 1 − 2·P(X ≤ k−1) is still ≥ REQUIRED_CONFIDENCE; with too few
 * values for that (n ≤ 7 at 99%), the widest interval [min, max] and its lower coverage, which the caller reports.
 */
export function medianInterval(values: readonly number[]): MedianInterval {
  const n = values.length;
  if (n === 0) throw new InternalError('latency: no repeats to take an interval of');
  const sorted = [...values].sort((a, b) => a - b);
  const coverage = (k: number) => 1 - 2 * binomialCdfHalf(n, k - 1);
  let k = 1;
  while (k + 1 <= Math.ceil(n / 2) && coverage(k + 1) >= REQUIRED_CONFIDENCE) k++;
  return { low: sorted[k - 1]!, high: sorted[n - k]!, confidence: n === 1 ? 0 : coverage(k) };
}

export function median(values: readonly number[]): number {
  if (values.length === 0) throw new InternalError('latency: no timed runs');
  const sorted = [...values].sort((a, b) => a - b);
  const mid = Math.floor(sorted.length / 2);
  return sorted.length % 2 ? sorted[mid]! : (sorted[mid - 1]! + sorted[mid]!) / 2;
}

/**
 * The speedup of a graph over the reference from paired repeats: `reference[i] / graph[i]` for times (lower is
 * faster), `graph[i] / reference[i]` for rates (higher is faster).
 */
export function pairedSpeedup(a: {
  reference: readonly number[];
  graph: readonly number[];
  measure: 'time' | 'rate';
}): Speedup {
  if (a.reference.length !== a.graph.length)
    throw new InternalError(`latency: ${a.reference.length} reference repeats vs ${a.graph.length}`);
  const ratios = a.graph.map((g, i) => (a.measure === 'time' ? a.reference[i]! / g : g / a.reference[i]!));
  const interval = medianInterval(ratios);
  return {
    ratio: median(ratios),
    low: interval.low,
    high: interval.high,
    confidence: interval.confidence,
    verdict: verdict(interval),
  };
}

function verdict(i: MedianInterval): Speedup['verdict'] {
  if (i.confidence < REQUIRED_CONFIDENCE) return 'no-difference';
  if (i.low > 1) return 'faster';
  if (i.high < 1) return 'slower';
  return 'no-difference';
}
