/**
 * Checkpoint + resume: `routers.safetensors` (the best weights so far, router-file.ts) and
 * `optimizer.safetensors` (current params and AdamW moments under their graph input names, F32, and the loop's
 * counters in metadata). Batch orders are a pure function of (seed, step) (data.ts), so the step is the whole RNG
 * state. routers.safetensors is written first: a crash between the two writes leaves an older optimizer state,
 * whose deterministic replay reaches the same best weights again.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { openSafetensors } from '../checkpoint/safetensors-read.js';
import { type TensorToWrite, writeSafetensors } from '../checkpoint/safetensors-write.js';
import { type RouterGraphShape, stateNames } from '../graph/router-train-io.js';
import { readFloat32, float32Tensor } from '../runtime/tensors.js';
import { canonicalJson } from '../util/canonical-json.js';
import { CheckpointFormatError, InputError } from '../util/errors.js';
import { writeRouters, readRouters } from './router-file.js';
import { type StateTensors, paramTensors, weightsFromTensors } from './state.js';

export const ROUTERS_FILE = 'routers.safetensors';
export const OPTIMIZER_FILE = 'optimizer.safetensors';

/** The loop's counters: with the state tensors, everything a resumed run needs. */
export interface LoopState {
  /** Last completed step (0 before the first). */
  readonly step: number;
  readonly stopped: boolean;
  readonly bestStep: number;
  readonly bestLoss: number | null;
  readonly badEvals: number;
  readonly trainLoss: number;
  readonly heldoutLoss: number | null;
  readonly seconds: number;
}

export interface Snapshot {
  readonly state: StateTensors;
  readonly best: StateTensors;
  readonly loop: LoopState;
}

export async function saveCheckpoint(
  dir: string,
  s: Snapshot & { shape: RouterGraphShape; setup: Record<string, unknown> },
): Promise<void> {
  await writeRouters(join(dir, ROUTERS_FILE), weightsFromTensors(s.best, s.shape), s.shape.loss);
  const tensors: Record<string, TensorToWrite> = {};
  for (const name of stateNames(s.shape.layers)) {
    const t = s.state[name]!;
    tensors[name] = { dtype: 'F32', shape: [...t.dims], data: readFloat32(t) };
  }
  const metadata = { setup: canonicalJson(s.setup), loop: JSON.stringify(s.loop) };
  await writeSafetensors(join(dir, OPTIMIZER_FILE), tensors, metadata);
}

/** The snapshot in `dir`, or null when there is none; a snapshot of another setup is an InputError. */
export async function loadCheckpoint(
  dir: string,
  s: { shape: RouterGraphShape; setup: Record<string, unknown> },
): Promise<Snapshot | null> {
  const path = join(dir, OPTIMIZER_FILE);
  if (!existsSync(path)) return null;
  const file = await openSafetensors(path);
  checkSetup(path, file.metadata.setup, s.setup);
  const state: StateTensors = {};
  for (const name of stateNames(s.shape.layers)) {
    const info = file.tensors.get(name);
    if (!info) throw new CheckpointFormatError(path, `${name}: missing`);
    state[name] = float32Tensor(Float32Array.from(await file.readFloat32(name)), info.shape);
  }
  const { weights } = await readRouters(join(dir, ROUTERS_FILE));
  return {
    state,
    best: paramTensors(weights, s.shape),
    loop: JSON.parse(file.metadata.loop ?? '{}') as LoopState,
  };
}

function checkSetup(path: string, stored: string | undefined, setup: Record<string, unknown>): void {
  const was = JSON.parse(stored ?? '{}') as Record<string, unknown>;
  const differing = Object.keys(setup).filter((k) => canonicalJson(was[k]) !== canonicalJson(setup[k]));
  if (differing.length > 0) {
    const detail = differing
      .map((k) => `${k} ${canonicalJson(was[k])} → ${canonicalJson(setup[k])}`)
      .join(', ');
    throw new InputError(
      `${path}: checkpoint was written by another training setup (${detail}); delete it to start over`,
    );
  }
}
