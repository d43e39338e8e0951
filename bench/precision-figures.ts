/**
 * Figures of the precision suite. Every ratio is the median of per-round ratios of graphs timed in the same
 * interleaved rounds, reported with its spread (min–max over the rounds); a ratio is called a speedup only when
 * the whole spread lies above 1 (DESIGN.md: a speedup comes with its spread).
 */
import { type Budget, type Figure } from './figures.js';
import type { Phase, Timed } from './latency-measure.js';
import { median, round } from './timing.js';

export interface RatioStats {
  readonly median: number;
  readonly min: number;
  readonly max: number;
}

/** Per-round `base[i] / other[i]` (a speedup of `other` over `base` when > 1). */
export function speedupStats(base: Timed, other: Timed, phase: Phase): RatioStats {
  const r = base[phase].map((v, i) => v / other[phase][i]!);
  return { median: median(r), min: Math.min(...r), max: Math.max(...r) };
}

/**
 * `speed` ratios are > 1 when the second graph is faster; `time` ratios (an overhead: other time / base time) are
 * > 1 when it is slower, so their words are swapped.
 */
export function spreadNote(s: RatioStats, rounds: number, kind: 'speed' | 'time' = 'speed'): string {
  const range = `${rounds} rounds ${round(s.min, 2)}–${round(s.max, 2)}×`;
  const [above, below] = kind === 'speed' ? ['speedup', 'slowdown'] : ['slower', 'faster'];
  if (s.min > 1) return `${above} (${range})`;
  if (s.max < 1) return `${below} (${range})`;
  return `spread includes 1: no measured difference (${range})`;
}

export function ratioFigure(a: {
  name: string;
  stats: RatioStats;
  rounds: number;
  note?: string;
  budget?: Budget;
  kind?: 'speed' | 'time';
}): Figure {
  const note = [spreadNote(a.stats, a.rounds, a.kind), a.note].filter(Boolean).join('; ');
  return {
    name: a.name,
    value: round(a.stats.median, 2),
    unit: '×',
    note,
    ...(a.budget && { budget: a.budget }),
  };
}

/** Decode tokens/s and prefill ms of one timed graph. */
export function speedFigures(label: string, t: Timed): Figure[] {
  return [
    { name: `${label} decode`, value: round(1000 / median(t.decode), 1), unit: 'tokens/s' },
    { name: `${label} prefill`, value: round(median(t.prefill), 1), unit: 'ms' },
  ];
}
