/**
 * The decoder cut into standalone graphs, for running a model one part at a time (layer-sequential calibration and
 * evaluation, DESIGN.md §3): the embedding, one decoder layer, the head. They are built from the very parts of the
 * whole graph (embed.ts, layer.ts, head.ts), so run one after another they compute what the whole graph computes.
 *
 *   embed:  input_ids, position_ids                      → hidden_out
 *   layer:  hidden_in, attention_mask, position_ids [, past_key_values.{i}.*]
 *                                                        → hidden_out [, present.{i}.*] [, mlp_input, mlp_output,
 *                                                          ffn_residual, mlp_act]
 *   head:   hidden_in                                    → logits [, hidden_states (the final norm's output)]
 *
 * position_ids is declared by every embed and layer graph, used where the model needs it (learned positions in the
 * embedding, RoPE in the layers), so one set of feeds fits every part.
 */
import type { ModelIR } from '../ir/model.js';
import type { Precision } from '../ir/precision.js';
import { ELEM, GraphBuilder, type WeightSink } from '../onnx/builder.js';
import { InputError } from '../util/errors.js';
import { DIMS, type DecoderContext, type FfnBuilder, type WeightDtype } from './context.js';
import { checkShapes, layerFfn } from './decoder.js';
import { embedTokens } from './embed.js';
import { headOutput } from './head.js';
import { declareAttentionInputs, declarePast, declarePresent } from './io.js';
import { attentionInputs, decoderLayer } from './layer.js';
import { HIDDEN_IN, HIDDEN_OUT, INPUT_IDS, LAYER_DEBUG, LOGITS } from './names.js';
import { embeddingTable } from './precision/embedding.js';
import { makeContext } from './weights.js';

export interface PartGraphOptions {
  readonly dtype?: WeightDtype;
  /**
   * Where weights stream to; parts sharing one writer share the weights they have in common (a tied head). A
   * `WeightInputs` sink makes them graph inputs (layer-sequential runs on CPU).
   */
  readonly data?: WeightSink;
  /** How linear layers and the embedding table store and compute, as in the whole graph (default fp32). */
  readonly precision?: Precision;
}

export interface LayerGraphOptions extends PartGraphOptions {
  /** Adds `past_key_values.{i}.*` inputs and `present.{i}.*` outputs (i = the layer's index). */
  readonly withPast?: boolean;
  /** The layer's FFN (default: the dense FFN); the MoE FFN plugs in here as in the whole graph. */
  readonly ffn?: FfnBuilder;
  /** Adds `mlp_input`, `mlp_output` and `ffn_residual` (the stream the FFN norm reads) [batch, seq, hidden]. */
  readonly debugOutputs?: boolean;
  /** Adds `mlp_act` [batch, seq, ffnDim] (dense FFN only). */
  readonly activationOutputs?: boolean;
}

export async function buildEmbedGraph(ir: ModelIR, opts: PartGraphOptions = {}): Promise<GraphBuilder> {
  checkShapes(ir);
  const { b, ctx } = part(ir, 'embed', opts);
  const inputIds = b.input(INPUT_IDS, ELEM.int64, [DIMS.batch, DIMS.seq]);
  const { positionIds } = declareAttentionInputs(ctx, false);
  const embed = await embeddingTable(ctx, ir);
  const h = await b.scope('embed', () => embedTokens(ctx, ir, { embed, inputIds, positionIds }));
  hiddenOutput(ctx, HIDDEN_OUT, h);
  return b;
}

/** Layer `index` alone; the caller may declare more outputs on the returned builder before `model()`. */
export async function buildLayerGraph(
  ir: ModelIR,
  index: number,
  opts: LayerGraphOptions = {},
): Promise<GraphBuilder> {
  checkShapes(ir);
  const layer = ir.layers[index];
  if (!layer) throw new InputError(`layer ${index}: the model has layers 0..${ir.layers.length - 1}`);
  const { b, ctx } = part(ir, `layer.${index}`, opts);
  const x = b.input(HIDDEN_IN, ELEM.float, [DIMS.batch, DIMS.seq, ir.config.hidden]);
  const inputs = declareAttentionInputs(ctx, opts.withPast ?? false);
  const past = opts.withPast ? declarePast(ctx, index) : undefined;
  const later: (() => void)[] = [];
  const ffn = layerFfn(opts, (_, act) =>
    later.push(() => b.output(LAYER_DEBUG.mlpAct, act, ELEM.float, [DIMS.batch, DIMS.seq, ir.config.ffnDim])),
  );
  const attention = attentionInputs(ctx, ir, { tokens: x, ...inputs, layers: [layer] });
  const r = await b.scope(`layers.${index}`, () => decoderLayer(ctx, layer, x, { attention, ir, past, ffn }));
  hiddenOutput(ctx, HIDDEN_OUT, r.out);
  if (past) declarePresent(ctx, index, r.attn);
  if (opts.debugOutputs) {
    hiddenOutput(ctx, LAYER_DEBUG.mlpInput, r.ffnIn);
    hiddenOutput(ctx, LAYER_DEBUG.mlpOutput, r.ffnOut);
    hiddenOutput(ctx, LAYER_DEBUG.ffnResidual, r.ffnResidual);
  }
  for (const output of later) output();
  return b;
}

export async function buildHeadGraph(ir: ModelIR, opts: PartGraphOptions = {}): Promise<GraphBuilder> {
  checkShapes(ir);
  const { b, ctx } = part(ir, 'head', opts);
  const hidden = b.input(HIDDEN_IN, ELEM.float, [DIMS.batch, DIMS.seq, ir.config.hidden]);
  const head = await headOutput(ctx, ir, { embed: () => embeddingTable(ctx, ir), hidden });
  b.output(LOGITS, head.logits, ELEM.float, [DIMS.batch, DIMS.seq, ir.config.vocabSize]);
  hiddenOutput(ctx, LAYER_DEBUG.hiddenStates, head.normed);
  return b;
}

function part(ir: ModelIR, name: string, opts: PartGraphOptions): { b: GraphBuilder; ctx: DecoderContext } {
  const b = new GraphBuilder(name, opts.data);
  return { b, ctx: makeContext(b, ir.config, opts.dtype ?? 'float32', opts.precision) };
}

function hiddenOutput(ctx: DecoderContext, name: string, value: string): void {
  ctx.b.output(name, value, ELEM.float, [DIMS.batch, DIMS.seq, ctx.config.hidden]);
}
