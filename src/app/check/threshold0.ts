/**
 * `check.max_threshold0_increase`: with `experts.adapt: joint` the full expert's down projection is refitted, so
 * threshold 0 is no longer the dense model; `moefy check` fails when its measured perplexity increase over dense
 * (report.threshold0_ppl_increase) exceeds the tolerance, whatever the baseline says.
 */
import type { Tolerances } from '../../regress/verdict.js';
import type { Report } from '../../report/types.js';
import { CheckFailedError } from '../../util/errors.js';

export function checkThreshold0(report: Report, tolerances: Tolerances): void {
  const increase = report.threshold0_ppl_increase;
  const allowed = tolerances.max_threshold0_increase;
  if (increase === null || increase === undefined || allowed === undefined || increase <= allowed) return;
  const pct = (v: number) => `${(v * 100).toFixed(2)} %`;
  throw new CheckFailedError(
    `check.max_threshold0_increase: threshold 0 perplexity is +${pct(increase)} over dense, allowed +${pct(allowed)}`,
  );
}
