/**
 * `routers.safetensors`: one router per layer, tensors `l{l}.w1`, `l{l}.b1` and, for mlp routers, `l{l}.w2`,
 * `l{l}.b2` (F32, row-major [in, out] as RouterWeights); metadata `format` = moefy.routers/1, `kind` (mlp | ridge;
 * files before the router kinds took the recipe's names say `linear` for ridge), `layers`, `d`, `hidden` (0 for ridge), `outputs` and `loss` (mse: outputs are log-errors; bce: outputs are logits
 * of "expert k suffices"). The convert output and training checkpoints use the same file.
 */
import { openSafetensors } from '../checkpoint/safetensors-read.js';
import { type TensorToWrite, writeSafetensors } from '../checkpoint/safetensors-write.js';
import { type ParamKind, paramName, type RouterLoss } from '../graph/router-train-io.js';
import { ROUTER_KINDS, type RouterKind, type RouterWeights } from '../router/spec.js';
import { CheckpointFormatError } from '../util/errors.js';

export const ROUTERS_FORMAT = 'moefy.routers/1';

/** Tensor shapes of one layer's router. */
function layerDims(
  kind: RouterKind,
  s: { d: number; hidden: number; outputs: number },
): [ParamKind, number[]][] {
  if (kind === 'ridge')
    return [
      ['w1', [s.d, s.outputs]],
      ['b1', [s.outputs]],
    ];
  return [
    ['w1', [s.d, s.hidden]],
    ['b1', [s.hidden]],
    ['w2', [s.hidden, s.outputs]],
    ['b2', [s.outputs]],
  ];
}

export async function writeRouters(
  path: string,
  weights: readonly RouterWeights[],
  loss: RouterLoss,
): Promise<void> {
  const first = weights[0]!;
  const shape = { d: first.d, hidden: first.kind === 'mlp' ? first.hidden : 0, outputs: first.outputs };
  const tensors: Record<string, TensorToWrite> = {};
  weights.forEach((w, l) => {
    const values: Partial<Record<ParamKind, Float32Array>> =
      w.kind === 'mlp' ? { w1: w.w1, b1: w.b1, w2: w.w2, b2: w.b2 } : { w1: w.w1, b1: w.b1 };
    for (const [kind, dims] of layerDims(first.kind, shape)) {
      tensors[paramName(l, kind)] = { dtype: 'F32', shape: dims, data: values[kind]! };
    }
  });
  const metadata = {
    format: ROUTERS_FORMAT,
    kind: first.kind,
    layers: String(weights.length),
    loss,
    d: String(shape.d),
    hidden: String(shape.hidden),
    outputs: String(shape.outputs),
  };
  await writeSafetensors(path, tensors, metadata);
}

export async function readRouters(path: string): Promise<{ weights: RouterWeights[]; loss: RouterLoss }> {
  const file = await openSafetensors(path);
  const meta = file.metadata;
  if (meta.format !== ROUTERS_FORMAT)
    throw new CheckpointFormatError(path, `metadata.format: expected ${ROUTERS_FORMAT}, got ${meta.format}`);
  const kind = routerKind(path, meta.kind);
  const [layers, d, outputs] = ['layers', 'd', 'outputs'].map((k) => positive(path, k, meta[k]));
  const hidden = kind === 'mlp' ? positive(path, 'hidden', meta.hidden) : 0;
  const loss = meta.loss;
  if (loss !== 'mse' && loss !== 'bce')
    throw new CheckpointFormatError(path, `metadata.loss: expected mse or bce, got ${loss}`);
  const weights: RouterWeights[] = [];
  for (let l = 0; l < layers!; l++) {
    const values: Partial<Record<ParamKind, Float32Array>> = {};
    for (const [param, dims] of layerDims(kind, { d: d!, hidden, outputs: outputs! })) {
      const info = file.tensors.get(paramName(l, param));
      if (!info || info.shape.join(',') !== dims.join(','))
        throw new CheckpointFormatError(path, `${paramName(l, param)}: expected shape [${dims.join(', ')}]`);
      values[param] = Float32Array.from(await file.readFloat32(paramName(l, param)));
    }
    const output = loss === 'bce' ? ('logit' as const) : ('log-error' as const);
    const base = { d: d!, outputs: outputs!, w1: values.w1!, b1: values.b1!, output };
    weights.push(
      kind === 'mlp' ? { ...base, kind, hidden, w2: values.w2!, b2: values.b2! } : { ...base, kind },
    );
  }
  return { weights, loss };
}

/** `linear` is what files written before the router kinds took the recipe's names call a ridge router. */
function routerKind(path: string, value: string | undefined): RouterKind {
  const kind = value === undefined ? 'mlp' : value === 'linear' ? 'ridge' : value;
  const known = ROUTER_KINDS.find((k) => k === kind);
  if (!known)
    throw new CheckpointFormatError(
      path,
      `metadata.kind: expected ${ROUTER_KINDS.join(' or ')}, got ${kind}`,
    );
  return known;
}

function positive(path: string, key: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CheckpointFormatError(path, `metadata.${key}: expected a positive integer, got ${value}`);
  return n;
}
