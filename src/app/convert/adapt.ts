/**
 * The adapt stage (`experts.adapt`): `none` keeps every expert a bare prefix of the dense FFN; `lsq` gives each
 * expert k < K its own down projection and bias, fitted in the calibration pass one layer at a time
 * (adapt-layer.ts) and kept in the calibration's cache entry. This stage checks each layer was fitted under the
 * permutation the experts stage computed; the weights themselves are read per layer by whoever processes that layer
 * (targets, emit, eval) and dropped after, so no stage holds every layer's at once (≈ 12 GB at 8B).
 */
import { join } from 'node:path';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import type { AdaptedExpert } from '../../experts/adapt-lsq.js';
import type { AdaptedReader } from '../../graph/moe-spec.js';
import { InternalError } from '../../util/errors.js';
import { jointDownLoaders, type SharedDown } from './adapt-joint-read.js';
import { ADAPT_DIR, adaptLayerFile, checkFittedPermutation } from './adapt-layer.js';
import type { Calibration } from './calibrate.js';
import type { StageContext } from './context.js';

export interface Adaptation {
  /** What the adapted weights depend on (null for `none`): the targets stage's key includes it. */
  readonly key: unknown;
  /** Layer i's adapted experts k = 0..K−2, read from disk on each call; undefined for `none`. */
  readonly readLayer: AdaptedReader;
  /** `joint`: per layer, the shared down projection the MoE graphs use instead of the dense one (read lazily). */
  readonly shared?: readonly SharedDown[];
}

/** The adapt stage: the fitted layers' permutations checked against the experts stage's; a reader of the weights. */
export async function adaptStage(
  ctx: StageContext,
  a: { cal: Calibration; perms: readonly Int32Array[] },
): Promise<Adaptation> {
  const { experts } = ctx.plan.recipe;
  const none: AdaptedReader = () => Promise.resolve(undefined);
  if (experts.adapt === 'none') return { key: null, readLayer: none };
  const stage = ctx.progress.stage('adapt', `${experts.adapt}, ridge ${experts.adapt_ridge}`);
  if (experts.adapt === 'joint') {
    stage.succeed('fitted during calibration');
    return { key: a.cal.key, readLayer: none, shared: jointDownLoaders(join(a.cal.dir, ADAPT_DIR), a.perms) };
  }
  const readLayer = await adaptationReader(join(a.cal.dir, ADAPT_DIR), {
    perms: a.perms,
    experts: ctx.plan.experts.length - 1,
  });
  stage.succeed('fitted during calibration');
  return { key: a.cal.key, readLayer };
}

/**
 * A reader of each layer's adapted experts, after checking (permutations only, a few KB a layer) that every layer
 * was fitted under the permutation the experts stage computed.
 * @internal exported for its refusal test
 */
export async function adaptationReader(
  dir: string,
  a: { perms: readonly Int32Array[]; experts: number },
): Promise<AdaptedReader> {
  for (const [i, perm] of a.perms.entries()) {
    const file = await openSafetensors(join(dir, adaptLayerFile(i)));
    await checkFittedPermutation(file, perm, i);
  }
  return async (layer) => {
    if (layer < 0 || layer >= a.perms.length) throw new InternalError(`adaptation: no layer ${layer}`);
    const file = await openSafetensors(join(dir, adaptLayerFile(layer)));
    const out: AdaptedExpert[] = [];
    for (let k = 0; k < a.experts; k++) {
      out.push({ down: await file.readFloat32(`down.${k}`), bias: await file.readFloat32(`bias.${k}`) });
    }
    return out;
  };
}
