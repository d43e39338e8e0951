/**
 * Figures of one routed operating point against dense and against the static dense slice of the same FFN
 * fraction: measured speedups, their ratio (DESIGN.md §4: routed ≥ 0.9 × slice) and the FLOPs-predicted speedup.
 * Every ratio is a median of per-round ratios of graphs timed in the same interleaved rounds, noted with its
 * distribution-free interval.
 */
import { tokenMacs } from '../src/ir/flops.js';
import type { ModelConfig } from '../src/ir/model.js';
import { type Figure, maxBudget, minBudget } from './figures.js';
import { pairedIntervalNote, pairedRatio, type Phase, type Timed } from './latency-measure.js';
import { median, round } from './timing.js';

export interface PointComparison {
  readonly label: string;
  readonly config: ModelConfig;
  readonly dense: Timed;
  readonly routed: Timed;
  /** The static slices at the routed point's prefill and decode fractions. */
  readonly slice: Readonly<Record<Phase, Timed>>;
  /** Router MACs per token per layer (0 for input-choice graphs). */
  readonly routerMacs: number;
  readonly seq: number;
  readonly decodeTokens: number;
}

export function pointFigures(p: PointComparison): Figure[] {
  return (['prefill', 'decode'] as const).flatMap((phase) => {
    const f = phase === 'prefill' ? p.routed.prefillFraction : p.routed.decodeFraction;
    const context = phase === 'prefill' ? (p.seq + 1) / 2 : p.seq + p.decodeTokens / 2;
    const slice = p.slice[phase];
    const routed = pairedRatio(p.dense, p.routed, phase);
    const sliced = pairedRatio(p.dense, slice, phase);
    const name = `${p.label} ${phase} (FFN ${round(f, 2)})`;
    const ms = (t: Timed) => `${round(median(t[phase]), 2)} ms`;
    return [
      {
        name: `${name}: routed speedup`,
        value: round(routed, 2),
        unit: '×',
        note: `${ms(p.routed)} vs dense ${ms(p.dense)}; ${pairedIntervalNote(p.dense, p.routed, phase)}`,
      },
      {
        name: `${name}: static-slice speedup`,
        value: round(sliced, 2),
        unit: '×',
        note: `slice at FFN ${round(slice.prefillFraction, 3)}: ${ms(slice)}; ${pairedIntervalNote(p.dense, slice, phase)}`,
      },
      {
        name: `${name}: FLOPs-predicted speedup`,
        value: round(flopsSpeedup(p, { fraction: f, context }), 2),
        unit: '×',
      },
      {
        name: `${name}: routed / static slice`,
        value: round(pairedRatio(slice, p.routed, phase), 2),
        unit: '×',
        budget: minBudget(0.9, '≥ 0.9'),
        note: pairedIntervalNote(slice, p.routed, phase),
      },
    ];
  });
}

/** MoE at threshold 0 (every token takes the full expert) against dense: the cost of routing itself. */
export function overheadFigures(a: { label: string; dense: Timed; moe: Timed }): Figure[] {
  return (['prefill', 'decode'] as const).map((phase) => ({
    name: `${a.label} ${phase}: MoE at threshold 0 / dense`,
    value: round(pairedRatio(a.moe, a.dense, phase), 3),
    unit: '×',
    budget: maxBudget(1.1, '≤ 1.10×'),
    note:
      `${round(median(a.moe[phase]), 2)} ms vs ${round(median(a.dense[phase]), 2)} ms` +
      `${phase === 'decode' ? ' per token' : ''}; ${pairedIntervalNote(a.moe, a.dense, phase)}`,
  }));
}

function flopsSpeedup(p: PointComparison, a: { fraction: number; context: number }): number {
  const base = { config: p.config, ffnKind: 'gated' as const, context: a.context };
  const dense = tokenMacs({ ...base, neurons: p.config.ffnDim });
  return dense / tokenMacs({ ...base, neurons: a.fraction * p.config.ffnDim, routerMacs: p.routerMacs });
}
