/**
 * The vega-lite spec of curve.svg: perplexity vs FFN fraction, and perplexity vs measured prefill latency.
 * Series: learned (line + points, Pareto points ringed), static (line + points), oracle (dashed), dense (point +
 * horizontal rule). Colors and dashes are fixed per series so every report reads the same way.
 */
import { AXIS_PADDING, CHART_CONFIG, PANEL_SIZE } from './chart-style.js';
import type { Point, PointKind, Report } from './types.js';

const SERIES: Record<PointKind, string> = {
  learned: 'learned routing',
  static: 'static slice',
  oracle: 'oracle routing',
  dense: 'dense',
};
const ORDER: readonly PointKind[] = ['learned', 'static', 'oracle', 'dense'];
const COLORS: Record<PointKind, string> = {
  learned: '#1f77b4',
  static: '#ff7f0e',
  oracle: '#2ca02c',
  dense: '#555555',
};
const DASHES: Record<PointKind, number[]> = {
  learned: [1, 0],
  static: [1, 0],
  oracle: [6, 4],
  dense: [3, 3],
};
export const PARETO_LABEL = 'Pareto-optimal';
export const SERIES_NAMES: readonly string[] = ORDER.map((k) => SERIES[k]);

interface Row {
  series: string;
  ffn_pct: number;
  prefill_ms: number | null;
  perplexity: number;
  pareto: string | null;
}

function toRow(p: Point): Row {
  return {
    series: SERIES[p.kind],
    ffn_pct: p.ffn_fraction * 100,
    prefill_ms: p.latency?.prefill_ms ?? null,
    perplexity: p.perplexity,
    pareto: p.pareto ? PARETO_LABEL : null,
  };
}

const seriesIs = (...kinds: PointKind[]): string =>
  kinds.map((k) => `datum.series === '${SERIES[k]}'`).join(' || ');

const Y = {
  field: 'perplexity',
  type: 'quantitative',
  title: 'Perplexity (log scale, lower is better)',
  scale: { type: 'log', nice: false, padding: AXIS_PADDING },
};
const COLOR = {
  field: 'series',
  type: 'nominal',
  title: 'Series',
  legend: { symbolType: 'stroke' },
  scale: { domain: SERIES_NAMES, range: ORDER.map((k) => COLORS[k]) },
};
const STROKE_DASH = {
  field: 'series',
  type: 'nominal',
  title: 'Series',
  scale: { domain: SERIES_NAMES, range: ORDER.map((k) => DASHES[k]) },
};
const PARETO_SHAPE = {
  field: 'pareto',
  type: 'nominal',
  title: null,
  scale: { domain: [PARETO_LABEL], range: ['circle'] },
};

/**
 * The layers of a panel; `x` is its compute axis. Lines connect points in FFN order on the compute panel only:
 * measured latencies are not monotone in the threshold, and joining them draws zig-zags that mean nothing.
 */
function layers(x: Record<string, unknown>, lines: boolean): unknown[] {
  const [y, color, strokeDash] = [Y, COLOR, STROKE_DASH];
  const only = (...kinds: PointKind[]) => [{ filter: seriesIs(...kinds) }];
  return [
    { transform: only('dense'), mark: { type: 'rule', strokeWidth: 1 }, encoding: { y, color, strokeDash } },
    ...(lines
      ? [
          {
            transform: only('learned', 'static', 'oracle'),
            mark: { type: 'line', strokeWidth: 2 },
            encoding: { x, y, color, strokeDash, order: { field: 'ffn_pct', type: 'quantitative' } },
          },
        ]
      : []),
    {
      transform: only('learned', 'static', 'dense'),
      mark: { type: 'point', filled: true, size: 45, opacity: 1 },
      encoding: { x, y, color },
    },
    {
      transform: [{ filter: 'datum.pareto !== null' }],
      mark: { type: 'point', filled: false, size: 190, color: '#000000', strokeWidth: 1.2 },
      encoding: { x, y, shape: PARETO_SHAPE },
    },
  ];
}

function panel(title: string, x: Record<string, unknown>, rows: Row[], lines: boolean): unknown {
  return { title, ...PANEL_SIZE, data: { values: rows }, layer: layers(x, lines) };
}

const FFN_AXIS = {
  field: 'ffn_pct',
  type: 'quantitative',
  title: 'FFN compute (% of dense neurons)',
  scale: { domain: [0, 100], nice: false, padding: AXIS_PADDING },
};

function latencyAxis(threads: number): Record<string, unknown> {
  const scale = { zero: false, padding: AXIS_PADDING };
  return {
    field: 'prefill_ms',
    type: 'quantitative',
    title: `Prefill latency (ms, ${threads} threads)`,
    scale,
  };
}

/** A complete vega-lite spec; the latency panel is left out when no point was timed. */
export function chartSpec(report: Report): Record<string, unknown> {
  const rows = report.points.map(toRow);
  const timed = rows.filter((r) => r.prefill_ms !== null);
  const panels = [panel('Quality vs compute', FFN_AXIS, rows, true)];
  if (timed.length > 0) {
    panels.push(panel('Quality vs measured latency', latencyAxis(report.machine.threads), timed, false));
  }
  return {
    $schema: 'https://vega.github.io/schema/vega-lite/v6.json',
    title: {
      text: `${report.model.id}: perplexity vs FFN compute${timed.length > 0 ? ' and latency' : ''}`,
      subtitle: `${report.eval.tokens} eval tokens · ${report.machine.cpu}`,
    },
    background: 'white',
    padding: 16,
    spacing: 40,
    hconcat: panels,
    resolve: { scale: { color: 'shared', strokeDash: 'shared', shape: 'shared' } },
    config: CHART_CONFIG,
  };
}
