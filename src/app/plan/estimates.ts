/**
 * Memory, disk and time estimates for a plan. Rough by design: they tell a user whether a conversion fits their
 * machine and roughly how long it takes, and every assumption is named here and printed in `time.basis`.
 */
import { layerParams, tokenMacs } from '../../ir/flops.js';
import { vocabChunkRows } from '../../eval/head-scores.js';
import { MAX_RUN_FLOPS } from '../../pipeline/run-size.js';
import type { Recipe } from '../../recipe/types.js';
import { precisionGraphBytes, precisionPasses } from './precisions.js';
import type { PlanDisk, PlanMemory, PlanModel, PlanTime } from './types.js';
import { latencyPromptTokens } from '../../eval/latency-prompt.js';
import type { MachineRate } from './machine-rate.js';
import { gflops as g, ratesFor, type Rates } from './rates.js';
import { SOLVE_TILE } from '../../experts/lower-tiles.js';
import { GRAM_BLOCK } from '../../experts/normal-equations.js';

const FLOAT32 = 4;
/** ORT, Node and moefy's own code before any weight is loaded (DESIGN.md §4 budgets it at 300 MB). */
const RUNTIME_BASELINE_BYTES = 300e6;
/** Sequential read + write of weight files. */
const DISK_BYTES_PER_S = 200e6;

const EMIT_BYTES: Record<Exclude<Recipe['dtype'], 'auto'>, number> = { float32: 4, float16: 2, bfloat16: 2 };

/** Whether the emitted weights are bfloat16 (`auto` keeps a bf16 checkpoint's): CPU parts feed them widened. */
function emitsBf16(recipe: Recipe, model: PlanModel): boolean {
  return recipe.dtype === 'bfloat16' || (recipe.dtype === 'auto' && model.sourceDtype === 'bfloat16');
}

/** Bytes per emitted weight; `auto` keeps the declared source precision (config.json's torch_dtype). */
function emitBytes(dtype: Recipe['dtype'], sourceDtype: string): number {
  if (dtype !== 'auto') return EMIT_BYTES[dtype];
  return sourceDtype === 'bfloat16' || sourceDtype === 'float16' ? 2 : 4;
}

interface Estimate {
  readonly recipe: Recipe;
  readonly model: PlanModel;
}

/** Hidden-state bytes of the eval points carried together (eval/layer-sweep.ts GROUP_BYTES). */
const EVAL_GROUP_BYTES = 256 * 2 ** 20;
/**
 * RSS per float32 byte of a head chunk while its part is built and run: the rows read (bf16 or float32), widened,
 * transposed for the MatMul, and packed by ORT per run. Measured at Llama-3-8B's shape (16384 rows × 4096, 256 MiB):
 * the head part alone peaked at 906 MB RSS, the embedding part (no head) at 157 MB: 749 MB ≈ 2.9 chunks.
 */
const HEAD_COPIES = 3;
/** Calibration tokens per ORT run (app/convert/calibrate.ts): one batch of a layer's outputs is in flight. */
const CALIBRATION_TOKENS_PER_RUN = 4096;

/**
 * The layer-sequential run (DESIGN.md §3): one part graph resident at a time plus the next one being built, the
 * hidden states of the tokens in flight (every eval point carries its own, capped by `memory.max_gb` where set:
 * beyond it they spill to disk), one batch of a layer's outputs or of logits, and the calibration rows of every
 * layer, which the targets and router stages read back. The latency timings open the four whole graphs at once.
 */
const FLOAT64 = 8;

interface Adapted {
  /** Extra parameters of the adapted experts, whole model (0 for `experts.adapt: none`). */
  readonly adaptedParams: number;
  /** The size n_k + 1 of each adapted expert's ridge system (k < K; empty for `experts.adapt: none`). */
  readonly adaptSystems: readonly number[];
}

/**
 * One layer's adaptation inside the calibration pass (app/convert/adapt-layer.ts), the larger of its two phases.
 * Summing and gathering: the float64 sums (experts/normal-equations.ts: the lower triangle of [h 1]ᵀ[h 1] by
 * blocks of GRAM_BLOCK rows, m(m + block)/2, and [h 1]ᵀy, m·d, m = ffn + 1), one Gram run's float32 block, then the
 * largest system gathered beside them (experts/lower-tiles.ts: A's lower tiles p(p + tile)/2 and the right-hand
 * sides p·d, float64). Solving, the sums dropped (experts/nested-cholesky.ts, in place): the system, a diagonal
 * tile's inverse and two GEMM outputs of a tile row, one smaller expert's copy of its rows of Z, and the float32
 * weights of every expert.
 * @internal exported for bench/adapt-layer.ts, which prints it beside the measured peak
 */
export function adaptLayerBytes(
  model: Pick<PlanModel, 'ffnDim' | 'hidden'>,
  systems: readonly number[],
): number {
  if (systems.length === 0) return 0;
  const d = model.hidden;
  const m = model.ffnDim + 1;
  const p = Math.max(...systems);
  const [block, tile] = [Math.min(GRAM_BLOCK, m), Math.min(SOLVE_TILE, p)];
  const sums = ((m * (m + block)) / 2 + m * d) * FLOAT64;
  const gramRun = block * (m + d) * FLOAT32;
  const system = ((p * (p + tile)) / 2 + p * d) * FLOAT64;
  const copy = systems.length > 1 ? [...systems].sort((a, b) => a - b).at(-2)! : 0;
  const weights = systems.reduce((s, q) => s + q * d, 0) * FLOAT32;
  const solve = system + (tile * tile + 2 * tile * d + copy * d) * FLOAT64 + weights;
  return Math.max(sums + Math.max(gramRun, system), solve);
}

/**
 * The adaptation's work in the calibration pass: the Gram products over every token (the lower triangle by
 * blocks, and [h 1]ᵀy), then the tiled solves (experts/nested-cholesky.ts), in flops: the factor of the largest
 * system p³/3, its panels through each diagonal tile's inverse p²·tile, one forward substitution p²d and a back
 * substitution p_k²d per expert.
 */
function adaptSeconds(recipe: Recipe, model: PlanModel, systems: readonly number[], rates: Rates): number {
  if (systems.length === 0) return 0;
  const m = model.ffnDim + 1;
  const tokens =
    Math.floor(recipe.calibration.tokens / recipe.calibration.seq_len) * recipe.calibration.seq_len;
  const gram = 2 * tokens * ((m * (m + Math.min(GRAM_BLOCK, m))) / 2 + m * model.hidden);
  const top = Math.max(...systems);
  const solve =
    top ** 3 / 3 +
    top * top * Math.min(SOLVE_TILE, top) +
    top * top * model.hidden +
    systems.reduce((s, p) => s + p * p * model.hidden, 0);
  return model.numLayers * (gram / rates.calibration + solve / rates.f64);
}

export function estimateMemory({
  recipe,
  model,
  experts,
  adaptedParams,
  adaptSystems,
}: Estimate & Adapted & { experts: number }): PlanMemory {
  const layersBytes = 2 * layerParams(model, model.ffnKind) * FLOAT32;
  // The head runs in vocabulary chunks (eval/head-scores.ts): one chunk's rows, and a tied q8 head whole.
  const tiedQ8 = model.tiedEmbeddings && recipe.output.dtypes.includes('q8');
  const headRows = tiedQ8 ? model.vocabSize : vocabChunkRows(model);
  const headBytes = HEAD_COPIES * headRows * model.hidden * FLOAT32;
  // The embedding part holds the rows of the ids in use (pipeline/vocab-rows.ts): at most one per token.
  const embedRows = Math.min(model.vocabSize, Math.max(recipe.calibration.tokens, recipe.eval.tokens));
  const embedBytes = embedRows * model.hidden * FLOAT32;
  const cap = recipe.memory.max_gb === null ? Infinity : recipe.memory.max_gb * 2 ** 30;
  const tokensOf = (s: { tokens: number; seq_len: number }) => Math.floor(s.tokens / s.seq_len) * s.seq_len;
  const calHidden = Math.min(cap, tokensOf(recipe.calibration) * model.hidden * FLOAT32);
  // Windows per ORT run, capped as the runner caps them (MAX_RUN_FLOPS per layer run).
  const perRun = (seqLen: number, upTo: number) =>
    Math.max(1, Math.min(upTo, Math.floor(MAX_RUN_FLOPS / (2 * layerParams(model, model.ffnKind)) / seqLen)));
  const calSeq = recipe.calibration.seq_len;
  const calRun = perRun(calSeq, Math.max(1, Math.floor(CALIBRATION_TOKENS_PER_RUN / calSeq))) * calSeq;
  const calBatch = calRun * (3 * model.hidden + model.ffnDim) * FLOAT32;
  const points = 1 + experts + 2 * recipe.eval.thresholds.length;
  // Points run in groups of at most 256 MiB of hidden states (eval/layer-sweep.ts), beside the embedded copy.
  const pointBytes = tokensOf(recipe.eval) * model.hidden * FLOAT32;
  const group = Math.max(1, Math.min(points, Math.floor(Math.min(EVAL_GROUP_BYTES, cap) / pointBytes)));
  const evalHidden = Math.min(cap, (group + 1) * pointBytes);
  const logits = perRun(recipe.eval.seq_len, recipe.eval.batch) * recipe.eval.seq_len * headRows * FLOAT32;
  const hiddenBytes = Math.max(calHidden + calBatch, evalHidden + logits);
  // Per kept row, every layer: x and ‖r + y‖, then the targets' errors and log-errors; and one layer's adapted
  // experts, which the targets, emit and eval stages read back as they process that layer (app/convert/adapt.ts).
  const calibrationBytes =
    model.numLayers * recipe.calibration.rows_per_layer * (model.hidden + 1 + 2 * experts) * FLOAT32 +
    (adaptedParams / model.numLayers) * FLOAT32;
  // The timings open the whole graphs; without dense.onnx (output.dense: false) they are skipped (app/eval/eval.ts).
  const timed = recipe.eval.latency.enabled && recipe.output.dense;
  const evalBytes = timed ? (4 * model.params + adaptedParams) * FLOAT32 : 0;
  // [h 1]ᵀ[h 1] and [h 1]ᵀy of the layer being calibrated, and its solves: one layer at a time.
  const adaptBytes = adaptLayerBytes(model, adaptSystems);
  // The embedding and head parts priced beside two layers' weights: a released layer's buffers go at the next GC.
  const layered =
    layersBytes +
    Math.max(calHidden + calBatch + adaptBytes, Math.max(embedBytes, headBytes) + evalHidden + logits);
  const peakBytes = Math.max(layered, evalBytes) + calibrationBytes + RUNTIME_BASELINE_BYTES;
  return {
    layersBytes,
    headBytes,
    embedBytes,
    hiddenBytes,
    calibrationBytes,
    adaptBytes,
    evalBytes,
    peakBytes,
  };
}

export function estimateDisk({
  recipe,
  model,
  routerParams,
  adaptedParams,
}: Estimate & Pick<Adapted, 'adaptedParams'> & { routerParams: number }): PlanDisk {
  // The fixed-threshold graph shares model.onnx.data, so it adds only its (small) protobuf.
  const adaptedBytes = adaptedParams * emitBytes(recipe.dtype, model.sourceDtype);
  const moeGraphBytes =
    model.params * emitBytes(recipe.dtype, model.sourceDtype) + adaptedBytes + routerParams * FLOAT32;
  const denseGraphBytes = recipe.output.dense ? model.params * emitBytes(recipe.dtype, model.sourceDtype) : 0;
  const routersBytes = routerParams * FLOAT32;
  const precisions = precisionGraphBytes(recipe, model, adaptedParams);
  return {
    moeGraphBytes,
    adaptedBytes,
    denseGraphBytes,
    routersBytes,
    precisionGraphBytes: precisions,
    totalBytes: moeGraphBytes + denseGraphBytes + routersBytes + precisions,
  };
}

interface TimeEstimate extends Estimate, Pick<Adapted, 'adaptSystems'> {
  /** One layer's router MACs per row. */
  readonly routerMacs: number;
  readonly experts: number;
  /** This machine's measured ORT rate; absent: the reference box's. */
  readonly machineRate?: MachineRate | undefined;
}

export function estimateTime({
  recipe,
  model,
  routerMacs,
  experts,
  adaptSystems,
  machineRate,
}: TimeEstimate): PlanTime {
  const rates = ratesFor(machineRate);
  const flops = (tokens: number, seqLen: number) =>
    2 *
    tokens *
    tokenMacs({ config: model, ffnKind: model.ffnKind, context: (seqLen + 1) / 2, neurons: model.ffnDim });
  const sourceBytes = model.params * (model.sourceDtype === 'float32' ? 4 : 2);
  const ioSeconds =
    (sourceBytes + estimateDisk({ recipe, model, routerParams: 0, adaptedParams: 0 }).totalBytes) /
    DISK_BYTES_PER_S;
  // Layer-sequential stages build their part graphs from the checkpoint: per layer, read the stored weights.
  // On CPU the float32/bf16 weights are then fed as graph inputs (pipeline/part-session.ts: nothing written);
  // CUDA, float16 and the quantized precisions write each part's weights as initializers.
  const layerWeights = layerParams(model, model.ffnKind);
  const sourceLayer = layerWeights * (model.sourceDtype === 'float32' ? 4 : 2);
  const emitted = emitBytes(recipe.dtype, model.sourceDtype);
  const fed = (bytesPer: number) =>
    recipe.device === 'cpu' && (bytesPer === FLOAT32 || emitsBf16(recipe, model));
  const partSeconds = (graphs: number, bytesPer: number) =>
    (model.numLayers * graphs * (sourceLayer + (fed(bytesPer) ? 0 : layerWeights * bytesPer))) /
    DISK_BYTES_PER_S;
  const calibrationSeconds =
    flops(recipe.calibration.tokens, recipe.calibration.seq_len) / rates.calibration +
    partSeconds(1, FLOAT32) +
    adaptSeconds(recipe, model, adaptSystems, rates);
  const ffnWeights = (model.ffnKind === 'gated' ? 3 : 2) * model.hidden * model.ffnDim;
  const targetsSeconds = (model.numLayers * ffnWeights) / rates.probeWeights;
  const { steps, batch } = recipe.router.train;
  // Forward + backward ≈ 3 forwards per row, every layer's router trained for `steps` steps.
  const trainFlops = model.numLayers * steps * batch * 3 * 2 * routerMacs;
  // Ridge: XᵀX over the training rows, then a dense solve, per layer, in float64 JavaScript.
  const d = model.hidden + 1;
  const ridgeFlops = model.numLayers * (2 * recipe.calibration.rows_per_layer * d * d + d * d * d);
  // Per-layer budgets: every greedy round measures 2·layers + 1 scale vectors over the tuning tokens (dense cost).
  const budgets = recipe.router.layer_budgets;
  const budgetFlops =
    budgets.method === 'none'
      ? 0
      : budgets.rounds *
        (2 * model.numLayers + 1) *
        flops(recipe.calibration.tuning_tokens, recipe.calibration.seq_len);
  const trainSeconds =
    trainFlops / rates.eval +
    model.numLayers * steps * rates.stepOverhead +
    ridgeFlops / rates.js +
    budgetFlops / rates.eval;
  const thresholds = recipe.eval.thresholds.length;
  // dense + learned and oracle at every threshold + one static slice per expert, + the other precisions'.
  const passes = 1 + 2 * thresholds + experts + precisionPasses(recipe);
  const { repeats, decode_tokens } = recipe.eval.latency;
  const seq = latencyPromptTokens(recipe.eval.latency, model.maxPositions);
  const latencyTokens = recipe.eval.latency.enabled
    ? (thresholds + experts + 1 + precisionPasses(recipe)) * repeats * (seq + decode_tokens)
    : 0;
  const evalSeconds =
    (passes * flops(recipe.eval.tokens, recipe.eval.seq_len) + flops(latencyTokens, seq)) / rates.eval +
    partSeconds(4, emitted) +
    // The other precisions' parts (dense and MoE, layer by layer) are written once each.
    precisionGraphBytes(recipe, model, 0) / DISK_BYTES_PER_S;
  const basis =
    `${rates.source}: calibration at ${g(rates.calibration)} GFLOP/s effective, evaluation and router training at ${g(rates.eval)}, ` +
    `disk at ${DISK_BYTES_PER_S / 1e6} MB/s, ${(rates.stepOverhead * 1e3).toFixed(1)} ms per router train step, ridge fit in JavaScript at ${g(rates.js)} GFLOP/s, ` +
    `adaptation solves on ORT float64 at ${g(rates.f64)} GFLOP/s, targets' probe graphs at ${(rates.probeWeights / 1e6).toFixed(1)} M FFN weights/s; evaluation prices ${passes} passes over ` +
    `eval.tokens at dense cost (an upper bound) plus the latency runs; part graphs on CPU fed their float32/bf16 weights (read, not written), other precisions written per layer`;
  const totalSeconds = ioSeconds + calibrationSeconds + targetsSeconds + trainSeconds + evalSeconds;
  return {
    ioSeconds,
    calibrationSeconds,
    targetsSeconds,
    trainSeconds,
    evalSeconds,
    totalSeconds,
    basis,
    measuredFlopsPerSecond: machineRate?.flopsPerSecond ?? null,
  };
}
