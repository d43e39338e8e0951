/** compareReports on the made-up SmolLM2-like report: pass, quality and compute regressions, missing/new points. */
import { describe, expect, it } from 'vitest';
import { fakeReport } from '../../test/support/fake-report.js';
import type { Report } from '../report/types.js';
import { InputError } from '../util/errors.js';
import { type Baseline, baselineFromReport } from './baseline.js';
import { compareReports } from './compare.js';
import type { Tolerances } from './verdict.js';

const TOLERANCES: Tolerances = { max_ppl_ratio: 1.02, max_compute_delta: 0.02, max_latency_ratio: null };
const FROM = { target: 'out/', recipe: null };

function baselineOf(report: Report, edit: (b: Baseline) => void = () => {}): Baseline {
  const baseline = structuredClone(baselineFromReport(report, FROM));
  edit(baseline);
  return baseline;
}

function pointOf(b: Baseline, kind: string, threshold: number | null) {
  const p = b.points.find((q) => q.kind === kind && q.threshold === threshold);
  if (!p) throw new Error(`no ${kind} ${threshold}`);
  return p;
}

describe('compareReports', () => {
  it('passes a report against its own baseline, three metrics per point, latency not gated', () => {
    const report = fakeReport();
    const v = compareReports({ report, baseline: baselineOf(report), tolerances: TOLERANCES });
    expect(v.pass).toBe(true);
    expect(v.counts).toEqual({
      points: report.points.length,
      metrics: report.points.length * 3,
      failed_metrics: 0,
      missing_points: 0,
      new_points: 0,
    });
    expect(v.notes).toEqual([]);
  });

  it('fails a point whose baseline perplexity is 10% better, and only that metric', () => {
    const report = fakeReport();
    const baseline = baselineOf(report, (b) => {
      pointOf(b, 'learned', 0.1).perplexity /= 1.1;
    });
    const v = compareReports({ report, baseline, tolerances: TOLERANCES });
    expect(v.pass).toBe(false);
    const failed = v.points.filter((p) => p.status === 'fail');
    expect(failed.map((p) => p.point)).toEqual(['learned t=0.1']);
    const metric = failed[0]!.metrics.find((m) => !m.pass)!;
    expect(metric).toMatchObject({ metric: 'perplexity', rule: 'ratio', limit: 1.02, current: 12.71 });
    expect(metric.change).toBeCloseTo(1.1, 9);
    expect(v.counts.failed_metrics).toBe(1);
  });

  it('treats an improvement as a pass and compute drift in either direction as a failure', () => {
    const report = fakeReport();
    const baseline = baselineOf(report, (b) => {
      pointOf(b, 'learned', 0.2).perplexity *= 1.3;
      pointOf(b, 'learned', 0.05).flops_fraction += 0.05;
      pointOf(b, 'learned', 0.3).ffn_fraction -= 0.03;
    });
    const v = compareReports({ report, baseline, tolerances: TOLERANCES });
    const failures = v.points.flatMap((p) =>
      p.metrics.filter((m) => !m.pass).map((m) => [p.point, m.metric]),
    );
    expect(failures).toEqual([
      ['learned t=0.05', 'flops_fraction'],
      ['learned t=0.3', 'ffn_fraction'],
    ]);
  });

  it('fails on a point the report lost and reports a new one as information', () => {
    const report = fakeReport();
    const baseline = baselineOf(report, (b) => {
      pointOf(b, 'oracle', 0.5).threshold = 0.7;
    });
    const v = compareReports({ report, baseline, tolerances: TOLERANCES });
    expect(v.pass).toBe(false);
    expect(v.points.filter((p) => p.status !== 'pass').map((p) => [p.point, p.status])).toEqual([
      ['oracle t=0.7', 'missing'],
      ['oracle t=0.5', 'new'],
    ]);
    expect(v.counts).toMatchObject({ missing_points: 1, new_points: 1, failed_metrics: 0 });
  });

  it('gates latency only when max_latency_ratio is set; slower decode counts as a slowdown', () => {
    const report = fakeReport();
    const baseline = baselineOf(report, (b) => {
      const dense = pointOf(b, 'dense', null);
      dense.latency = { ...dense.latency!, decode_tokens_per_s: dense.latency!.decode_tokens_per_s * 1.5 };
    });
    expect(compareReports({ report, baseline, tolerances: TOLERANCES }).pass).toBe(true);
    const gated = compareReports({
      report,
      baseline,
      tolerances: { ...TOLERANCES, max_latency_ratio: 1.25 },
    });
    const dense = gated.points.find((p) => p.point === 'dense')!;
    expect(dense.metrics.map((m) => [m.metric, m.pass])).toEqual([
      ['perplexity', true],
      ['flops_fraction', true],
      ['ffn_fraction', true],
      ['prefill_ms', true],
      ['decode_tokens_per_s', false],
    ]);
    expect(dense.metrics[4]!.change).toBeCloseTo(1.5, 9);
    // Oracle points are untimed in the baseline: nothing to gate.
    expect(gated.points.find((p) => p.point === 'oracle t=0.1')!.metrics).toHaveLength(3);
  });

  it('notes a moved source commit and refuses a baseline of another expert grid', () => {
    const report = fakeReport();
    const moved = baselineOf(report, (b) => {
      b.model.source_sha = 'abc';
    });
    expect(compareReports({ report, baseline: moved, tolerances: TOLERANCES }).notes).toEqual([
      `model.source_sha changed: abc → ${report.model.source_sha}`,
    ]);
    const other = baselineOf(report, (b) => {
      b.model.expert_sizes = [768, 1536];
    });
    const run = () => compareReports({ report, baseline: other, tolerances: TOLERANCES });
    expect(run).toThrow(InputError);
    expect(run).toThrow(
      "baseline model.expert_sizes is [768,1536] but the report's is [192,384,768,1152,1536]: this baseline belongs to another model or expert grid; write a new one with --update-baseline",
    );
  });
});
