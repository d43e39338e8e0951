/** Shared by the latency suite's two models: static-slice graphs and one interleaved comparison per point. */
import { join } from 'node:path';
import type { ModelIR } from '../src/ir/model.js';
import type { Figure } from './figures.js';
import { pointFigures } from './latency-figures.js';
import { sliceFfn, writeDense } from './latency-graphs.js';
import { type GraphRun, type LatencySetup, timeGroup } from './latency-measure.js';

/** Nested expert widths of the default recipe. */
export const DEFAULT_SIZES = [0.125, 0.25, 0.5, 0.75, 1.0];

export type Timing = Omit<LatencySetup, 'config' | 'tokens'>;

/** The static slice nearest `fraction`, rounded to 1/64 of the FFN so nearby fractions share one graph. */
export function sliceWriter(ir: ModelIR, dir: string): (fraction: number) => Promise<GraphRun> {
  const written = new Map<number, GraphRun>();
  const ffn = ir.config.ffnDim;
  const step = Math.max(1, Math.round(ffn / 64));
  return async (fraction) => {
    const n = Math.min(ffn, Math.max(step, Math.round((fraction * ffn) / step) * step));
    const known = written.get(n);
    if (known) return known;
    const path = await writeDense(sliceFfn(ir, n), join(dir, `slice-${n}`), 'slice.onnx');
    const run = { path, denseFraction: n / ffn };
    written.set(n, run);
    return run;
  };
}

/** Times dense, the routed graph and its slices in one interleaved group; the point's figures. */
export async function comparePoint(a: {
  label: string;
  setup: LatencySetup;
  dense: GraphRun;
  routed: GraphRun;
  fractions: { prefill: number; decode: number };
  slice: (fraction: number) => Promise<GraphRun>;
  routerMacs: number;
}): Promise<Figure[]> {
  const prefill = await a.slice(a.fractions.prefill);
  const decode = await a.slice(a.fractions.decode);
  const graphs = prefill === decode ? [a.dense, a.routed, prefill] : [a.dense, a.routed, prefill, decode];
  const t = await timeGroup(a.setup, graphs);
  const slice = { prefill: t[2]!, decode: t[graphs.length - 1]! };
  return pointFigures({
    label: a.label,
    config: a.setup.config,
    dense: t[0]!,
    routed: t[1]!,
    slice,
    routerMacs: a.routerMacs,
    seq: a.setup.seq,
    decodeTokens: a.setup.decodeTokens,
  });
}
