/**
 * The layer-by-layer calibration's work directory (inside the stage cache, so it outlives an interrupted run): a
 * finished layer's results in `layer.N.safetensors`, the hidden states after the last finished layer in
 * `hidden.N.f32`, a layer's adapted experts in `adapt.N.safetensors` (written before its layer file), and the
 * merge of every layer's file into calibration.safetensors at the end.
 */
import { existsSync, renameSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import { writeSafetensors, type TensorToWrite } from '../../checkpoint/safetensors-write.js';
import type { ModelIR } from '../../ir/model.js';
import { makeDirs } from '../../util/make-dirs.js';
import { adaptLayerFile } from './adapt-layer.js';

const layerFile = (i: number) => `layer.${i}.safetensors`;
export const hiddenSnapshot = (dir: string, i: number) => join(dir, `hidden.${i}.f32`);

/** A finished layer's file; writeSafetensors writes a temp file and renames it, so a file that exists is complete. */
export async function writeLayerFile(
  dir: string,
  layer: number,
  tensors: Record<string, TensorToWrite>,
): Promise<void> {
  await writeSafetensors(join(dir, layerFile(layer)), tensors);
}

/** A layer's adapted experts; written before its layer file, so a finished layer always has them. */
export async function writeAdaptFile(
  dir: string,
  layer: number,
  tensors: Record<string, TensorToWrite>,
): Promise<void> {
  await writeSafetensors(join(dir, adaptLayerFile(layer)), tensors);
}

/** The per-layer adaptation files into the entry (renames: never more than one layer's weights in memory). */
export function moveAdaptFiles(dir: string, to: string, layers: number): void {
  makeDirs(to);
  for (let i = 0; i < layers; i++) renameSync(join(dir, adaptLayerFile(i)), join(to, adaptLayerFile(i)));
}

/** The first layer not yet finished in `dir`: layers before it have their file and the last one its hidden states. */
export function resumePoint(dir: string, layers: number): number {
  let done = 0;
  while (done < layers && existsSync(join(dir, layerFile(done)))) done++;
  while (done > 0 && !existsSync(hiddenSnapshot(dir, done - 1))) done--;
  return done;
}

/** Every layer's file into one `calibration.safetensors`, in the layout the readers know. */
export async function mergeLayers(dir: string, ir: ModelIR, path: string, tokens: number): Promise<void> {
  const tensors: Record<string, TensorToWrite> = {};
  for (const layer of ir.layers) {
    const file = await openSafetensors(join(dir, layerFile(layer.index)));
    for (const [name, info] of file.tensors) {
      tensors[name] = { dtype: 'F32', shape: [...info.shape], data: await file.readFloat32(name) };
    }
  }
  await writeSafetensors(path, tensors, { tokens: String(tokens) });
}
