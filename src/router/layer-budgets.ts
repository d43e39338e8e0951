/**
 * Per-layer budgets (DESIGN.md §3 "Per-layer budgets"): layer l compares its predicted errors with s_l · threshold,
 * so s_l > 1 makes the layer cheaper and s_l < 1 gives it more width. A greedy search moves compute between layers
 * at equal total compute: each round measures the current scales and, per layer, one step up (s_l / γ: more
 * compute) and one down (s_l · γ: less), then takes the pair of steps (up on one layer, down on another) whose
 * summed perplexity change is the most negative among those whose summed compute change is ≤ 0. The sums are a
 * first-order guess; the next round measures the real combined point, and a trade that made things worse is undone
 * with a smaller γ. Pure: the caller measures.
 */

export interface BudgetMeasure {
  readonly perplexity: number;
  /** FFN compute fraction (routers cost the same at every scale). */
  readonly compute: number;
}

export interface BudgetRound {
  readonly base: BudgetMeasure;
  /** Per layer: that layer alone one step up (more compute) / down (less). */
  readonly up: readonly BudgetMeasure[];
  readonly down: readonly BudgetMeasure[];
}

export interface Trade {
  readonly up: number;
  readonly down: number;
  /** Predicted perplexity change (< 0). */
  readonly gain: number;
}

/** The best compute-neutral pair of single-layer steps, or null when no pair is predicted to lower perplexity. */
export function bestTrade(r: BudgetRound): Trade | null {
  let best: Trade | null = null;
  r.up.forEach((u, i) => {
    r.down.forEach((d, j) => {
      if (i === j) return;
      const compute = u.compute - r.base.compute + (d.compute - r.base.compute);
      const gain = u.perplexity - r.base.perplexity + (d.perplexity - r.base.perplexity);
      if (compute <= 0 && gain < 0 && (!best || gain < best.gain)) best = { up: i, down: j, gain };
    });
  });
  return best;
}

/** The scales after a trade at step γ. */
export function applyTrade(scales: readonly number[], t: Trade, step: number): number[] {
  return scales.map((s, l) => (l === t.up ? s / step : l === t.down ? s * step : s));
}

/** Candidate scale vectors of one round: the current ones, then each layer up, then each layer down. */
export function roundCandidates(scales: readonly number[], step: number): number[][] {
  const one = (l: number, f: number) => scales.map((s, i) => (i === l ? s * f : s));
  return [[...scales], ...scales.map((_, l) => one(l, 1 / step)), ...scales.map((_, l) => one(l, step))];
}

/** Splits one round's measurements (in roundCandidates' order). */
export function toRound(m: readonly BudgetMeasure[], layers: number): BudgetRound {
  return { base: m[0]!, up: m.slice(1, 1 + layers), down: m.slice(1 + layers, 1 + 2 * layers) };
}
