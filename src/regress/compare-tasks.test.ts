/** moefy check on downstream tasks: gated in standard errors, notes when a task's data changed, the table row. */
import { describe, expect, it } from 'vitest';
import { fakeReport } from '../../test/support/fake-report.js';
import { withFakeTasks } from '../../test/support/fake-tasks.js';
import { baselineFromReport, baselineToJson, parseBaseline } from './baseline.js';
import { compareReports } from './compare.js';
import { failureSummary, formatDiffTable } from './format-table.js';
import type { Tolerances } from './verdict.js';

const GATED: Tolerances = {
  max_ppl_ratio: 1.02,
  max_compute_delta: 0.02,
  max_latency_ratio: null,
  max_task_drop_se: 2,
};
const FROM = { target: 'out/', recipe: null };

describe('compareReports with tasks', () => {
  const report = withFakeTasks(fakeReport());

  it('keeps tasks in the baseline and passes the report that wrote it, one check per task metric', () => {
    const baseline = parseBaseline(baselineToJson(baselineFromReport(report, FROM)), 'b.json');
    expect(baseline.tasks?.map((t) => t.name)).toEqual(['hellaswag', 'lambada_openai']);
    const v = compareReports({ report, baseline, tolerances: GATED });
    expect(v.pass).toBe(true);
    expect(v.counts.metrics).toBe(report.points.length * (3 + 4));
    // Not gated: the same report checks only perplexity and compute.
    const off = compareReports({ report, baseline, tolerances: { ...GATED, max_task_drop_se: null } });
    expect(off.counts.metrics).toBe(report.points.length * 3);
  });

  it('fails a drop beyond the tolerance and shows it in standard errors', () => {
    const baseline = structuredClone(baselineFromReport(report, FROM));
    const learned = baseline.points.find((p) => p.kind === 'learned' && p.threshold === 0.1)!;
    // hellaswag acc_norm at this point is ~0.49 ± 0.035: +0.15 in the baseline is ~3 se of the difference.
    learned.tasks!.hellaswag!.acc_norm! += 0.15;
    const v = compareReports({ report, baseline, tolerances: GATED });
    expect(v.pass).toBe(false);
    const failed = v.points.flatMap((p) =>
      p.metrics.filter((m) => !m.pass).map((m) => `${p.point} ${m.metric}`),
    );
    expect(failed).toEqual(['learned t=0.1 hellaswag acc_norm']);
    const table = formatDiffTable(v);
    expect(table).toMatch(
      /learned t=0\.1 +hellaswag acc_norm +0\.\d{4} +0\.\d{4} +-\d\.\d\d se +≥ −2 se +FAIL/,
    );
    // The table lists failing rows only; the one-line verdict names the task tolerance.
    expect(failureSummary(v)).toContain('tasks ≥ −2 se');
  });

  it('notes a task scored on other data', () => {
    const changed = {
      ...report,
      tasks: report.tasks!.map((t) =>
        t.name === 'hellaswag'
          ? { ...t, dataset: 'Rowan/hellaswag@ffff default/validation', dataset_sha: 'f'.repeat(40) }
          : t,
      ),
    };
    const v = compareReports({
      report: changed,
      baseline: baselineFromReport(report, FROM),
      tolerances: GATED,
    });
    expect(v.notes).toEqual([
      'task hellaswag data changed: Rowan/hellaswag@0123456789ab default/validation → Rowan/hellaswag@ffff default/validation',
    ]);
  });
});
