/**
 * Router stage: per layer, map FFN inputs x to the K−1 log-error targets z. `ridge` is the closed-form linear fit;
 * `mlp` trains Linear → SiLU → Linear on ORT (src/train/) starting from the recipe's seed.
 */
import { join } from 'node:path';
import { openSafetensors } from '../../checkpoint/safetensors-read.js';
import { writeSafetensors, type TensorToWrite } from '../../checkpoint/safetensors-write.js';
import { routerForward } from '../../router/forward.js';
import { RidgeAccumulator } from '../../router/ridge.js';
import type { RouterWeights } from '../../router/spec.js';
import { InputError } from '../../util/errors.js';

export const ROUTERS_FILE = 'routers.safetensors';

export interface LayerRows {
  readonly rows: number;
  readonly x: Float32Array; // [rows, d]
  readonly z: Float32Array; // [rows, K−1]
}

export interface RidgeFit {
  readonly weights: RouterWeights[];
  /** Mean squared error of the fit on its own rows, per layer. */
  readonly mse: number[];
}

export function fitRidgeRouters(rows: readonly LayerRows[], d: number, lambda: number): RidgeFit {
  const weights: RouterWeights[] = [];
  const mse: number[] = [];
  for (const layer of rows) {
    const outputs = layer.z.length / layer.rows;
    const acc = new RidgeAccumulator(d, outputs);
    acc.add(layer.x, layer.z, layer.rows);
    const w = acc.solve(lambda);
    weights.push(w);
    mse.push(fitError(w, layer));
  }
  return { weights, mse };
}

function fitError(w: RouterWeights, layer: LayerRows): number {
  const p = routerForward(w, layer.x, layer.rows); // [rows, K−1]
  let sum = 0;
  for (let i = 0; i < p.length; i++) sum += (p[i]! - layer.z[i]!) ** 2;
  return sum / p.length;
}

/** routers.safetensors: `layers.{i}.w1|b1|w2|b2`, metadata kind/d/outputs/hidden. */
export async function writeRouters(dir: string, routers: readonly RouterWeights[]): Promise<string> {
  const tensors: Record<string, TensorToWrite> = {};
  routers.forEach((r, i) => {
    const inner = r.kind === 'mlp' ? r.hidden! : r.outputs;
    tensors[`layers.${i}.w1`] = { dtype: 'F32', shape: [r.d, inner], data: r.w1 };
    tensors[`layers.${i}.b1`] = { dtype: 'F32', shape: [inner], data: r.b1 };
    if (r.w2 && r.b2) {
      tensors[`layers.${i}.w2`] = { dtype: 'F32', shape: [inner, r.outputs], data: r.w2 };
      tensors[`layers.${i}.b2`] = { dtype: 'F32', shape: [r.outputs], data: r.b2 };
    }
  });
  const first = routers[0];
  const path = join(dir, ROUTERS_FILE);
  await writeSafetensors(path, tensors, {
    kind: first?.kind ?? 'linear',
    layers: String(routers.length),
    d: String(first?.d ?? 0),
    outputs: String(first?.outputs ?? 0),
    hidden: String(first?.hidden ?? 0),
  });
  return path;
}

export async function readRouters(path: string): Promise<RouterWeights[]> {
  const file = await openSafetensors(path);
  const meta = file.metadata;
  const kind = meta.kind === 'mlp' ? 'mlp' : meta.kind === 'linear' ? 'linear' : undefined;
  const layers = Number(meta.layers);
  if (!kind || !Number.isInteger(layers)) {
    throw new InputError(`${path}: metadata kind/layers missing; not a moefy routers file`);
  }
  const out: RouterWeights[] = [];
  for (let i = 0; i < layers; i++) {
    const w1 = await file.readFloat32(`layers.${i}.w1`);
    const b1 = await file.readFloat32(`layers.${i}.b1`);
    const base = { kind, d: Number(meta.d), outputs: Number(meta.outputs), w1, b1 } as const;
    out.push(
      kind === 'mlp'
        ? {
            ...base,
            hidden: Number(meta.hidden),
            w2: await file.readFloat32(`layers.${i}.w2`),
            b2: await file.readFloat32(`layers.${i}.b2`),
          }
        : base,
    );
  }
  return out;
}
