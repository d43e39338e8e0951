/** The decoder's graph inputs (Optimum names, DESIGN.md §2). */
import { ELEM } from '../onnx/builder.js';
import { DIMS, type DecoderContext } from './context.js';
import { ATTENTION_MASK, INPUT_IDS, pastName, POSITION_IDS } from './names.js';

export interface DecoderInputs {
  readonly inputIds: string; // int64 [B, T]
  readonly attentionMask: string; // int64 [B, past + T]
  readonly positionIds: string; // int64 [B, T]
  /** Per layer, when the graph has a KV cache: float [B, kvHeads, past, headDim]. */
  readonly past: readonly ({ key: string; value: string } | undefined)[];
}

export function declareInputs(ctx: DecoderContext, withPast: boolean): DecoderInputs {
  const { b, config } = ctx;
  const inputIds = b.input(INPUT_IDS, ELEM.int64, [DIMS.batch, DIMS.seq]);
  const attentionMask = b.input(ATTENTION_MASK, ELEM.int64, [DIMS.batch, withPast ? DIMS.total : DIMS.seq]);
  const positionIds = b.input(POSITION_IDS, ELEM.int64, [DIMS.batch, DIMS.seq]);
  const dims = [DIMS.batch, config.numKvHeads, DIMS.past, config.headDim];
  const past = Array.from({ length: config.numLayers }, (_, i) =>
    withPast
      ? {
          key: b.input(pastName(i, 'key'), ELEM.float, dims),
          value: b.input(pastName(i, 'value'), ELEM.float, dims),
        }
      : undefined,
  );
  return { inputIds, attentionMask, positionIds, past };
}
