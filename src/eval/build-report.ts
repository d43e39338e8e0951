/** Assembles report.json's object from the sweep's measurements and what the run knows about itself. */
import { availableParallelism, cpus } from 'node:os';
import { runtimeVersion } from '../runtime/version.js';
import { REPORT_SCHEMA_ID, type Report } from '../report/types.js';
import { type PointMeasurement, withPareto } from './pareto.js';

export interface ReportContext {
  readonly version: string;
  readonly model: Report['model'];
  readonly eval: Report['eval'];
  /** The ORT intra-op threads asked for; 0 = the runtime default. */
  readonly threads: number;
}

export function buildReport(ctx: ReportContext, measured: readonly PointMeasurement[]): Report {
  const { points, pareto } = withPareto(measured);
  return {
    schema: REPORT_SCHEMA_ID,
    moefy_version: ctx.version,
    model: ctx.model,
    machine: machineSection(ctx.threads),
    eval: ctx.eval,
    points,
    pareto,
  };
}

/** ORT's default intra-op pool uses every core, so 0 is recorded as the core count the process may use. */
function machineSection(threads: number): Report['machine'] {
  const cores = availableParallelism();
  return {
    cpu: cpus()[0]?.model.trim() ?? 'unknown',
    cores,
    ort_version: runtimeVersion(),
    threads: threads > 0 ? threads : cores,
  };
}
