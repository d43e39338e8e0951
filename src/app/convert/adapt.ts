/**
 * The adapt stage (`experts.adapt`): `none` keeps every expert a bare prefix of the dense FFN; `lsq` gives each
 * expert k < K its own down projection and bias, fitted in the calibration pass one layer at a time
 * (adapt-layer.ts) and kept in the calibration's cache entry. This stage reads them back and checks each layer was
 * fitted under the permutation the experts stage computed.
 */
import { join } from 'node:path';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import type { AdaptedExpert } from '../../experts/adapt-lsq.js';
import { InternalError } from '../../util/errors.js';
import { jointDownLoaders, type SharedDown } from './adapt-joint-read.js';
import { ADAPT_DIR, adaptLayerFile } from './adapt-layer.js';
import type { Calibration } from './calibrate.js';
import type { StageContext } from './context.js';

export interface Adaptation {
  /** What the adapted weights depend on (null for `none`): the targets stage's key includes it. */
  readonly key: unknown;
  /** Per layer, the adapted experts k = 0..K−2; empty for `none` and `joint`. */
  readonly layers: readonly (readonly AdaptedExpert[])[];
  /** `joint`: per layer, the shared down projection the MoE graphs use instead of the dense one. */
  readonly shared?: readonly SharedDown[];
}

/** The adapt stage: the weights the calibration pass fitted, checked against the experts stage's permutations. */
export async function adaptStage(
  ctx: StageContext,
  a: { cal: Calibration; perms: readonly Int32Array[] },
): Promise<Adaptation> {
  const { experts } = ctx.plan.recipe;
  if (experts.adapt === 'none') return { key: null, layers: [] };
  const stage = ctx.progress.stage('adapt', `${experts.adapt}, ridge ${experts.adapt_ridge}`);
  if (experts.adapt === 'joint') {
    stage.succeed('fitted during calibration');
    return { key: a.cal.key, layers: [], shared: jointDownLoaders(join(a.cal.dir, ADAPT_DIR), a.perms) };
  }
  const layers = await readAdaptation(join(a.cal.dir, ADAPT_DIR), {
    perms: a.perms,
    experts: ctx.plan.experts.length - 1,
  });
  stage.succeed('fitted during calibration');
  return { key: a.cal.key, layers };
}

/**
 * Every layer's adapted experts; each layer's permutation must be the one the experts stage computed.
 * @internal exported for its refusal test
 */
export async function readAdaptation(
  dir: string,
  a: { perms: readonly Int32Array[]; experts: number },
): Promise<AdaptedExpert[][]> {
  const out: AdaptedExpert[][] = [];
  for (const [i, perm] of a.perms.entries()) {
    const file = await openSafetensors(join(dir, adaptLayerFile(i)));
    const raw = await file.readRaw('permutation');
    const fitted = new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    if (fitted.length !== perm.length || fitted.some((v, j) => v !== perm[j])) {
      throw new InternalError(
        `adaptation: layer ${i} was fitted under another permutation than the experts'`,
      );
    }
    const layer: AdaptedExpert[] = [];
    for (let k = 0; k < a.experts; k++) {
      layer.push({ down: await file.readFloat32(`down.${k}`), bias: await file.readFloat32(`bias.${k}`) });
    }
    out.push(layer);
  }
  return out;
}
