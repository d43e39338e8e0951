/**
 * The latency panel of curve.svg: each timed point's prefill speedup over dense (median of paired per-repeat
 * ratios) with its interval as a bar, against the line at 1× (dense). Hollow points have an interval that
 * contains 1: no measurable difference. No Pareto marks here: the frontier is computed on FLOPs, not on time.
 */
import { AXIS_PADDING, PANEL_SIZE } from './chart-style.js';
import type { Row } from './chart-rows.js';
import { COLOR, FFN_AXIS } from './chart-encodings.js';
import type { Report } from './types.js';

const MEASURABLE_DOMAIN = ['measurable', 'no measurable difference'];

export function latencyPanel(report: Report, timed: Row[]): unknown {
  const confidence = Math.round((report.timing?.required_confidence ?? 0.95) * 100);
  const x = FFN_AXIS;
  const y = {
    field: 'speedup',
    type: 'quantitative',
    title: `Prefill speedup over dense (×, log scale, ${confidence}% interval)`,
    scale: { type: 'log', padding: AXIS_PADDING },
  };
  const fillOpacity = {
    field: 'measurable',
    type: 'ordinal',
    title: `Interval vs 1×`,
    scale: { domain: MEASURABLE_DOMAIN, range: [1, 0] },
  };
  return {
    title: {
      text: `Measured prefill speedup over dense (${report.machine.threads} threads, ${report.timing?.repeats ?? '?'} interleaved repeats)`,
      subtitle: `bar: ${confidence}% interval; hollow point: the interval contains 1×, no measurable difference`,
    },
    width: PANEL_SIZE.width * 2 + 40,
    height: PANEL_SIZE.height * 0.8,
    data: { values: timed },
    layer: [
      {
        data: { values: [{ speedup: 1 }] },
        mark: { type: 'rule', strokeDash: [3, 3], color: '#555555' },
        encoding: { y },
      },
      {
        mark: { type: 'rule', strokeWidth: 1.5 },
        encoding: { x, y: { ...y, field: 'speedup_low' }, y2: { field: 'speedup_high' }, color: COLOR },
      },
      {
        mark: { type: 'point', filled: true, size: 55, strokeWidth: 1.5 },
        encoding: { x, y, color: COLOR, stroke: COLOR, fillOpacity },
      },
    ],
  };
}
