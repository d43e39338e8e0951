/**
 * The vega-lite spec of curve.svg, three panels sharing one legend:
 * - "near dense": perplexity change vs dense in percent on a linear axis clipped at a few times the recipe's
 *   tolerance, so the deployable points get the height; the tolerance line, threshold labels, the recommended
 *   point and the fixed graph's point are marked;
 * - "full range": perplexity on a log axis over every point, Pareto points ringed;
 * - "latency": measured prefill speedup over dense with its interval per point (latency-panel.ts).
 * Colors and dashes are fixed per series so every report reads the same way.
 */
import { AXIS_PADDING, CHART_CONFIG, PANEL_SIZE } from './chart-style.js';
import { chartRows, nearDenseTop, RECOMMENDED_LABEL, type Row, SERIES } from './chart-rows.js';
import { ACCENT, COLOR, FFN_AXIS, PARETO_SHAPE, STROKE_DASH } from './chart-encodings.js';
import { latencyPanel } from './chart-latency.js';
import { taskPanels } from './chart-tasks.js';
import type { PointKind, Report } from './types.js';

/** FFN percent from which a point's label goes to its left. */
const LABEL_FLIP_PCT = 70;

const only = (...kinds: PointKind[]) => [
  { filter: kinds.map((k) => `datum.series === '${SERIES[k]}'`).join(' || ') },
];

/** Curves, points, threshold labels and the recommended point on one quality axis `y`. */
function qualityLayers(
  y: Record<string, unknown>,
  a: { rows: readonly Row[]; labelField: 'label' | 'label_full'; rings: boolean },
): unknown[] {
  const x = FFN_AXIS;
  const [color, strokeDash] = [COLOR, STROKE_DASH];
  return [
    { transform: only('dense'), mark: { type: 'rule', strokeWidth: 1 }, encoding: { y, color, strokeDash } },
    {
      transform: only('learned', 'static', 'oracle'),
      mark: { type: 'line', strokeWidth: 2, clip: true },
      encoding: { x, y, color, strokeDash, order: { field: 'ffn_pct', type: 'quantitative' } },
    },
    {
      transform: only('learned', 'static', 'dense'),
      mark: { type: 'point', filled: true, size: 45, opacity: 1, clip: true },
      encoding: { x, y, color },
    },
    ...(a.rings
      ? [
          {
            transform: [{ filter: 'datum.pareto !== null' }],
            mark: { type: 'point', filled: false, size: 190, color: '#000000', strokeWidth: 1.2, clip: true },
            encoding: { x, y, shape: PARETO_SHAPE },
          },
        ]
      : []),
    // Only layers with data: an empty one makes vega warn about an empty scale extent on every render.
    ...(a.rows.some((r) => r.marker === RECOMMENDED_LABEL)
      ? [
          {
            transform: [{ filter: `datum.marker === '${RECOMMENDED_LABEL}'` }],
            mark: {
              type: 'point',
              shape: 'diamond',
              filled: false,
              size: 320,
              strokeWidth: 2,
              color: ACCENT,
              clip: true,
            },
            encoding: { x, y },
          },
        ]
      : []),
    ...(a.rows.some((r) => r[a.labelField] !== null)
      ? [
          {
            // Right of the point, or left of it near the right edge so the label is not cut off.
            transform: [{ filter: `datum.${a.labelField} !== null` }],
            mark: {
              type: 'text',
              align: { expr: `datum.ffn_pct < ${LABEL_FLIP_PCT} ? 'left' : 'right'` },
              dx: { expr: `datum.ffn_pct < ${LABEL_FLIP_PCT} ? 7 : -9` },
              dy: -8,
              fontSize: 10,
              clip: true,
            },
            encoding: { x, y, text: { field: a.labelField, type: 'nominal' }, color: { value: '#222222' } },
          },
        ]
      : []),
  ];
}

function nearDensePanel(report: Report, rows: Row[]): unknown {
  const tolerancePct = (report.recommended?.max_ppl_increase ?? 0.02) * 100;
  const top = nearDenseTop(report);
  const bottom = Math.min(0, ...rows.map((r) => r.dppl_pct)) - top * 0.05;
  const y = {
    field: 'dppl_pct',
    type: 'quantitative',
    title: 'Perplexity vs dense (%, lower is better)',
    scale: { domain: [bottom, top], nice: false, zero: false },
  };
  const toleranceRule = {
    data: { values: [{ dppl_pct: tolerancePct, text: `tolerance +${tolerancePct}%` }] },
    layer: [
      { mark: { type: 'rule', strokeDash: [5, 4], color: ACCENT, strokeWidth: 1.2 }, encoding: { y } },
      {
        mark: { type: 'text', align: 'right', dy: -6, fontSize: 10, color: ACCENT },
        encoding: { y, x: { value: PANEL_SIZE.width - 4 }, text: { field: 'text', type: 'nominal' } },
      },
    ],
  };
  return {
    title: `Near dense: axis clipped at +${Number(top.toPrecision(4))}%`,
    ...PANEL_SIZE,
    data: { values: rows },
    layer: [toleranceRule, ...qualityLayers(y, { rows, labelField: 'label', rings: false })],
  };
}

function fullRangePanel(rows: Row[]): unknown {
  const y = {
    field: 'perplexity',
    type: 'quantitative',
    title: 'Perplexity (log scale, lower is better)',
    scale: { type: 'log', nice: false, padding: AXIS_PADDING },
  };
  return {
    title: 'Full range (thresholds labelled where the left panel is cut)',
    ...PANEL_SIZE,
    data: { values: rows },
    layer: qualityLayers(y, { rows, labelField: 'label_full', rings: true }),
  };
}

/** A complete vega-lite spec; the latency panel is left out when no point was timed against dense. */
export function chartSpec(report: Report): Record<string, unknown> {
  const rows = chartRows(report);
  const timed = rows.filter((r) => r.speedup !== null);
  const quality = { hconcat: [nearDensePanel(report, rows), fullRangePanel(rows)] };
  // Downstream tasks, when scored, in a row of their own below the perplexity panels.
  const tasks = taskPanels(report);
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text:
        `${report.model.id}: perplexity vs FFN compute${timed.length > 0 ? ' and measured speedup' : ''}` +
        (tasks.length > 0 ? ', downstream task accuracy' : ''),
      subtitle: `${report.eval.tokens} eval tokens · ${report.machine.cpu}`,
    },
    background: 'white',
    padding: 16,
    spacing: 40,
    vconcat: [
      quality,
      ...(timed.length > 0 ? [latencyPanel(report, timed)] : []),
      ...(tasks.length > 0 ? [{ hconcat: tasks }] : []),
    ],
    resolve: { scale: { color: 'shared', strokeDash: 'shared', shape: 'shared' } },
    config: CHART_CONFIG,
  };
}
