/**
 * What every suite returns: named figures with their unit and, where DESIGN.md §4 sets one, the budget they are
 * judged against. A missed budget is reported, never thrown: benchmarks do not fail on timing.
 */
export interface Budget {
  /** `max`: the figure must not exceed `limit`; `min`: it must reach it. */
  readonly kind: 'max' | 'min';
  readonly limit: number;
  /** How the budget reads in the table, e.g. "≤ 1.5× cp". */
  readonly text: string;
}

export interface Figure {
  readonly name: string;
  readonly value: number;
  readonly unit: string;
  readonly budget?: Budget;
  /** Context for the reader (what was measured, how). */
  readonly note?: string;
}

export interface SuiteResult {
  readonly suite: string;
  readonly settings: Readonly<Record<string, string | number>>;
  readonly figures: readonly Figure[];
  /** Set when the suite could not run (missing code, crash): the reason, printed instead of figures. */
  readonly skipped?: string;
}

export function verdict(f: Figure): 'pass' | 'miss' | '' {
  if (!f.budget) return '';
  const ok = f.budget.kind === 'max' ? f.value <= f.budget.limit : f.value >= f.budget.limit;
  return ok ? 'pass' : 'miss';
}

export const maxBudget = (limit: number, text: string): Budget => ({ kind: 'max', limit, text });
export const minBudget = (limit: number, text: string): Budget => ({ kind: 'min', limit, text });
