/**
 * curve.svg's task panels: one per downstream task, its headline accuracy (acc_norm where the harness reports it,
 * else acc) against FFN compute, beside the perplexity panels and in the same series colors and dashes. Each point
 * carries a ±1 standard error bar, so a reader sees which differences the sample size can tell apart.
 */
import { AXIS_PADDING, PANEL_SIZE } from './chart-style.js';
import { COLOR, FFN_AXIS, STROKE_DASH } from './chart-encodings.js';
import { SERIES } from './chart-rows.js';
import { headlineMetric, type TaskInfo } from './task-types.js';
import type { PointKind, Report } from './types.js';

interface TaskRow {
  series: string;
  ffn_pct: number;
  acc_pct: number;
  low_pct: number;
  high_pct: number;
}

function rows(report: Report, task: TaskInfo): TaskRow[] {
  const metric = headlineMetric(task);
  return report.points.flatMap((p) => {
    const s = p.tasks?.[task.name];
    const value = s?.[metric];
    if (value === undefined) return [];
    const se = s![`${metric}_stderr`] ?? 0;
    return [
      {
        series: SERIES[p.kind],
        ffn_pct: p.ffn_fraction * 100,
        acc_pct: value * 100,
        low_pct: Math.max(0, value - se) * 100,
        high_pct: Math.min(1, value + se) * 100,
      },
    ];
  });
}

const only = (...kinds: PointKind[]) => [
  { filter: kinds.map((k) => `datum.series === '${SERIES[k]}'`).join(' || ') },
];

function panel(report: Report, task: TaskInfo): unknown {
  const metric = headlineMetric(task);
  const x = FFN_AXIS;
  const y = {
    field: 'acc_pct',
    type: 'quantitative',
    title: `${task.name} ${metric} (%, ±1 s.e.)`,
    scale: { domain: [0, 100], nice: false, padding: AXIS_PADDING },
  };
  const [color, strokeDash] = [COLOR, STROKE_DASH];
  return {
    title: `${task.name}: ${metric} vs compute (n = ${task.samples})`,
    ...PANEL_SIZE,
    data: { values: rows(report, task) },
    layer: [
      {
        transform: only('dense'),
        mark: { type: 'rule', strokeWidth: 1 },
        encoding: { y, color, strokeDash },
      },
      {
        transform: only('learned', 'static', 'oracle'),
        mark: { type: 'line', strokeWidth: 2 },
        encoding: { x, y, color, strokeDash, order: { field: 'ffn_pct', type: 'quantitative' } },
      },
      {
        transform: only('learned', 'static', 'dense'),
        mark: { type: 'rule', strokeWidth: 1, opacity: 0.6 },
        encoding: { x, y: { field: 'low_pct', type: 'quantitative' }, y2: { field: 'high_pct' }, color },
      },
      {
        transform: only('learned', 'static', 'dense'),
        mark: { type: 'point', filled: true, size: 45, opacity: 1 },
        encoding: { x, y, color },
      },
    ],
  };
}

/** One panel per task of the report, in its order; none without tasks. */
export function taskPanels(report: Report): unknown[] {
  return (report.tasks ?? []).map((t) => panel(report, t));
}
