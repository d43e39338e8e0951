/**
 * The evaluation of every precision besides fp32 (output.dtypes): its dense graph and its router graph at every
 * threshold, on the same token windows and with the same latency settings as the fp32 sweep, so each figure
 * compares like for like (q4 routing against q4 dense, q4 dense against fp32 dense). With convert's layered model
 * the quality comes layer by layer, built in that precision from the checkpoint (eval/layer-sweep.ts): a q4 session
 * of the whole model would break the memory bound the fp32 sweep keeps (~1 GB at 1.1B, ~5 GB at 8B), and its
 * dense point needs no dense graph on disk.
 */
import type { TokenWindows } from '../../data/windows.js';
import type { PrecisionMeasurement } from '../../eval/build-report.js';
import type { PointMeasurement } from '../../eval/pareto.js';
import type { EvalModel, LatencySettings } from '../../eval/eval-model.js';
import { runSweep } from '../../eval/sweep.js';
import type { LayerEvalModel } from '../../eval/layer-sweep.js';
import { storageDtype } from '../../graph/precision/storage-dtype.js';
import type { Precision } from '../../ir/precision.js';
import type { Stage } from '../shared/progress.js';
import type { PrecisionGraphs } from './output-manifest.js';

export async function measurePrecisions(a: {
  /** The fp32 model; each precision swaps in its own learned and dense graphs. */
  readonly model: EvalModel;
  readonly precisions: readonly PrecisionGraphs[];
  readonly windows: TokenWindows;
  readonly batch: number;
  readonly thresholds: readonly number[];
  readonly latency: LatencySettings | null;
  readonly stage?: Stage | undefined;
  /** Convert's fp32 model for the layer-by-layer sweep; absent: the whole graphs (`moefy eval`, `moefy check`). */
  readonly layered?: LayerEvalModel | undefined;
  /** Runs `measure`, or returns what it gave for the same graph bytes and settings (app/eval/cache.ts). */
  readonly cached: (
    p: PrecisionGraphs,
    measure: () => Promise<PointMeasurement[]>,
  ) => Promise<PointMeasurement[]>;
}): Promise<PrecisionMeasurement[]> {
  const out: PrecisionMeasurement[] = [];
  for (const p of a.precisions) {
    const { model } = a;
    const points = await a.cached(p, () =>
      runSweep({
        windows: a.windows,
        batch: a.batch,
        thresholds: a.thresholds,
        latency: a.latency,
        model: {
          ...model,
          graphs: { ...model.graphs, learned: p.learned, dense: p.dense ?? model.graphs.dense },
        },
        kinds: p.dense || a.layered ? ['dense', 'learned'] : ['learned'],
        ...(a.layered && { layered: inPrecision(a.layered, p.dtype) }),
        onPoint: (q) => a.stage?.note(`${p.dtype} ${q.index + 1}/${q.total} ${q.label}`),
      }),
    );
    out.push({ dtype: p.dtype, points });
  }
  return out;
}

/** The fp32 layered model as the emitted graphs of `precision` hold it. */
function inPrecision(layered: LayerEvalModel, precision: Precision): LayerEvalModel {
  return { ...layered, precision, dtype: storageDtype(precision, layered.dtype ?? 'float32') };
}
