/**
 * Names and shapes of the router train-step and router-loss graphs' I/O, shared by the graph builders and the
 * training loop (src/train/) so both sides agree on every tensor name.
 *
 * Per layer l: params `l{l}.w1` [d, r], `l{l}.b1` [r], `l{l}.w2` [r, K−1], `l{l}.b2` [K−1]; AdamW moments
 * `l{l}.w1.m`, `l{l}.w1.v`, …; batch `l{l}.x` [B, d] and `l{l}.target` [B, K−1]. Shared scalars `step`
 * (1-based, as a float) and `lr`. Every updated state tensor comes out as `<input name>.out`.
 */
import { ELEM, type ElemType } from '../onnx/builder.js';

export type RouterLoss = 'mse' | 'bce';
export type GraphFloat = 'float32' | 'float64';

export interface RouterGraphShape {
  readonly layers: number;
  readonly d: number;
  /** r: the router's hidden width. */
  readonly hidden: number;
  /** K−1: one output per non-full expert. */
  readonly outputs: number;
  readonly loss: RouterLoss;
  readonly dtype: GraphFloat;
}

export const PARAMS = ['w1', 'b1', 'w2', 'b2'] as const;
export type ParamKind = (typeof PARAMS)[number];

/** Weight decay applies to the matrices only, never to biases. */
export const DECAYED: ReadonlySet<ParamKind> = new Set(['w1', 'w2']);

/** Symbolic batch dimension of every graph here. */
export const BATCH = 'batch';

export const STEP_INPUT = 'step';
export const LR_INPUT = 'lr';
export const LOSS_OUTPUT = 'loss';

export function paramName(layer: number, kind: ParamKind): string {
  return `l${layer}.${kind}`;
}
export function momentName(layer: number, kind: ParamKind, moment: 'm' | 'v'): string {
  return `${paramName(layer, kind)}.${moment}`;
}
export function batchName(layer: number, part: 'x' | 'target'): string {
  return `l${layer}.${part}`;
}
export function layerLossName(layer: number): string {
  return `l${layer}.loss`;
}
/** The graph output carrying the updated value of state input `name`. */
export function updatedName(name: string): string {
  return `${name}.out`;
}

export function paramDims(
  shape: Pick<RouterGraphShape, 'd' | 'hidden' | 'outputs'>,
  kind: ParamKind,
): number[] {
  const { d, hidden, outputs } = shape;
  return { w1: [d, hidden], b1: [hidden], w2: [hidden, outputs], b2: [outputs] }[kind];
}

/** Every state tensor of a train step (params, then m and v), in a fixed order: the loop's feed/fetch list. */
export function stateNames(layers: number): string[] {
  const names: string[] = [];
  for (let l = 0; l < layers; l++) {
    for (const kind of PARAMS)
      names.push(paramName(l, kind), momentName(l, kind, 'm'), momentName(l, kind, 'v'));
  }
  return names;
}

export function elemOf(dtype: GraphFloat): ElemType {
  return dtype === 'float64' ? ELEM.double : ELEM.float;
}
