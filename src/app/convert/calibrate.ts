/**
 * Calibration stage: run the dense graph over the recipe's calibration text and keep, per layer, a seeded sample of
 * FFN input rows x (router features and target probes) with the norm of the layer's output r + y at the same token
 * (the `residual` error base), the mean |h| of every FFN neuron (activation ordering) and,
 * for co-activation grouping, a smaller sample of activation rows h. Memory is bounded by the sample sizes, not
 * by the text: windows stream from the file and batches are folded into reservoirs as they come.
 */
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../../checkpoint/safetensors-write.js';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import { streamTextWindows } from '../../data/windows.js';
import { RowReservoir } from '../../data/reservoir.js';
import { loadTokenizer } from '../../data/tokenizer.js';
import { ActivationStats } from '../../experts/activation-stats.js';
import { DEBUG } from '../../graph/names.js';
import { writeDecoder } from '../../graph/write-decoder.js';
import type { ModelIR } from '../../ir/model.js';
import type { Recipe } from '../../recipe/types.js';
import type { Device } from '../../runtime/device.js';
import { tokenFeeds } from '../../runtime/decoder-feeds.js';
import { createSession, releaseSession, run, type Session } from '../../runtime/session.js';
import { readFloat32 } from '../../runtime/tensors.js';
import { InputError, InternalError } from '../../util/errors.js';
import { downloadProgress } from '../shared/download-progress.js';
import type { Stage } from '../shared/progress.js';
import { cachedStage } from '../shared/stage-cache.js';
import type { TextSource } from '../shared/text-source.js';
import type { StageContext } from './context.js';

export const CALIBRATION_FILE = 'calibration.safetensors';
/** Activation rows kept for co-activation grouping: enough for stable patterns, small beside x samples. */
const GROUPING_ROWS = 2048;
/** Tokens per ORT run: big enough to amortize the call, small enough for the debug outputs of all layers. */
const TOKENS_PER_RUN = 4096;

export interface CalibrationInput {
  readonly ir: ModelIR;
  readonly tokenizerDir: string;
  readonly recipe: Recipe;
  /** The calibration text, opened by the resolve stage. */
  readonly text: TextSource;
  readonly device: Device;
  readonly stage: Stage;
}

export interface Calibration {
  /** The stage's cache key inputs: the targets stage's key includes them. */
  readonly key: unknown;
  readonly rows: LayerCalibration[];
}

/** The cached calibration stage: keyed by the checkpoint's bytes, the text's, and the settings that shape rows. */
export async function calibrationStage(ctx: StageContext): Promise<Calibration> {
  const { plan, model } = ctx;
  const { recipe } = plan;
  const key = {
    source: model.identity,
    text: ctx.data.calibration.identity,
    // The dataset spec's resolved content is in `text`; its local path must not make the key path-dependent.
    calibration: { ...recipe.calibration, text: undefined, dataset: undefined },
    seed: recipe.seed,
    grouping: recipe.experts.grouping,
  };
  const stage = ctx.progress.stage('calibrate', `${recipe.calibration.tokens} tokens`);
  const cal = await cachedStage({
    root: ctx.root,
    stage: 'calibrate',
    inputs: key,
    produce: (dir) =>
      calibrate(
        {
          ir: model.ir,
          tokenizerDir: model.checkpoint.dir,
          recipe,
          text: ctx.data.calibration,
          device: plan.stages.calibrate.device,
          stage,
        },
        dir,
      ),
  });
  stage.succeed(cal.cached ? 'from cache' : undefined);
  return { key, rows: await readCalibration(cal.dir, model.ir.config.numLayers) };
}

export interface LayerCalibration {
  readonly rows: number;
  /** [rows, hidden] sampled FFN inputs (after the FFN norm). */
  readonly x: Float32Array;
  /** [rows] ‖r + y‖: the norm of the layer's output at each sampled token. */
  readonly outputNorms: Float32Array;
  /** [ffnDim] E|h_i| over every calibration token. */
  readonly meanAbs: Float32Array;
  /** [groupRows, ffnDim] sampled activations, present when grouping needs them. */
  readonly h?: { rows: number; data: Float32Array };
}

interface LayerAccumulators {
  x: RowReservoir;
  stats: ActivationStats;
  h?: RowReservoir;
}

/** Runs calibration and writes `calibration.safetensors` into `dir` (a stage-cache dir). */
export async function calibrate(input: CalibrationInput, dir: string): Promise<void> {
  const { ir, recipe } = input;
  const graph = await writeDecoder(ir, {
    dir,
    fileName: 'calibration.onnx',
    debugOutputs: true,
    activationOutputs: true,
  });
  const acc = ir.layers.map((_, i) => newAccumulators(ir, recipe, i));
  const session = await createSession(graph.modelPath, { device: input.device });
  try {
    await feedWindows({ ...input, session, acc });
  } finally {
    await releaseSession(session);
  }
  const tensors: Record<string, TensorToWrite> = {};
  acc.forEach((a, i) => {
    const { x, norms } = splitRows(a.x.rows(), ir.config.hidden);
    tensors[`layers.${i}.x`] = { dtype: 'F32', shape: [norms.length, ir.config.hidden], data: x };
    tensors[`layers.${i}.output_norm`] = { dtype: 'F32', shape: [norms.length], data: norms };
    tensors[`layers.${i}.mean_abs`] = {
      dtype: 'F32',
      shape: [ir.config.ffnDim],
      data: Float32Array.from(a.stats.meanAbs()),
    };
    const h = a.h?.rows();
    if (h) tensors[`layers.${i}.h`] = { dtype: 'F32', shape: [h.rows, ir.config.ffnDim], data: h.data };
  });
  await writeSafetensors(join(dir, CALIBRATION_FILE), tensors, { tokens: String(acc[0]?.stats.count ?? 0) });
}

function newAccumulators(ir: ModelIR, recipe: Recipe, layer: number): LayerAccumulators {
  const { hidden, ffnDim } = ir.config;
  const seed = recipe.seed * 7919 + layer;
  return {
    // Each kept row is x followed by ‖r + y‖, so both are sampled together.
    x: new RowReservoir(recipe.calibration.rows_per_layer, hidden + 1, seed),
    stats: new ActivationStats(ffnDim),
    ...(recipe.experts.grouping === 'coactivation'
      ? { h: new RowReservoir(GROUPING_ROWS, ffnDim, seed + 104729) }
      : {}),
  };
}

async function feedWindows(
  s: CalibrationInput & { session: Session; acc: LayerAccumulators[] },
): Promise<void> {
  const { seq_len: seqLen, tokens } = s.recipe.calibration;
  const tokenizer = loadTokenizer(s.tokenizerDir);
  const perRun = Math.max(1, Math.floor(TOKENS_PER_RUN / seqLen));
  const bar = s.stage.bar('tokens', Math.floor(tokens / seqLen) * seqLen);
  let batch: number[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await runBatch(s, batch);
    bar.tick(batch.length * seqLen);
    batch = [];
  };
  for await (const window of streamTextWindows({
    chunks: s.text.chunks(downloadProgress(s.stage)),
    tokenizer,
    seqLen,
    maxTokens: tokens,
  })) {
    batch.push(Array.from(window));
    if (batch.length === perRun) await flush();
  }
  await flush();
  bar.done();
  if (s.acc[0]?.stats.count === 0) {
    throw new InputError(`${s.text.label}: calibration text is shorter than one window of ${seqLen} tokens`);
  }
}

async function runBatch(s: { session: Session; acc: LayerAccumulators[] }, ids: number[][]): Promise<void> {
  const out = await run(s.session, tokenFeeds({ ids }));
  const rows = ids.length * (ids[0]?.length ?? 0);
  s.acc.forEach((a, i) => {
    const x = out[DEBUG.mlpInput(i)];
    const h = out[DEBUG.mlpAct(i)];
    const layerOut = out[DEBUG.layerOutput(i)];
    if (!x || !h || !layerOut) throw new InternalError(`calibration graph lacks layer ${i} debug outputs`);
    a.x.add(withNorms(readFloat32(x), readFloat32(layerOut), rows), rows);
    const hv = readFloat32(h);
    a.stats.add(hv, rows);
    a.h?.add(hv, rows);
  });
}

/** [rows, d] x and [rows, d] layer outputs → [rows, d + 1] rows of x then ‖layer output‖. */
function withNorms(x: Float32Array, layerOut: Float32Array, rows: number): Float32Array {
  const d = x.length / rows;
  const out = new Float32Array(rows * (d + 1));
  for (let r = 0; r < rows; r++) {
    out.set(x.subarray(r * d, (r + 1) * d), r * (d + 1));
    let s = 0;
    for (let i = r * d; i < (r + 1) * d; i++) s += layerOut[i]! ** 2;
    out[r * (d + 1) + d] = Math.sqrt(s);
  }
  return out;
}

function splitRows(
  kept: { rows: number; data: Float32Array },
  d: number,
): { x: Float32Array; norms: Float32Array } {
  const x = new Float32Array(kept.rows * d);
  const norms = new Float32Array(kept.rows);
  for (let r = 0; r < kept.rows; r++) {
    x.set(kept.data.subarray(r * (d + 1), r * (d + 1) + d), r * d);
    norms[r] = kept.data[r * (d + 1) + d]!;
  }
  return { x, norms };
}

/** Reads a finished calibration stage back. */
export async function readCalibration(dir: string, layers: number): Promise<LayerCalibration[]> {
  const file = await openSafetensors(join(dir, CALIBRATION_FILE));
  const out: LayerCalibration[] = [];
  for (let i = 0; i < layers; i++) {
    const xInfo = file.tensors.get(`layers.${i}.x`);
    const hInfo = file.tensors.get(`layers.${i}.h`);
    out.push({
      rows: xInfo?.shape[0] ?? 0,
      x: await file.readFloat32(`layers.${i}.x`),
      outputNorms: await file.readFloat32(`layers.${i}.output_norm`),
      meanAbs: await file.readFloat32(`layers.${i}.mean_abs`),
      ...(hInfo ? { h: { rows: hInfo.shape[0] ?? 0, data: await file.readFloat32(`layers.${i}.h`) } } : {}),
    });
  }
  return out;
}
