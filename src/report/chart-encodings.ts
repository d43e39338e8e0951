/** Encodings every panel of curve.svg shares: one color and dash per series, the FFN axis. */
import { AXIS_PADDING } from './chart-style.js';
import { PARETO_LABEL, SERIES } from './chart-rows.js';
import type { PointKind } from './types.js';

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
export const SERIES_NAMES: readonly string[] = ORDER.map((k) => SERIES[k]);
/** Highlight of the recommended point and the tolerance line. */
export const ACCENT = '#d62728';

export const COLOR = {
  field: 'series',
  type: 'nominal',
  title: 'Series',
  legend: { symbolType: 'stroke' },
  scale: { domain: SERIES_NAMES, range: ORDER.map((k) => COLORS[k]) },
};
export const STROKE_DASH = {
  field: 'series',
  type: 'nominal',
  title: 'Series',
  scale: { domain: SERIES_NAMES, range: ORDER.map((k) => DASHES[k]) },
};
export const PARETO_SHAPE = {
  field: 'pareto',
  type: 'nominal',
  title: null,
  scale: { domain: [PARETO_LABEL], range: ['circle'] },
};
export const FFN_AXIS = {
  field: 'ffn_pct',
  type: 'quantitative',
  title: 'FFN + router compute (% of dense FFN MACs)',
  // Past 100: at threshold 0 a routed model runs the whole FFN and its router.
  scale: { domain: [0, 110], nice: false, padding: AXIS_PADDING },
};
