/**
 * The token embedding table in the graph's precision, and the tied LM head that reuses it. Conventions of the
 * community conversions (transformers.js scripts/quantize.py over ORT's quantizers):
 *   fp32, q4   float32 table (MatMul4BitsQuantizer quantizes MatMul only; Gather stays float)
 *   fp16, q4f16 float16 table (float16.convert_float_to_float16 converts every initializer); Gather, then Cast
 *   q8         uint8 table, one scale and zero point (quantize_dynamic's GatherQuant); Gather, DequantizeLinear
 * A tied head is a linear layer over the same values: in q4/q4f16 the table's rows, quantized, become its own
 * MatMulNBits weight (as Optimum's export gives the head its own initializer, which the 4-bit quantizer then
 * quantizes); in the other precisions it multiplies by the transposed table, which ORT folds at load.
 */
import { float32ToHalfBits } from '../../checkpoint/float-convert.js';
import type { ModelIR } from '../../ir/model.js';
import { isFourBit } from '../../ir/precision.js';
import { ELEM } from '../../onnx/builder.js';
import { quantizeUint8Tensor } from '../../onnx/quantize-uint8.js';
import type { DecoderContext } from '../context.js';
import { storeLinear } from './linear-store.js';
import { applyLinear, type LinearWeight } from './linear-weight.js';

export interface EmbeddingTable {
  /** ids int64 [B, T] → float32 [B, T, H]. */
  gather(ids: string): string;
  /** x float32 [B, T, H] → logits float32 [B, T, V] through the table (tied heads; built on first use). */
  tiedHead(x: string): Promise<string>;
}

export async function embeddingTable(ctx: DecoderContext, ir: ModelIR): Promise<EmbeddingTable> {
  const { b } = ctx;
  const { embed } = ir;
  const [vocab, hidden] = [ir.config.vocabSize, ir.config.hidden];
  const p = ctx.precision;
  // The head's weight is the table's rows [V, H]: out_in layout, quantized along H in 4-bit precisions.
  const rowsHead = async (): Promise<LinearWeight> =>
    storeLinear(ctx, { name: embed.name, data: await embed.read(), k: hidden, n: vocab, layout: 'out_in' });
  if (p === 'fp32' || p === 'q4') {
    const table = ctx.keep(embed) ?? ctx.weight(embed.name, await embed.read(), [vocab, hidden]);
    return {
      gather: (ids) => b.gather(table, ids),
      tiedHead: async (x) =>
        p === 'fp32' ? b.matMul(x, b.transpose(table, [1, 0])) : applyLinear(ctx, await rowsHead(), x),
    };
  }
  const data = await embed.read(); // [V, H]
  if (p === 'q8') {
    const q = quantizeUint8Tensor(data);
    const values = b.weight(`${embed.name}.q8`, ELEM.uint8, [vocab, hidden], q.values);
    const scale = b.weight(`${embed.name}.q8.scale`, ELEM.float, [], q.scales);
    const zero = b.weight(`${embed.name}.q8.zero_point`, ELEM.uint8, [], q.zeroPoints);
    return {
      gather: (ids) => b.op('DequantizeLinear', [b.gather(values, ids), scale, zero])[0]!,
      tiedHead: async (x) =>
        applyLinear(ctx, { kind: 'uint8', values: b.transpose(values, [1, 0]), scale, zero }, x),
    };
  }
  const half = b.weight(embed.name, ELEM.float16, [vocab, hidden], float32ToHalfBits(data, 'F16'));
  return {
    gather: (ids) => b.cast(b.gather(half, ids), ELEM.float),
    tiedHead: async (x) => {
      const head: LinearWeight = isFourBit(p)
        ? await rowsHead()
        : { kind: 'float', value: b.transpose(half, [1, 0]), half: true };
      return applyLinear(ctx, head, x);
    },
  };
}
