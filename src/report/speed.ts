/**
 * What the report says about speed: a measured speedup only with its interval, and called faster or slower only
 * when that interval excludes 1 (report.json `verdict`); otherwise "no measurable difference", with the likely
 * reason. Formatting only: every figure and verdict comes from the report.
 */
import { speedupWithInterval } from './format.js';
import type { Point, Report, Speedup } from './types.js';

/** Below this hidden size, per-operator overhead, not FFN arithmetic, dominates a CPU forward pass. */
const SMALL_HIDDEN = 1024;

const PHASES = [
  { key: 'prefill_speedup', name: 'prefill' },
  { key: 'decode_speedup', name: 'decode' },
] as const;

/** "prefill 1.35× faster than dense [1.21–1.48]" or "decode 0.98× [0.93–1.04], no measurable difference". */
function phaseSpeed(name: string, s: Speedup): string {
  const shown = speedupWithInterval(s);
  if (s.verdict === 'faster') return `${name} ${shown} faster than dense`;
  if (s.verdict === 'slower') return `${name} ${shown}, slower than dense`;
  return `${name} ${shown}, no measurable difference`;
}

/** Why a difference can hide in the noise, by model size and repeats. */
function noDifferenceReason(report: Report): string {
  const timing = report.timing;
  const needed = report.timing ? Math.round(report.timing.required_confidence * 100) : 95;
  const anyUnder = report.points.some((p) =>
    PHASES.some(({ key }) => (p.latency?.[key]?.confidence ?? 1) < (timing?.required_confidence ?? 0.95)),
  );
  if (timing && anyUnder)
    return `${timing.repeats} repeats are too few for a ${needed}% interval; set eval.latency.repeats ≥ 8`;
  if (report.model.hidden < SMALL_HIDDEN)
    return (
      `at hidden ${report.model.hidden} the FFN matrices are too small for the skipped work to outweigh ` +
      `per-operator overhead; docs/benchmarks.md measures routed speedups on larger shapes`
    );
  return (
    'the timing noise on this machine is larger than the difference; re-measure on a quiet machine ' +
    '(`moefy eval <out-dir>`) or raise eval.latency.repeats'
  );
}

/** The interval method in a few words, for the summary lines. */
function intervalNote(report: Report): string {
  const t = report.timing;
  if (!t) return '';
  return `${Math.round(t.required_confidence * 100)}% intervals over ${t.repeats} interleaved repeats`;
}

function timedPhases(point: Point | undefined): { name: string; s: Speedup }[] {
  const lat = point?.latency;
  if (!lat) return [];
  return PHASES.flatMap(({ key, name }) => {
    const s = lat[key];
    return s ? [{ name, s }] : [];
  });
}

/** Small models are slow for a known reason; larger ones only for noise on this machine. */
function scope(report: Report): string {
  return report.model.hidden < SMALL_HIDDEN ? 'on this model size' : 'on this machine';
}

/**
 * One sentence on a point's speed against dense; "" when it was not timed against dense. Names the verdict
 * first: a measured speedup (or slowdown) with its interval, or "no measurable difference" with the reason.
 */
export function speedSentence(point: Point | undefined, report: Report): string {
  const phases = timedPhases(point);
  if (phases.length === 0) return '';
  const interval = intervalNote(report);
  if (phases.some(({ s }) => s.verdict !== 'no-difference'))
    return `${phases.map(({ name, s }) => phaseSpeed(name, s)).join('; ')} (${interval}).`;
  const figures = phases.map(({ name, s }) => `${name} ${speedupWithInterval(s)}`).join(', ');
  return (
    `no measurable difference ${scope(report)}: ${figures} against dense (${interval}); ` +
    `${noDifferenceReason(report)}.`
  );
}
