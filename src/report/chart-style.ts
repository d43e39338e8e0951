/** The look of curve.svg: one font, normal weights (only the regular face ships), quiet grid. */
import { FONT_FAMILY } from './font.js';

export const CHART_CONFIG = {
  font: FONT_FAMILY,
  title: {
    fontSize: 16,
    fontWeight: 'normal',
    subtitleFontSize: 11,
    subtitleColor: '#555555',
    anchor: 'start',
  },
  axis: {
    titleFontWeight: 'normal',
    titleFontSize: 12,
    labelFontSize: 11,
    gridColor: '#e6e6e6',
    labelOverlap: 'greedy',
    labelSeparation: 6,
  },
  legend: {
    titleFontWeight: 'normal',
    labelFontSize: 11,
    titleFontSize: 12,
    symbolStrokeWidth: 2.5,
    symbolSize: 260,
  },
  header: { titleFontWeight: 'normal' },
} as const;

/** Pixels kept free at each end of an axis, so points on the domain's edge are not cut by it. */
export const AXIS_PADDING = 14;
export const PANEL_SIZE = { width: 380, height: 280 } as const;
