/**
 * `routers.safetensors`: one router per layer, tensors `l{l}.w1`, `l{l}.b1` and, for mlp routers, `l{l}.w2`,
 * `l{l}.b2` (F32, row-major [in, out] as RouterWeights); metadata `format` = moefy.routers/1, `kind` (mlp | ridge;
 * files before the router kinds took the recipe's names say `linear` for ridge), `layers`, `d`, `hidden` (0 for
 * ridge), `outputs`, `loss` (mse: outputs are log-errors; bce: outputs are logits of "expert k suffices") and
 * `input` (spec.ts RouterInput; absent in older files: normed), which makes w1 [d + 1, ·] for normed+log_norm.
 * The convert output and training checkpoints use the same file.
 */
import { openSafetensors } from '../checkpoint/safetensors-read.js';
import { type TensorToWrite, writeSafetensors } from '../checkpoint/safetensors-write.js';
import { type ParamKind, paramName, type RouterLoss } from '../graph/router-train-io.js';
import {
  inputWidth,
  ROUTER_INPUTS,
  ROUTER_KINDS,
  type RouterInput,
  type RouterKind,
  type RouterWeights,
} from '../router/spec.js';
import { CheckpointFormatError } from '../util/errors.js';

export const ROUTERS_FORMAT = 'moefy.routers/1';

/** Tensor shapes of one layer's router. */
function layerDims(
  kind: RouterKind,
  s: { d: number; hidden: number; outputs: number; input: RouterInput },
): [ParamKind, number[]][] {
  const width = inputWidth(s);
  if (kind === 'ridge')
    return [
      ['w1', [width, s.outputs]],
      ['b1', [s.outputs]],
    ];
  return [
    ['w1', [width, s.hidden]],
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
  const shape = {
    d: first.d,
    hidden: first.kind === 'mlp' ? first.hidden : 0,
    outputs: first.outputs,
    input: first.input ?? 'normed',
  };
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
    // Written only when it is not the default, so a normed router's file stays byte for byte what it was.
    ...(shape.input !== 'normed' && { input: shape.input }),
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
  const input = routerInput(path, meta.input);
  const loss = meta.loss;
  if (loss !== 'mse' && loss !== 'bce')
    throw new CheckpointFormatError(path, `metadata.loss: expected mse or bce, got ${loss}`);
  const weights: RouterWeights[] = [];
  for (let l = 0; l < layers!; l++) {
    const values: Partial<Record<ParamKind, Float32Array>> = {};
    for (const [param, dims] of layerDims(kind, { d: d!, hidden, outputs: outputs!, input })) {
      const info = file.tensors.get(paramName(l, param));
      if (!info || info.shape.join(',') !== dims.join(','))
        throw new CheckpointFormatError(path, `${paramName(l, param)}: expected shape [${dims.join(', ')}]`);
      values[param] = Float32Array.from(await file.readFloat32(paramName(l, param)));
    }
    const output = loss === 'bce' ? ('logit' as const) : ('log-error' as const);
    const base = {
      d: d!,
      outputs: outputs!,
      w1: values.w1!,
      b1: values.b1!,
      output,
      ...(input !== 'normed' && { input }),
    };
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

/** Absent in files written before the router input was a choice: those routers read x alone. */
function routerInput(path: string, value: string | undefined): RouterInput {
  const input = ROUTER_INPUTS.find((k) => k === (value ?? 'normed'));
  if (!input)
    throw new CheckpointFormatError(
      path,
      `metadata.input: expected ${ROUTER_INPUTS.join(' or ')}, got ${value}`,
    );
  return input;
}

function positive(path: string, key: string, value: string | undefined): number {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 1)
    throw new CheckpointFormatError(path, `metadata.${key}: expected a positive integer, got ${value}`);
  return n;
}
