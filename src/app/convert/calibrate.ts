/**
 * Calibration stage: run the dense model over the recipe's calibration text, layer by layer (src/pipeline: one
 * layer's graph resident at a time), and keep, per layer, a seeded sample of FFN input rows x (router features and
 * target probes) with the norm of the layer's output r + y at the same token (the `residual` error base), the mean
 * |h| of every FFN neuron (activation ordering) and, for co-activation grouping, a smaller sample of activation
 * rows h. Memory is bounded by one layer, the hidden states in flight (spilled past `memory.max_gb`) and the sample
 * sizes; each finished layer is kept beside the cache entry so an interrupted run resumes at the next layer.
 * With `experts.adapt: lsq` the same pass fits each layer's adapted experts (adapt.ts) as soon as the layer is done,
 * so the adaptation needs no second pass and holds one layer's normal equations at a time.
 */
import { rmSync } from 'node:fs';
import { join } from 'node:path';
import type { TensorToWrite } from '../../checkpoint/safetensors-write.js';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import { collectWindows, streamTextWindows, type TokenWindows } from '../../data/windows.js';
import { RowReservoir } from '../../data/reservoir.js';
import { loadTokenizer } from '../../data/tokenizer.js';
import { ActivationStats } from '../../experts/activation-stats.js';
import { buildLayerGraph } from '../../graph/layer-graph.js';
import { HIDDEN_OUT, LAYER_DEBUG } from '../../graph/names.js';
import type { ModelIR } from '../../ir/model.js';
import type { HiddenStates } from '../../pipeline/hidden-states.js';
import {
  batchWindows,
  embedAll,
  newHiddenStates,
  passBatches,
  type RunnerSetup,
} from '../../pipeline/layer-runner.js';
import { windowsPerRun } from '../../pipeline/run-size.js';
import { openPart } from '../../pipeline/part-session.js';
import { partModel } from '../../pipeline/float32-storage.js';
import type { Recipe } from '../../recipe/types.js';
import type { Device } from '../../runtime/device.js';
import { readFloat32 } from '../../runtime/tensors.js';
import { InputError, InternalError } from '../../util/errors.js';
import { makeDirs } from '../../util/make-dirs.js';
import { ADAPT_DIR, adaptKey, LayerAdapter } from './adapt-layer.js';
import type { LayerCalibration } from './calibration-types.js';
import { downloadProgress } from '../shared/download-progress.js';
import type { Stage } from '../shared/progress.js';
import { cachedStage, stageKey } from '../shared/stage-cache.js';
import type { TextSource } from '../shared/text-source.js';
import { memoryBudgetBytes } from '../shared/memory-budget.js';
import type { StageContext } from './context.js';
import {
  hiddenSnapshot,
  mergeLayers,
  moveAdaptFiles,
  resumePoint,
  writeAdaptFile,
  writeLayerFile,
} from './calibration-layers.js';

export const CALIBRATION_FILE = 'calibration.safetensors';
/** Activation rows kept for co-activation grouping: enough for stable patterns, small beside x samples. */
const GROUPING_ROWS = 2048;
/** Tokens per ORT run: big enough to amortize the call, small enough for one layer's debug outputs. */
const TOKENS_PER_RUN = 4096;

export interface CalibrationInput {
  readonly ir: ModelIR;
  readonly tokenizerDir: string;
  readonly recipe: Recipe;
  /** The calibration text, opened by the resolve stage. */
  readonly text: TextSource;
  readonly device: Device;
  readonly stage: Stage;
  /**
   * Where the run keeps its per-layer results and hidden states, so an interrupted run resumes at the layer it
   * stopped (default: inside the output dir, no resume), and the hidden-state bytes it may hold in RAM.
   */
  readonly work?: { readonly dir: string; readonly memoryBudgetBytes: number };
  /** Expert sizes n_1..n_K: with `experts.adapt: lsq`, each layer's adapted experts are fitted in the pass. */
  readonly adaptSizes?: readonly number[];
}

export interface Calibration {
  /** The stage's cache key inputs: the targets stage's key includes them. */
  readonly key: unknown;
  /** The stage's cache entry (the adapted experts are in its `adapt/`). */
  readonly dir: string;
  readonly rows: LayerCalibration[];
}

/** The cached calibration stage: keyed by the checkpoint's bytes, the text's, and the settings that shape rows. */
export async function calibrationStage(ctx: StageContext): Promise<Calibration> {
  const { plan, model } = ctx;
  const { recipe } = plan;
  const sizes = plan.experts.map((e) => e.neurons);
  const key = {
    source: model.identity,
    text: ctx.data.calibration.identity,
    // The dataset spec's resolved content is in `text`; its local path must not make the key path-dependent.
    // Tuning tokens are read past the calibration's own (budgets.ts): they change nothing here.
    calibration: { ...recipe.calibration, text: undefined, dataset: undefined, tuning_tokens: undefined },
    seed: recipe.seed,
    grouping: recipe.experts.grouping,
    // Rows carry their window and every layer samples the same tokens (older entries did neither).
    rows: 'aligned-windows',
    // Rows carry ‖r‖ now; entries from before lack it, which only the router's log‖r‖ input needs: with that input
    // the key differs, so such a run never reads an older entry (and `router.input: normed` keeps the older ones).
    ...(recipe.router.input !== 'normed' && { residual_norm: true }),
    // Present only with `experts.adapt: lsq`, whose per-layer fit runs in this pass.
    ...(recipe.experts.adapt !== 'none' && { adapt: adaptKey(recipe, sizes) }),
  };
  const stage = ctx.progress.stage('calibrate', `${recipe.calibration.tokens} tokens`);
  const cal = await cachedStage({
    root: ctx.root,
    stage: 'calibrate',
    label: ctx.plan.recipe.model,
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
          // Beside the entries, outside the temp dir the cache removes on failure: a rerun resumes from it.
          work: {
            dir: join(ctx.root, 'calibrate', `.layers-${stageKey(key)}`),
            memoryBudgetBytes: memoryBudgetBytes(recipe),
          },
          ...(recipe.experts.adapt !== 'none' && { adaptSizes: sizes }),
        },
        dir,
      ),
  });
  stage.succeed(cal.cached ? 'from cache' : undefined);
  return { key, dir: cal.dir, rows: await readCalibration(cal.dir, model.ir.config.numLayers) };
}

interface LayerAccumulators {
  x: RowReservoir;
  stats: ActivationStats;
  h?: RowReservoir;
}

/** Runs calibration and writes `calibration.safetensors` into `dir` (a stage-cache dir). */
export async function calibrate(input: CalibrationInput, dir: string): Promise<void> {
  const { ir, recipe } = input;
  const { seq_len: seqLen } = recipe.calibration;
  const windows = await readWindows(input);
  const work = input.work ?? { dir: join(dir, '.layers'), memoryBudgetBytes: Infinity };
  makeDirs(work.dir);
  const setup: RunnerSetup = {
    ir: partModel(ir, undefined),
    batches: batchWindows(
      windows,
      windowsPerRun(ir, { seqLen, upTo: Math.max(1, Math.floor(TOKENS_PER_RUN / seqLen)) }),
    ),
    dir: work.dir,
    device: input.device,
    memoryBudgetBytes: work.memoryBudgetBytes,
  };
  const hidden = newHiddenStates(setup, 'hidden');
  const start = resumePoint(work.dir, ir.layers.length);
  const bar = input.stage.bar('layers', ir.layers.length);
  const adapter = input.adaptSizes
    ? await LayerAdapter.open({ ir, recipe, sizes: input.adaptSizes, dir: work.dir, device: input.device })
    : undefined;
  try {
    if (start === 0) await embedAll(setup, hidden);
    else {
      hidden.restore(hiddenSnapshot(work.dir, start - 1));
      input.stage.note(`resuming at layer ${start}`);
      bar.tick(start);
    }
    for (let i = start; i < ir.layers.length; i++) {
      // Hidden states first, then the layer's file (its existence marks the layer done), then the old snapshot.
      const results = await calibrateLayer(input, { setup, hidden, index: i, adapter });
      hidden.snapshot(hiddenSnapshot(work.dir, i));
      if (adapter) await writeAdaptFile(work.dir, i, await adapter.finish(i, layerFromTensors(results, i)));
      await writeLayerFile(work.dir, i, results);
      rmSync(hiddenSnapshot(work.dir, i - 1), { force: true });
      bar.tick();
    }
  } finally {
    hidden.release();
    await adapter?.release();
  }
  bar.done();
  await mergeLayers(work.dir, ir, join(dir, CALIBRATION_FILE), windows.count * seqLen);
  if (adapter) moveAdaptFiles(work.dir, join(dir, ADAPT_DIR), ir.layers.length);
  rmSync(work.dir, { recursive: true, force: true });
}

/** The calibration text as windows; an error when it holds less than one. */
async function readWindows(input: CalibrationInput): Promise<TokenWindows> {
  const { seq_len: seqLen, tokens } = input.recipe.calibration;
  const windows = await collectWindows(
    streamTextWindows({
      chunks: input.text.chunks(downloadProgress(input.stage)),
      tokenizer: loadTokenizer(input.tokenizerDir),
      seqLen,
      maxTokens: tokens,
    }),
    seqLen,
  );
  if (windows.count === 0) {
    throw new InputError(
      `${input.text.label}: calibration text is shorter than one window of ${seqLen} tokens`,
    );
  }
  return windows;
}

/** One layer's pass: its graph with the FFN input, activation and output, folded into its accumulators. */
async function calibrateLayer(
  input: CalibrationInput,
  a: { setup: RunnerSetup; hidden: HiddenStates; index: number; adapter: LayerAdapter | undefined },
): Promise<Record<string, TensorToWrite>> {
  const { ir, recipe } = input;
  const acc = newAccumulators(ir, recipe, a.index);
  a.adapter?.begin();
  const part = await openPart(
    `layer.${a.index}`,
    (data) => buildLayerGraph(a.setup.ir, a.index, { data, debugOutputs: true, activationOutputs: true }),
    a.setup,
  );
  try {
    await passBatches(a.setup, part, a.hidden, {
      outputs: [
        LAYER_DEBUG.mlpInput,
        LAYER_DEBUG.mlpAct,
        LAYER_DEBUG.ffnResidual,
        ...(a.adapter?.outputs ?? []),
      ],
      visit: async (batch, out) => {
        const x = out[LAYER_DEBUG.mlpInput];
        const h = out[LAYER_DEBUG.mlpAct];
        const layerOut = out[HIDDEN_OUT];
        const residual = out[LAYER_DEBUG.ffnResidual];
        if (!x || !h || !layerOut || !residual)
          throw new InternalError(`calibration graph lacks layer ${a.index} outputs`);
        const rows = x.dims.slice(0, 2).reduce((n, d) => n * d, 1);
        const ids = a.setup.batches[batch]!;
        const firstWindow = a.setup.batches.slice(0, batch).reduce((n, b) => n + b.length, 0);
        const norms = { layerOut: readFloat32(layerOut), residual: readFloat32(residual) };
        acc.x.add(withNorms(readFloat32(x), norms, { rows, seqLen: ids[0]!.length, firstWindow }), rows);
        const hv = readFloat32(h);
        acc.stats.add(hv, rows);
        acc.h?.add(hv, rows);
        await a.adapter?.add(out);
      },
    });
  } finally {
    await part.release();
  }
  return layerTensors(ir, acc, a.index);
}

function layerTensors(ir: ModelIR, a: LayerAccumulators, i: number): Record<string, TensorToWrite> {
  const tensors: Record<string, TensorToWrite> = {};
  const { x, norms, residualNorms, windows } = splitRows(a.x.rows(), ir.config.hidden);
  tensors[`layers.${i}.x`] = { dtype: 'F32', shape: [norms.length, ir.config.hidden], data: x };
  tensors[`layers.${i}.output_norm`] = { dtype: 'F32', shape: [norms.length], data: norms };
  tensors[`layers.${i}.residual_norm`] = { dtype: 'F32', shape: [norms.length], data: residualNorms };
  // float32 holds window indices exactly up to 2^24 windows (4 G tokens of 256).
  tensors[`layers.${i}.window`] = { dtype: 'F32', shape: [windows.length], data: windows };
  tensors[`layers.${i}.mean_abs`] = {
    dtype: 'F32',
    shape: [ir.config.ffnDim],
    data: Float32Array.from(a.stats.meanAbs()),
  };
  const h = a.h?.rows();
  if (h) tensors[`layers.${i}.h`] = { dtype: 'F32', shape: [h.rows, ir.config.ffnDim], data: h.data };
  return tensors;
}

function newAccumulators(ir: ModelIR, recipe: Recipe, layer: number): LayerAccumulators {
  const { hidden, ffnDim } = ir.config;
  // One seed for every layer: the reservoir's choices depend only on it, so all layers keep the same tokens.
  const seed = recipe.seed * 7919;
  return {
    // Each kept row is x, then ‖r + y‖, its window's index and ‖r‖, so all four are sampled together (which rows
    // are kept depends on the seed and the row count alone, not on the width).
    x: new RowReservoir(recipe.calibration.rows_per_layer, hidden + ROW_EXTRAS, seed),
    stats: new ActivationStats(ffnDim),
    ...(recipe.experts.grouping === 'coactivation'
      ? { h: new RowReservoir(GROUPING_ROWS, ffnDim, seed + 104729 + layer) }
      : {}),
  };
}

/** Values a kept row carries after x: ‖layer output‖, window index, ‖residual‖. */
const ROW_EXTRAS = 3;

/**
 * [rows, d] x, layer outputs r + y and residuals r → [rows, d + 3] rows of x, ‖r + y‖, window index, ‖r‖ (both
 * norms in float64 over the float32 values, then stored as float32).
 */
function withNorms(
  x: Float32Array,
  v: { layerOut: Float32Array; residual: Float32Array },
  a: { rows: number; seqLen: number; firstWindow: number },
): Float32Array {
  const d = x.length / a.rows;
  const w = d + ROW_EXTRAS;
  const out = new Float32Array(a.rows * w);
  const norm = (t: Float32Array, r: number) => {
    let s = 0;
    for (let i = r * d; i < (r + 1) * d; i++) s += t[i]! ** 2;
    return Math.sqrt(s);
  };
  for (let r = 0; r < a.rows; r++) {
    out.set(x.subarray(r * d, (r + 1) * d), r * w);
    out[r * w + d] = norm(v.layerOut, r);
    out[r * w + d + 1] = a.firstWindow + Math.floor(r / a.seqLen);
    out[r * w + d + 2] = norm(v.residual, r);
  }
  return out;
}

function splitRows(
  kept: { rows: number; data: Float32Array },
  d: number,
): { x: Float32Array; norms: Float32Array; windows: Float32Array; residualNorms: Float32Array } {
  const w = d + ROW_EXTRAS;
  const x = new Float32Array(kept.rows * d);
  const [norms, windows, residualNorms] = [0, 1, 2].map(() => new Float32Array(kept.rows)) as [
    Float32Array,
    Float32Array,
    Float32Array,
  ];
  for (let r = 0; r < kept.rows; r++) {
    x.set(kept.data.subarray(r * w, r * w + d), r * d);
    norms[r] = kept.data[r * w + d]!;
    windows[r] = kept.data[r * w + d + 1]!;
    residualNorms[r] = kept.data[r * w + d + 2]!;
  }
  return { x, norms, windows, residualNorms };
}

/** A layer's calibration as the readers see it, from the tensors its layer file gets (same float32 values). */
function layerFromTensors(t: Record<string, TensorToWrite>, i: number): LayerCalibration {
  const f32 = (name: string) => t[`layers.${i}.${name}`]!.data as Float32Array;
  const h = t[`layers.${i}.h`];
  return {
    rows: t[`layers.${i}.x`]!.shape[0]!,
    x: f32('x'),
    outputNorms: f32('output_norm'),
    residualNorms: f32('residual_norm'),
    windows: Int32Array.from(f32('window')),
    meanAbs: f32('mean_abs'),
    ...(h ? { h: { rows: h.shape[0]!, data: h.data as Float32Array } } : {}),
  };
}

/** Reads a finished calibration stage back. */
export async function readCalibration(dir: string, layers: number): Promise<LayerCalibration[]> {
  const file = await openSafetensors(join(dir, CALIBRATION_FILE));
  const out: LayerCalibration[] = [];
  for (let i = 0; i < layers; i++) {
    const xInfo = file.tensors.get(`layers.${i}.x`);
    const hInfo = file.tensors.get(`layers.${i}.h`);
    const residual = `layers.${i}.residual_norm`;
    out.push({
      rows: xInfo?.shape[0] ?? 0,
      x: await file.readFloat32(`layers.${i}.x`),
      outputNorms: await file.readFloat32(`layers.${i}.output_norm`),
      // Entries written before the router's log‖r‖ input lack it; the router stage refuses them only for that input.
      ...(file.tensors.has(residual) && { residualNorms: await file.readFloat32(residual) }),
      windows: Int32Array.from(await file.readFloat32(`layers.${i}.window`)),
      meanAbs: await file.readFloat32(`layers.${i}.mean_abs`),
      ...(hInfo ? { h: { rows: hInfo.shape[0] ?? 0, data: await file.readFloat32(`layers.${i}.h`) } } : {}),
    });
  }
  return out;
}
