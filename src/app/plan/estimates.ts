/**
 * Memory, disk and time estimates for a plan. Rough by design: they tell a user whether a conversion fits their
 * machine and roughly how long it takes, and every assumption is named here and printed in `time.basis`.
 */
import { layerParams, tokenMacs } from '../../ir/flops.js';
import type { Recipe } from '../../recipe/types.js';
import type { PlanDisk, PlanMemory, PlanModel, PlanTime } from './types.js';
import { latencyPromptTokens } from '../../eval/latency-prompt.js';

const FLOAT32 = 4;
/** ORT, Node and moefy's own code before any weight is loaded (DESIGN.md §4 budgets it at 300 MB). */
const RUNTIME_BASELINE_BYTES = 300e6;
/** Effective CPU throughput of ORT on small matrices, 2 threads (DESIGN.md §4 measured ~90 GFLOP/s on 2048×5632). */
const CPU_FLOPS_PER_S = 20e9;
/** Sequential read + write of weight files. */
const DISK_BYTES_PER_S = 200e6;
/** Fixed cost of one train-step session run (feeds, fetches, optimizer state) independent of batch size. */
const TRAIN_STEP_OVERHEAD_S = 2e-3;

const EMIT_BYTES: Record<Exclude<Recipe['dtype'], 'auto'>, number> = { float32: 4, float16: 2, bfloat16: 2 };

/** Bytes per emitted weight; `auto` keeps the declared source precision (config.json's torch_dtype). */
function emitBytes(dtype: Recipe['dtype'], sourceDtype: string): number {
  if (dtype !== 'auto') return EMIT_BYTES[dtype];
  return sourceDtype === 'bfloat16' || sourceDtype === 'float16' ? 2 : 4;
}

interface Estimate {
  readonly recipe: Recipe;
  readonly model: PlanModel;
}

export function estimateMemory({ recipe, model, experts }: Estimate & { experts: number }): PlanMemory {
  const layersBytes = 3 * layerParams(model, model.ffnKind) * FLOAT32;
  // Per row: FFN input x and dense output y (d each), activations h (n), targets (K − 1).
  const row = 2 * model.hidden + model.ffnDim + (experts - 1);
  const calibrationBytes = recipe.calibration.rows_per_layer * row * FLOAT32;
  const logits = recipe.eval.batch * recipe.eval.seq_len * model.vocabSize * FLOAT32;
  const evalBytes = 2 * model.params * FLOAT32 + logits;
  const peakBytes = Math.max(layersBytes + calibrationBytes, evalBytes) + RUNTIME_BASELINE_BYTES;
  return { layersBytes, calibrationBytes, evalBytes, peakBytes };
}

export function estimateDisk({ recipe, model, routerParams }: Estimate & { routerParams: number }): PlanDisk {
  // The fixed-threshold graph shares model.onnx.data, so it adds only its (small) protobuf.
  const moeGraphBytes = model.params * emitBytes(recipe.dtype, model.sourceDtype) + routerParams * FLOAT32;
  const denseGraphBytes = recipe.output.dense ? model.params * emitBytes(recipe.dtype, model.sourceDtype) : 0;
  const routersBytes = routerParams * FLOAT32;
  return {
    moeGraphBytes,
    denseGraphBytes,
    routersBytes,
    totalBytes: moeGraphBytes + denseGraphBytes + routersBytes,
  };
}

interface TimeEstimate extends Estimate {
  /** One layer's router MACs per row. */
  readonly routerMacs: number;
  readonly experts: number;
}

export function estimateTime({ recipe, model, routerMacs, experts }: TimeEstimate): PlanTime {
  const flops = (tokens: number, seqLen: number) =>
    2 *
    tokens *
    tokenMacs({ config: model, ffnKind: model.ffnKind, context: (seqLen + 1) / 2, neurons: model.ffnDim });
  const sourceBytes = model.params * (model.sourceDtype === 'float32' ? 4 : 2);
  const ioSeconds =
    (sourceBytes + estimateDisk({ recipe, model, routerParams: 0 }).totalBytes) / DISK_BYTES_PER_S;
  const calibrationSeconds = flops(recipe.calibration.tokens, recipe.calibration.seq_len) / CPU_FLOPS_PER_S;
  const { steps, batch } = recipe.router.train;
  // Forward + backward ≈ 3 forwards per row, every layer's router trained for `steps` steps.
  const trainFlops = model.numLayers * steps * batch * 3 * 2 * routerMacs;
  const trainSeconds = trainFlops / CPU_FLOPS_PER_S + model.numLayers * steps * TRAIN_STEP_OVERHEAD_S;
  const thresholds = recipe.eval.thresholds.length;
  // dense + learned and oracle at every threshold + one static slice per expert.
  const passes = 1 + 2 * thresholds + experts;
  const { repeats, decode_tokens } = recipe.eval.latency;
  const seq = latencyPromptTokens(recipe.eval.latency, model.maxPositions);
  const latencyTokens = (thresholds + experts + 1) * repeats * (seq + decode_tokens);
  const evalSeconds =
    (passes * flops(recipe.eval.tokens, recipe.eval.seq_len) + flops(latencyTokens, seq)) / CPU_FLOPS_PER_S;
  const basis =
    `CPU at ${CPU_FLOPS_PER_S / 1e9} GFLOP/s effective, disk at ${DISK_BYTES_PER_S / 1e6} MB/s, ` +
    `${TRAIN_STEP_OVERHEAD_S * 1e3} ms per router train step; evaluation prices ${passes} passes over ` +
    `eval.tokens at dense cost (an upper bound) plus the latency runs`;
  const totalSeconds = ioSeconds + calibrationSeconds + trainSeconds + evalSeconds;
  return { ioSeconds, calibrationSeconds, trainSeconds, evalSeconds, totalSeconds, basis };
}
