/**
 * Calibration stage: run the dense graph over the recipe's calibration text and keep, per layer, a seeded sample of
 * FFN input rows x (router features and target probes), the mean |h| of every FFN neuron (activation ordering) and,
 * for co-activation grouping, a smaller sample of activation rows h. Memory is bounded by the sample sizes, not
 * by the text: windows stream from the file and batches are folded into reservoirs as they come.
 */
import { join } from 'node:path';
import { writeSafetensors, type TensorToWrite } from '../../checkpoint/safetensors-write.js';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import { streamWindows } from '../../data/windows.js';
import { RowReservoir } from '../../data/reservoir.js';
import { loadTokenizer } from '../../data/tokenizer.js';
import { ActivationStats } from '../../experts/activation-stats.js';
import { writeDecoder } from '../../graph/write-decoder.js';
import type { ModelIR } from '../../ir/model.js';
import type { Recipe } from '../../recipe/types.js';
import { tokenFeeds } from '../../runtime/decoder-feeds.js';
import { createSession, releaseSession, run, type Session } from '../../runtime/session.js';
import { readFloat32 } from '../../runtime/tensors.js';
import { InputError } from '../../util/errors.js';
import type { Stage } from '../progress.js';

export const CALIBRATION_FILE = 'calibration.safetensors';
/** Activation rows kept for co-activation grouping: enough for stable patterns, small beside x samples. */
const GROUPING_ROWS = 2048;
/** Tokens per ORT run: big enough to amortize the call, small enough for the debug outputs of all layers. */
const TOKENS_PER_RUN = 4096;

export interface CalibrationInput {
  readonly ir: ModelIR;
  readonly tokenizerDir: string;
  readonly recipe: Recipe;
  readonly stage: Stage;
}

export interface LayerCalibration {
  readonly rows: number;
  /** [rows, hidden] sampled FFN inputs (after the FFN norm). */
  readonly x: Float32Array;
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
  const session = await createSession(graph.modelPath, { device: 'cpu' });
  try {
    await feedWindows({ ...input, session, acc });
  } finally {
    await releaseSession(session);
  }
  const tensors: Record<string, TensorToWrite> = {};
  acc.forEach((a, i) => {
    const x = a.x.rows();
    tensors[`layers.${i}.x`] = { dtype: 'F32', shape: [x.rows, ir.config.hidden], data: x.data };
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
    x: new RowReservoir(recipe.calibration.rows_per_layer, hidden, seed),
    stats: new ActivationStats(ffnDim),
    ...(recipe.experts.grouping === 'coactivation'
      ? { h: new RowReservoir(GROUPING_ROWS, ffnDim, seed + 104729) }
      : {}),
  };
}

async function feedWindows(
  s: CalibrationInput & { session: Session; acc: LayerAccumulators[] },
): Promise<void> {
  const { seq_len: seqLen, tokens, text } = s.recipe.calibration;
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
  for await (const window of streamWindows({ file: text, tokenizer, seqLen, maxTokens: tokens })) {
    batch.push(Array.from(window));
    if (batch.length === perRun) await flush();
  }
  await flush();
  bar.done();
  if (s.acc[0]?.stats.count === 0) {
    throw new InputError(`${text}: calibration text is shorter than one window of ${seqLen} tokens`);
  }
}

async function runBatch(s: { session: Session; acc: LayerAccumulators[] }, ids: number[][]): Promise<void> {
  const out = await run(s.session, tokenFeeds({ ids }));
  const rows = ids.length * (ids[0]?.length ?? 0);
  s.acc.forEach((a, i) => {
    const x = out[`mlp_input.${i}`];
    const h = out[`mlp_act.${i}`];
    if (!x || !h) throw new InputError(`calibration graph lacks mlp_input.${i} / mlp_act.${i} outputs`);
    a.x.add(readFloat32(x), rows);
    const hv = readFloat32(h);
    a.stats.add(hv, rows);
    a.h?.add(hv, rows);
  });
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
      meanAbs: await file.readFloat32(`layers.${i}.mean_abs`),
      ...(hInfo ? { h: { rows: hInfo.shape[0] ?? 0, data: await file.readFloat32(`layers.${i}.h`) } } : {}),
    });
  }
  return out;
}
