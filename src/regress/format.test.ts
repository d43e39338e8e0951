/** The renderings of a verdict: table rows for missing/new points, JSON, and escaped GitHub workflow commands. */
import { describe, expect, it } from 'vitest';
import { fakeReport } from '../../test/support/fake-report.js';
import { baselineFromReport } from './baseline.js';
import { compareReports } from './compare.js';
import { formatDiffTable } from './format-table.js';
import { githubAnnotations, verdictJson } from './machine-output.js';

function verdictWithMovedPoint() {
  const report = fakeReport();
  const baseline = structuredClone(baselineFromReport(report, { target: 'out/', recipe: null }));
  baseline.points.find((p) => p.kind === 'static' && p.expert === 4)!.expert = 5;
  baseline.eval.text = 'old\neval.txt';
  const tolerances = { max_ppl_ratio: 1.02, max_compute_delta: 0.02, max_latency_ratio: null };
  return compareReports({ report, baseline, tolerances });
}

describe('verdict renderings', () => {
  it('the table shows a lost point as a failure, a new one as information, and the notes', () => {
    const table = formatDiffTable(verdictWithMovedPoint());
    expect(table).toMatch(/\nstatic expert 5\s+—\s+measured\s+absent\s+—\s+—\s+FAIL \(missing\)\n/);
    expect(table).toMatch(/\nstatic expert 4\s+—\s+absent\s+measured\s+—\s+—\s+new\n/);
    expect(table).toContain('\nnote: eval.text changed: old\neval.txt → fixtures/kjv-llama/eval.txt');
    // The failure summary is the exit error's, printed once by the CLI; passing rows are left out.
    expect(table).not.toContain('FAIL: ');
    expect(table).not.toMatch(/\sok$/m);
    expect(formatDiffTable(verdictWithMovedPoint(), { verbose: true })).toMatch(/\sok$/m);
  });

  it('JSON carries the schema id and every point; annotations escape newlines and property separators', () => {
    const verdict = verdictWithMovedPoint();
    const json = JSON.parse(verdictJson(verdict));
    expect(json.schema).toBe('moefy.verdict/1');
    expect(json.points).toHaveLength(21);
    expect(githubAnnotations(verdict, 'baselines/x,y.json')).toEqual([
      '::error file=baselines/x%2Cy.json,title=moefy check%3A static expert 5 missing::static expert 5: in the baseline but not in the report',
      '::notice title=moefy check note::eval.text changed: old%0Aeval.txt → fixtures/kjv-llama/eval.txt',
      '::notice title=moefy check::FAIL: 1 regression(s) (perplexity ≤ ×1.02, compute ± 0.02, latency not gated): static expert 5 (missing)',
    ]);
  });
});
