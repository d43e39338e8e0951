/** The lines `moefy eval` and `moefy convert` print: one per threshold of the learned router. */
import { percent, perplexity, ratio, signedPercentChange } from '../../report/format.js';
import type { Report } from '../../report/types.js';

export function summaryLines(report: Report): string[] {
  const dense = report.points.find((p) => p.kind === 'dense');
  return report.points
    .filter((p) => p.kind === 'learned')
    .sort((a, b) => a.threshold! - b.threshold!)
    .map((p) => {
      const delta = dense ? signedPercentChange(p.perplexity, dense.perplexity) : '—';
      const speedup =
        dense?.latency && p.latency ? ratio(dense.latency.prefill_ms / p.latency.prefill_ms) : '—';
      return (
        `threshold ${String(p.threshold).padEnd(5)} FFN ${percent(p.ffn_fraction).padStart(6)}  ` +
        `ppl ${perplexity(p.perplexity)} (${delta} vs dense)  prefill ${speedup}`
      );
    });
}
