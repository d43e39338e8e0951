/**
 * The normal-equation graph of expert adaptation (experts/adapt-lsq.ts), one block of rows at a time: a batch of
 * FFN activations h [N, m] and dense FFN outputs y [N, d], with a ones column appended to h (so the bias is fit
 * with the weights), and a row range [start, end) of [h 1] → `hth` = [h 1][:, start:end]ᵀ [h 1][:, :end]
 * [end − start, end] (the block's part of the lower triangle of [h 1]ᵀ[h 1], diagonal block included) and
 * `hty` = [h 1][:, start:end]ᵀ y [end − start, d]. Why blocks: the whole (m+1)² float32 Gram is 822 MB at
 * Llama-3-8B's FFN 14336, on top of the float64 sums; a block of rows is a few tens of MB, and the upper
 * triangle (the mirror) is never computed. ORT's MatMul does the O(N·m²) work; the caller sums in float64.
 */
import { ELEM, GraphBuilder } from '../onnx/builder.js';

export const GRAM_INPUTS = { h: 'h', y: 'y', start: 'start', end: 'end' } as const;
export const GRAM_OUTPUTS = { hth: 'hth', hty: 'hty' } as const;

export function buildGram(a: { ffnDim: number; hidden: number }): GraphBuilder {
  const b = new GraphBuilder('gram');
  const h = b.input(GRAM_INPUTS.h, ELEM.float, ['rows', a.ffnDim]);
  const y = b.input(GRAM_INPUTS.y, ELEM.float, ['rows', a.hidden]);
  const start = b.input(GRAM_INPUTS.start, ELEM.int64, [1]);
  const end = b.input(GRAM_INPUTS.end, ELEM.int64, [1]);
  const ones = b.constantOfShape(b.concat([b.shape(h, 0, 1), b.i64([1])], 0), 1); // [N, 1]
  const h1 = b.concat([h, ones], 1); // [N, m+1]
  const block = b.transpose(b.slice(h1, { starts: start, ends: end, axes: [1] }), [1, 0]); // [end − start, N]
  const left = b.slice(h1, { starts: [0], ends: end, axes: [1] }); // [N, end]
  b.output(GRAM_OUTPUTS.hth, b.matMul(block, left), ELEM.float, ['block', 'end']);
  b.output(GRAM_OUTPUTS.hty, b.matMul(block, y), ELEM.float, ['block', a.hidden]);
  return b;
}
