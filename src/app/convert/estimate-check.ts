/**
 * The plan's estimates against what the conversion measured (issue #14: `plan` tells the truth): convert prints the
 * estimate when it starts and, at the end, estimate beside actual for the peak RSS (the process's own high-water
 * mark: ORT's allocations live in it) and each stage the plan prices, with their ratio.
 */
import { bytes, seconds } from '../plan/format.js';
import type { Plan } from '../plan/types.js';
import type { Progress, Stage } from '../shared/progress.js';

/** Stage names (as progress reports them) and the plan's time estimate for each. */
const PRICED: readonly { stage: string; estimate: (t: Plan['time']) => number }[] = [
  { stage: 'calibrate', estimate: (t) => t.calibrationSeconds },
  { stage: 'targets', estimate: (t) => t.targetsSeconds },
  { stage: 'router', estimate: (t) => t.trainSeconds },
  { stage: 'eval', estimate: (t) => t.evalSeconds },
];

export interface StageTimes {
  /** The stages' wall seconds by name; `cached` when the stage came from the stage cache. */
  readonly times: ReadonlyMap<string, { seconds: number; cached: boolean }>;
}

/** `progress` that also records how long each stage took, from its start to its `succeed`. */
export function timedProgress(progress: Progress): { progress: Progress } & StageTimes {
  const times = new Map<string, { seconds: number; cached: boolean }>();
  return {
    times,
    progress: {
      info: (m) => progress.info(m),
      remark: (label, m) => progress.remark(label, m),
      stage(name, text): Stage {
        const inner = progress.stage(name, text);
        const started = performance.now();
        return {
          bar: (...a) => inner.bar(...a),
          note: (m) => inner.note(m),
          fail: (s) => inner.fail(s),
          succeed: (s) => {
            times.set(name, { seconds: (performance.now() - started) / 1000, cached: s === 'from cache' });
            inner.succeed(s);
          },
        };
      },
    },
  };
}

export function estimateLine(plan: Plan): string {
  const t = plan.time;
  return (
    `peak RSS ≈ ${bytes(plan.memory.peakBytes)}, ≈ ${seconds(t.totalSeconds)} ` +
    `(${PRICED.map((p) => `${p.stage} ${seconds(p.estimate(t))}`).join(', ')})` +
    (t.measuredFlopsPerSecond === null
      ? ''
      : ` at ORT's ${(t.measuredFlopsPerSecond / 1e9).toFixed(0)} GFLOP/s measured now`)
  );
}

/** Peak RSS of this process so far, in bytes. */
export function peakRssBytes(): number {
  return process.resourceUsage().maxRSS * 1024;
}

export function actualLine(a: { plan: Plan; times: StageTimes['times']; totalSeconds: number }): string {
  const { time, memory } = a.plan;
  const rss = peakRssBytes();
  const parts = [`peak RSS ${bytes(memory.peakBytes)} / ${bytes(rss)} ${ratio(rss, memory.peakBytes)}`];
  for (const p of PRICED) {
    const actual = a.times.get(p.stage);
    if (!actual) continue;
    const est = p.estimate(time);
    parts.push(
      actual.cached
        ? `${p.stage} ${seconds(est)} / from cache`
        : `${p.stage} ${seconds(est)} / ${seconds(actual.seconds)} ${ratio(actual.seconds, est)}`,
    );
  }
  parts.push(
    `total ${seconds(time.totalSeconds)} / ${seconds(a.totalSeconds)} ${ratio(a.totalSeconds, time.totalSeconds)}`,
  );
  return `estimate / actual: ${parts.join('; ')}`;
}

/** actual ÷ estimate, as "(1.05×)". */
function ratio(actual: number, estimate: number): string {
  return estimate > 0 ? `(${(actual / estimate).toFixed(2)}×)` : '';
}
