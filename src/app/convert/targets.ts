/**
 * Targets stage: for every sampled FFN input of every layer, the relative error e_k of each prefix expert against
 * the full FFN output, computed on ORT by a per-layer probe graph (block outputs; prefix sums give y_k — the
 * adapted experts' outputs when `experts.adapt` fitted them), and the
 * regression targets z_k = log(e_k + δ). Rows go through the probe in batches; one layer's graph at a time.
 */
import { rm } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import { writeSafetensors, type TensorToWrite } from '../../checkpoint/safetensors-write.js';
import { ExternalDataWriter, writeModel } from '../../onnx/builder.js';
import { buildProbe, PROBE_INPUT, probeOutput } from '../../graph/probe.js';
import type { ModelIR } from '../../ir/model.js';
import { type ErrorBase, logErrorTargets, relativeErrorsFromBlocks } from '../../router/targets.js';
import { createSession, releaseSession, run } from '../../runtime/session.js';
import { float32Tensor, readFloat32 } from '../../runtime/tensors.js';
import type { Device } from '../../runtime/device.js';
import type { Stage } from '../shared/progress.js';
import { cachedStage } from '../shared/stage-cache.js';
import type { Adaptation } from './adapt.js';
import type { Calibration } from './calibrate.js';
import type { LayerCalibration } from './calibration-types.js';
import type { StageContext } from './context.js';

export const TARGETS_FILE = 'targets.safetensors';
const ROWS_PER_RUN = 1024;

export interface TargetsInput {
  readonly ir: ModelIR;
  readonly calibration: readonly LayerCalibration[];
  readonly perms: readonly Int32Array[];
  readonly sizes: readonly number[];
  readonly errorBase: ErrorBase;
  /** Each layer's adapted experts, read as that layer is probed (undefined: bare prefixes). */
  readonly readAdapted: Adaptation['readLayer'];
  /** `experts.adapt: joint`: per layer, the shared down projection. */
  readonly shared?: Adaptation['shared'];
  readonly device: Device;
  readonly stage: Stage;
}

export interface Targets {
  /** The stage's cache entry name: the router stage's key includes it. */
  readonly key: string;
  readonly layers: LayerTargets[];
}

/** The cached targets stage: keyed by the calibration's key, the expert settings, error base and permutations. */
export async function targetsStage(
  ctx: StageContext,
  a: { cal: Calibration; perms: Int32Array[]; adaptation: Adaptation },
): Promise<Targets> {
  const { plan, model } = ctx;
  const { recipe } = plan;
  const errorBase = recipe.router.error;
  const stage = ctx.progress.stage('targets');
  const tgt = await cachedStage({
    root: ctx.root,
    stage: 'targets',
    label: ctx.plan.recipe.model,
    inputs: {
      calibrationKey: a.cal.key,
      experts: recipe.experts,
      error: errorBase,
      perms: a.perms.map((p) => Array.from(p)),
      adaptation: a.adaptation.key,
    },
    produce: (dir) =>
      computeTargets(
        {
          ir: model.ir,
          calibration: a.cal.rows,
          perms: a.perms,
          sizes: plan.experts.map((e) => e.neurons),
          errorBase,
          readAdapted: a.adaptation.readLayer,
          ...(a.adaptation.shared && { shared: a.adaptation.shared }),
          device: plan.stages.targets.device,
          stage,
        },
        dir,
      ),
  });
  stage.succeed(tgt.cached ? 'from cache' : undefined);
  return { key: basename(tgt.dir), layers: await readTargets(tgt.dir, model.ir.config.numLayers) };
}

export interface LayerTargets {
  readonly rows: number;
  /** [rows, K] relative errors e_k (e_{K−1} = 0). */
  readonly e: Float32Array;
  /** [rows, K−1] log-error targets. */
  readonly z: Float32Array;
}

export async function computeTargets(input: TargetsInput, dir: string): Promise<void> {
  const tensors: Record<string, TensorToWrite> = {};
  const K = input.sizes.length;
  const bar = input.stage.bar('layers', input.ir.layers.length);
  for (const layer of input.ir.layers) {
    const e = await layerErrors(input, layer.index, dir);
    const rows = e.length / K;
    tensors[`layers.${layer.index}.e`] = { dtype: 'F32', shape: [rows, K], data: e };
    tensors[`layers.${layer.index}.z`] = {
      dtype: 'F32',
      shape: [rows, K - 1],
      data: logErrorTargets({ rows, experts: K, data: e }),
    };
    bar.tick();
  }
  bar.done();
  await writeSafetensors(join(dir, TARGETS_FILE), tensors);
}

async function layerErrors(input: TargetsInput, index: number, dir: string): Promise<Float32Array> {
  const { ir, sizes } = input;
  const hidden = ir.config.hidden;
  const modelPath = join(dir, `probe.${index}.onnx`);
  const data = new ExternalDataWriter(`${modelPath}.data`, { digest: false }); // a scratch file nothing records
  try {
    const adapted = await input.readAdapted(index);
    const b = await buildProbe(ir, {
      layer: index,
      permutation: input.perms[index]!,
      sizes,
      data,
      ...(adapted && { adapted }),
      ...(input.shared?.[index] && { sharedDown: input.shared[index] }),
    });
    writeModel(b.model(), modelPath);
  } finally {
    data.close();
  }
  const cal = input.calibration[index]!;
  const K = sizes.length;
  const e = new Float32Array(cal.rows * K);
  const session = await createSession(modelPath, { device: input.device });
  try {
    for (let start = 0; start < cal.rows; start += ROWS_PER_RUN) {
      const rows = Math.min(ROWS_PER_RUN, cal.rows - start);
      const x = cal.x.subarray(start * hidden, (start + rows) * hidden);
      const out = await run(session, { [PROBE_INPUT]: float32Tensor(x, [rows, hidden]) });
      const blocks = sizes.map((_, j) => readFloat32(out[probeOutput(j)]!));
      const y = prefixSum(blocks);
      const baseNorms =
        input.errorBase === 'residual' ? cal.outputNorms.subarray(start, start + rows) : undefined;
      e.set(relativeErrorsFromBlocks({ y, blocks, rows, hidden, baseNorms }).data, start * K);
    }
  } finally {
    await releaseSession(session);
    // The probe is scratch: one layer's FFN in float32 (705 MB at 8B, 22 GB over 32 layers if kept in the entry).
    await Promise.all([rm(modelPath, { force: true }), rm(`${modelPath}.data`, { force: true })]);
  }
  return e;
}

/** y = Σ_j block_j: the full FFN output. */
function prefixSum(blocks: readonly Float32Array[]): Float32Array {
  const y = new Float32Array(blocks[0]!.length);
  for (const b of blocks) for (let i = 0; i < y.length; i++) y[i]! += b[i]!;
  return y;
}

export async function readTargets(dir: string, layers: number): Promise<LayerTargets[]> {
  const file = await openSafetensors(join(dir, TARGETS_FILE));
  const out: LayerTargets[] = [];
  for (let i = 0; i < layers; i++) {
    const e = await file.readFloat32(`layers.${i}.e`);
    out.push({
      rows: file.tensors.get(`layers.${i}.e`)?.shape[0] ?? 0,
      e,
      z: await file.readFloat32(`layers.${i}.z`),
    });
  }
  return out;
}
