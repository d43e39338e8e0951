/** Operating points are matched between report and baseline by kind plus threshold (routed) or expert (static). */
import type { PointKind } from '../report/types.js';

export interface PointIdentity {
  readonly kind: PointKind;
  readonly threshold: number | null;
  readonly expert: number | null;
}

/**
 * `dense`, `learned t=0.1`, `static expert 2`: the match key and the label users read. Thresholds are rounded the
 * way report.json rounds them, so a freshly computed report matches a baseline read back from disk.
 */
export function pointKey(p: PointIdentity): string {
  if (p.threshold !== null) return `${p.kind} t=${Number(p.threshold.toPrecision(6))}`;
  if (p.expert !== null) return `${p.kind} expert ${p.expert}`;
  return p.kind;
}
