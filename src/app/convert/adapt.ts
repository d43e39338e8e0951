/**
 * Expert adaptation stage (`experts.adapt`): `none` keeps every expert a bare prefix of the dense FFN; `lsq` runs
 * the dense graph over the calibration text once more, sums each layer's normal equations (hᵀh, hᵀy with a bias
 * column) over every calibration token on ORT (graph/gram.ts), then fits each expert k < K its own down
 * projection and bias in closed form (experts/adapt-lsq.ts). The result is cached like the other stages, keyed by
 * the calibration's key, the permutations, the expert sizes and the ridge term.
 */
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import { writeSafetensors, type TensorToWrite } from '../../checkpoint/safetensors-write.js';
import { streamTextWindows } from '../../data/windows.js';
import { loadTokenizer } from '../../data/tokenizer.js';
import { type AdaptedExpert, fitAdaptedExperts, NormalEquations } from '../../experts/adapt-lsq.js';
import { buildGram, GRAM_INPUTS, GRAM_OUTPUTS } from '../../graph/gram.js';
import { DEBUG } from '../../graph/names.js';
import { writeDecoder } from '../../graph/write-decoder.js';
import { writeModel } from '../../onnx/builder.js';
import { tokenFeeds } from '../../runtime/decoder-feeds.js';
import { createSession, releaseSession, run, type Session } from '../../runtime/session.js';
import { float32Tensor, readFloat32 } from '../../runtime/tensors.js';
import { InputError, InternalError } from '../../util/errors.js';
import { downloadProgress } from '../shared/download-progress.js';
import type { Stage } from '../shared/progress.js';
import { cachedStage } from '../shared/stage-cache.js';
import type { Calibration } from './calibrate.js';
import type { StageContext } from './context.js';

export const ADAPT_FILE = 'adapt.safetensors';
/** Tokens per ORT run of the dense graph, as calibration. */
const TOKENS_PER_RUN = 4096;

export interface Adaptation {
  /** The stage's cache entry name (null for `none`): the targets stage's key includes it. */
  readonly key: string | null;
  /** Per layer, the adapted experts k = 0..K−2; empty for `none`. */
  readonly layers: readonly (readonly AdaptedExpert[])[];
}

export async function adaptStage(
  ctx: StageContext,
  a: { cal: Calibration; perms: readonly Int32Array[] },
): Promise<Adaptation> {
  const { plan, model } = ctx;
  const { experts } = plan.recipe;
  if (experts.adapt === 'none') return { key: null, layers: [] };
  const sizes = plan.experts.map((e) => e.neurons);
  const stage = ctx.progress.stage('adapt', `${experts.adapt}, ridge ${experts.adapt_ridge}`);
  const entry = await cachedStage({
    root: ctx.root,
    stage: 'adapt',
    inputs: {
      calibrationKey: a.cal.key,
      method: experts.adapt,
      ridge: experts.adapt_ridge,
      sizes,
      perms: a.perms.map((p) => Array.from(p)),
    },
    produce: async (dir) => {
      const equations = await normalEquations(ctx, { dir, stage });
      const tensors: Record<string, TensorToWrite> = {};
      equations.forEach((eq, i) => {
        const fitted = fitAdaptedExperts(eq, {
          permutation: a.perms[i]!,
          sizes,
          ridge: experts.adapt_ridge,
        });
        fitted.forEach((e, k) => {
          tensors[`layers.${i}.down.${k}`] = { dtype: 'F32', shape: [sizes[k]!, eq.hidden], data: e.down };
          tensors[`layers.${i}.bias.${k}`] = { dtype: 'F32', shape: [eq.hidden], data: e.bias };
        });
      });
      await writeSafetensors(join(dir, ADAPT_FILE), tensors, { tokens: String(equations[0]?.count ?? 0) });
    },
  });
  stage.succeed(entry.cached ? 'from cache' : undefined);
  return {
    key: basename(entry.dir),
    layers: await readAdaptation(entry.dir, { layers: model.ir.config.numLayers, experts: sizes.length - 1 }),
  };
}

/** Streams the calibration text through the dense graph and sums every layer's normal equations. */
async function normalEquations(
  ctx: StageContext,
  a: { dir: string; stage: Stage },
): Promise<NormalEquations[]> {
  const { ir } = ctx.model;
  const { hidden, ffnDim } = ir.config;
  const dense = await writeDecoder(ir, {
    dir: a.dir,
    fileName: 'adapt-dense.onnx',
    debugOutputs: true,
    activationOutputs: true,
  });
  const gramPath = join(a.dir, 'gram.onnx');
  writeModel(buildGram({ ffnDim, hidden }).model(), gramPath);
  const device = ctx.plan.stages.calibrate.device;
  const sessions = {
    dense: await createSession(dense.modelPath, { device }),
    gram: await createSession(gramPath, { device }),
  };
  const equations = ir.layers.map(() => new NormalEquations(ffnDim, hidden));
  try {
    await feedCalibration(ctx, { ...sessions, equations, stage: a.stage });
  } finally {
    await releaseSession(sessions.dense);
    await releaseSession(sessions.gram);
  }
  // The graphs are scratch: only the fitted weights are the stage's result.
  for (const f of [dense.modelPath, dense.dataPath, gramPath]) await rm(f, { force: true });
  return equations;
}

async function feedCalibration(
  ctx: StageContext,
  s: { dense: Session; gram: Session; equations: NormalEquations[]; stage: Stage },
): Promise<void> {
  const { seq_len: seqLen, tokens } = ctx.plan.recipe.calibration;
  const perRun = Math.max(1, Math.floor(TOKENS_PER_RUN / seqLen));
  const bar = s.stage.bar('tokens', Math.floor(tokens / seqLen) * seqLen);
  let batch: number[][] = [];
  const flush = async () => {
    if (batch.length === 0) return;
    await addBatch(s, batch);
    bar.tick(batch.length * seqLen);
    batch = [];
  };
  for await (const window of streamTextWindows({
    chunks: ctx.data.calibration.chunks(downloadProgress(s.stage)),
    tokenizer: loadTokenizer(ctx.model.checkpoint.dir),
    seqLen,
    maxTokens: tokens,
  })) {
    batch.push(Array.from(window));
    if (batch.length === perRun) await flush();
  }
  await flush();
  bar.done();
  if (s.equations[0]?.count === 0) {
    throw new InputError(
      `${ctx.data.calibration.label}: calibration text is shorter than one window of ${seqLen} tokens`,
    );
  }
}

async function addBatch(
  s: { dense: Session; gram: Session; equations: NormalEquations[] },
  ids: number[][],
): Promise<void> {
  const out = await run(s.dense, tokenFeeds({ ids }));
  const rows = ids.length * (ids[0]?.length ?? 0);
  for (const [i, eq] of s.equations.entries()) {
    const h = out[DEBUG.mlpAct(i)];
    const y = out[DEBUG.mlpOutput(i)];
    if (!h || !y) throw new InternalError(`adapt graph lacks layer ${i} debug outputs`);
    const sums = await run(s.gram, {
      [GRAM_INPUTS.h]: float32Tensor(readFloat32(h), [rows, eq.ffnDim]),
      [GRAM_INPUTS.y]: float32Tensor(readFloat32(y), [rows, eq.hidden]),
    });
    eq.add({ hth: readFloat32(sums[GRAM_OUTPUTS.hth]!), hty: readFloat32(sums[GRAM_OUTPUTS.hty]!), rows });
  }
}

async function readAdaptation(
  dir: string,
  a: { layers: number; experts: number },
): Promise<AdaptedExpert[][]> {
  const file = await openSafetensors(join(dir, ADAPT_FILE));
  const out: AdaptedExpert[][] = [];
  for (let i = 0; i < a.layers; i++) {
    const layer: AdaptedExpert[] = [];
    for (let k = 0; k < a.experts; k++) {
      layer.push({
        down: await file.readFloat32(`layers.${i}.down.${k}`),
        bias: await file.readFloat32(`layers.${i}.bias.${k}`),
      });
    }
    out.push(layer);
  }
  return out;
}
