/**
 * `experts.adapt: joint`: each layer's shared down projection, read from its `adapt.N.safetensors` only when a
 * graph is built (one layer's [m, d] at a time, never every layer's at once), after checking the layer was fitted
 * under the permutation the experts stage computed.
 */
import { join } from 'node:path';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import { InternalError } from '../../util/errors.js';
import { adaptLayerFile, JOINT_DOWN } from './adapt-layer.js';

/** Reads one layer's shared down projection [m, d] (rows in the permuted neuron order). */
export type SharedDown = () => Promise<Float32Array>;

export function jointDownLoaders(dir: string, perms: readonly Int32Array[]): SharedDown[] {
  return perms.map((perm, i) => async () => {
    const file = await openSafetensors(join(dir, adaptLayerFile(i)));
    const raw = await file.readRaw('permutation');
    const fitted = new Int32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength));
    if (fitted.length !== perm.length || fitted.some((v, j) => v !== perm[j])) {
      throw new InternalError(
        `adaptation: layer ${i} was fitted under another permutation than the experts'`,
      );
    }
    return file.readFloat32(JOINT_DOWN);
  });
}
