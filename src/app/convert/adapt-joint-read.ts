/**
 * `experts.adapt: joint`: each layer's shared down projection, read from its `adapt.N.safetensors` only when a
 * graph is built (one layer's [m, d] at a time, never every layer's at once), after checking the layer was fitted
 * under the permutation the experts stage computed.
 */
import { join } from 'node:path';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import { adaptLayerFile, checkFittedPermutation, JOINT_DOWN } from './adapt-layer.js';

/** Reads one layer's shared down projection [m, d] (rows in the permuted neuron order). */
export type SharedDown = () => Promise<Float32Array>;

export function jointDownLoaders(dir: string, perms: readonly Int32Array[]): SharedDown[] {
  return perms.map((perm, i) => async () => {
    const file = await openSafetensors(join(dir, adaptLayerFile(i)));
    await checkFittedPermutation(file, perm, i);
    return file.readFloat32(JOINT_DOWN);
  });
}
