/**
 * The normal-equation graph of expert adaptation (experts/adapt-lsq.ts): one batch of FFN activations h [N, m]
 * and dense FFN outputs y [N, d] → hᵀh and hᵀy with a ones column appended to h (so the bias is fit with the
 * weights): `hth` [m+1, m+1], `hty` [m+1, d]. ORT's MatMul does the O(N·m²) work; the caller sums batches in
 * float64.
 */
import { ELEM, GraphBuilder } from '../onnx/builder.js';

export const GRAM_INPUTS = { h: 'h', y: 'y' } as const;
export const GRAM_OUTPUTS = { hth: 'hth', hty: 'hty' } as const;

export function buildGram(a: { ffnDim: number; hidden: number }): GraphBuilder {
  const b = new GraphBuilder('gram');
  const h = b.input(GRAM_INPUTS.h, ELEM.float, ['rows', a.ffnDim]);
  const y = b.input(GRAM_INPUTS.y, ELEM.float, ['rows', a.hidden]);
  const ones = b.constantOfShape(b.concat([b.shape(h, 0, 1), b.i64([1])], 0), 1); // [N, 1]
  const h1 = b.concat([h, ones], 1); // [N, m+1]
  const h1t = b.transpose(h1, [1, 0]); // [m+1, N]
  b.output(GRAM_OUTPUTS.hth, b.matMul(h1t, h1), ELEM.float, [a.ffnDim + 1, a.ffnDim + 1]);
  b.output(GRAM_OUTPUTS.hty, b.matMul(h1t, y), ELEM.float, [a.ffnDim + 1, a.hidden]);
  return b;
}
