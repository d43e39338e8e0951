/** Parameter counts per part of a model, from tensor shapes alone (nothing is read). */
import type { Linear, ModelIR, Norm, TensorHandle } from './model.js';

export interface ParameterCounts {
  /** Token embedding plus a learned position table, if any. */
  embeddings: number;
  attention: number;
  ffn: number;
  norms: number;
  /** 0 when tied: the head is the embedding matrix, already counted. */
  lmHead: number;
  total: number;
}

export function elementCount(shape: readonly number[]): number {
  return shape.reduce((acc, d) => acc * d, 1);
}

const sizeOf = (handle: TensorHandle | undefined): number => (handle ? elementCount(handle.shape) : 0);
const linearSize = (l: Linear | undefined): number => (l ? sizeOf(l.weight) + sizeOf(l.bias) : 0);
const normSize = (n: Norm): number => sizeOf(n.weight) + sizeOf(n.bias);

export function countParameters(ir: ModelIR): ParameterCounts {
  const positionTable = ir.positions.kind === 'learned' ? sizeOf(ir.positions.table) : 0;
  const embeddings = sizeOf(ir.embed) + positionTable;
  let attention = 0;
  let ffn = 0;
  let norms = normSize(ir.finalNorm);
  for (const layer of ir.layers) {
    const { q, k, v, o } = layer.attn;
    attention += linearSize(q) + linearSize(k) + linearSize(v) + linearSize(o);
    const { ffn: f } = layer;
    ffn += (f.kind === 'gated' ? linearSize(f.gate) : 0) + linearSize(f.up) + linearSize(f.down);
    norms += normSize(layer.attnNorm) + normSize(layer.ffnNorm);
  }
  const lmHead = ir.lmHead.weight === ir.embed ? 0 : linearSize(ir.lmHead);
  return { embeddings, attention, ffn, norms, lmHead, total: embeddings + attention + ffn + norms + lmHead };
}
