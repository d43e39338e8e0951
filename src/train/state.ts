/**
 * Training state as ORT tensors keyed by graph input name (router-train-io.ts): params and AdamW moments. A step's
 * output tensors become the next step's inputs as they are; JS arrays appear only at checkpoints and at the end.
 */
import {
  PARAMS,
  type RouterGraphShape,
  momentName,
  paramDims,
  paramName,
  stateNames,
  updatedName,
} from '../graph/router-train-io.js';
import type { RouterWeights } from '../router/spec.js';
import type { Tensor } from '../runtime/session.js';
import { float32Tensor, readFloat32 } from '../runtime/tensors.js';
import { InternalError } from '../util/errors.js';

export type StateTensors = Record<string, Tensor>;

type Shape = Pick<RouterGraphShape, 'd' | 'hidden' | 'outputs'>;

function paramsOf(w: RouterWeights): Record<(typeof PARAMS)[number], Float32Array> {
  if (w.kind !== 'mlp') throw new InternalError('router training needs mlp routers');
  return { w1: w.w1, b1: w.b1, w2: w.w2, b2: w.b2 };
}

/** Param tensors of every layer (copies: the caller's weights are never aliased by training). */
export function paramTensors(weights: readonly RouterWeights[], shape: Shape): StateTensors {
  const out: StateTensors = {};
  weights.forEach((w, l) => {
    const params = paramsOf(w);
    for (const kind of PARAMS)
      out[paramName(l, kind)] = float32Tensor(params[kind].slice(), paramDims(shape, kind));
  });
  return out;
}

/** Params plus zero moments: the state before step 1. */
export function initialState(weights: readonly RouterWeights[], shape: Shape): StateTensors {
  const state = paramTensors(weights, shape);
  weights.forEach((_, l) => {
    for (const kind of PARAMS) {
      const dims = paramDims(shape, kind);
      const size = dims.reduce((a, b) => a * b, 1);
      for (const m of ['m', 'v'] as const)
        state[momentName(l, kind, m)] = float32Tensor(new Float32Array(size), dims);
    }
  });
  return state;
}

/** The state after a step: each state input's `.out` tensor, untouched. */
export function nextState(outputs: Record<string, Tensor>, layers: number): StateTensors {
  const next: StateTensors = {};
  for (const name of stateNames(layers)) {
    const t = outputs[updatedName(name)];
    if (!t) throw new InternalError(`train step returned no ${updatedName(name)}`);
    next[name] = t;
  }
  return next;
}

/** Just the param tensors of a state (what the loss graph takes, what "best weights" keeps). */
export function paramsOnly(state: StateTensors, layers: number): StateTensors {
  const out: StateTensors = {};
  for (let l = 0; l < layers; l++)
    for (const kind of PARAMS) out[paramName(l, kind)] = state[paramName(l, kind)]!;
  return out;
}

export function weightsFromTensors(params: StateTensors, shape: RouterGraphShape): RouterWeights[] {
  return Array.from({ length: shape.layers }, (_, l) => {
    const read = (kind: (typeof PARAMS)[number]) =>
      Float32Array.from(readFloat32(params[paramName(l, kind)]!));
    return {
      kind: 'mlp',
      d: shape.d,
      hidden: shape.hidden,
      outputs: shape.outputs,
      w1: read('w1'),
      b1: read('b1'),
      w2: read('w2'),
      b2: read('b2'),
    };
  });
}
