/**
 * The exact dense decoder graph from the canonical IR: embeddings (+ learned positions), per layer
 * x + attn(norm(x)) then x + ffn(norm(x)) with a pluggable FFN, final norm and LM head. Graph I/O follows Optimum
 * (DESIGN.md §2); debug outputs `hidden_states.{i}`, `mlp_input.{i}`, `mlp_output.{i}` follow the golden references.
 */
import { ELEM, type ExternalDataWriter, GraphBuilder } from '../onnx/builder.js';
import type { Layer, ModelIR } from '../ir/model.js';
import { InputError, InternalError } from '../util/errors.js';
import { attention, type AttentionIo, type AttentionResult } from './attention.js';
import { DIMS, type DecoderContext, type FfnBuilder, type WeightDtype } from './context.js';
import { denseFfn, recordingDenseFfn } from './ffn-dense.js';
import { declareInputs, type DecoderInputs } from './io.js';
import { DEBUG, LOGITS, presentName } from './names.js';
import { attentionBias } from './mask.js';
import { norm } from './norms.js';
import { ropeTables, type RopeTables } from './rope.js';
import { linear, makeContext } from './weights.js';

export interface DecoderOptions {
  readonly name?: string;
  /** Adds `past_key_values.{i}.*` inputs and `present.{i}.*` outputs. */
  readonly withPast?: boolean;
  readonly dtype?: WeightDtype;
  /** The FFN of every layer (default: the dense FFN). */
  readonly ffn?: FfnBuilder;
  /** Adds `hidden_states.{i}`, `mlp_input.{i}`, `mlp_output.{i}`, `layer_output.{i}` (un-normed) outputs. */
  readonly debugOutputs?: boolean;
  /** Adds `mlp_act.{i}` [batch, seq, ffnDim] (h = act(gate)⊙up, for calibration); dense FFN only. */
  readonly activationOutputs?: boolean;
  /** Where weights stream to; without one they are inlined (tiny graphs only). */
  readonly data?: ExternalDataWriter;
}

/** Builds the decoder; the caller may declare more outputs on the returned builder before `model()`. */
export async function buildDecoder(ir: ModelIR, opts: DecoderOptions = {}): Promise<GraphBuilder> {
  checkShapes(ir);
  const b = new GraphBuilder(opts.name ?? 'decoder', opts.data);
  const ctx = makeContext(b, ir.config, opts.dtype ?? 'float32');
  const io = declareInputs(ctx, opts.withPast ?? false);
  // Outputs are declared at the end in Optimum's order: logits, present.*, then debug outputs.
  const presents: (() => void)[] = [];
  const debugs: (() => void)[] = [];
  const debug = (name: string, value: string): void => {
    if (opts.debugOutputs)
      debugs.push(() => b.output(name, value, ELEM.float, [DIMS.batch, DIMS.seq, ir.config.hidden]));
  };
  const embed =
    ctx.keep(ir.embed) ??
    ctx.weight(ir.embed.name, await ir.embed.read(), [ir.config.vocabSize, ir.config.hidden]);
  let h = await b.scope('embed', () => embedTokens(ctx, ir, embed, io));
  debug(DEBUG.hiddenStates(0), h);
  const rope: RopeTables | undefined =
    ir.positions.kind === 'rope' ? ropeTables(ctx, io.positionIds, ir.positions) : undefined;
  const bias = attentionBias(ctx, io.inputIds, io.attentionMask);
  const ffn = activationFfn(opts, (i, act) =>
    debugs.push(() => b.output(DEBUG.mlpAct(i), act, ELEM.float, [DIMS.batch, DIMS.seq, ir.config.ffnDim])),
  );
  for (const layer of ir.layers) {
    const past = io.past[layer.index];
    const r = await b.scope(`layers.${layer.index}`, () =>
      decoderLayer(ctx, layer, h, { bias, rope, past, ffn }),
    );
    if (past) presents.push(() => declarePresent(ctx, layer.index, r.attn));
    debug(DEBUG.mlpInput(layer.index), r.ffnIn);
    debug(DEBUG.mlpOutput(layer.index), r.ffnOut);
    debug(DEBUG.layerOutput(layer.index), r.out);
    h = r.out;
    if (layer.index + 1 < ir.layers.length) debug(DEBUG.hiddenStates(layer.index + 1), h);
  }
  const final = await b.scope('final_norm', () => norm(ctx, ir.finalNorm, h));
  debug(DEBUG.hiddenStates(ir.layers.length), final);
  const logits = await b.scope('lm_head', () => lmHead(ctx, ir, embed, final));
  b.output(LOGITS, logits, ELEM.float, [DIMS.batch, DIMS.seq, ir.config.vocabSize]);
  for (const declare of [...presents, ...debugs]) declare();
  return b;
}

function activationFfn(opts: DecoderOptions, record: (layer: number, h: string) => void): FfnBuilder {
  if (!opts.activationOutputs) return opts.ffn ?? denseFfn;
  if (opts.ffn) throw new InternalError('activationOutputs needs the dense FFN');
  return recordingDenseFfn(record);
}

/** x + attn(norm(x)), then + ffn(norm(·)): x [B, T, H] → [B, T, H]. */
async function decoderLayer(
  ctx: DecoderContext,
  layer: Layer,
  x: string,
  io: AttentionIo & { ffn: FfnBuilder },
): Promise<{ out: string; attn: AttentionResult; ffnIn: string; ffnOut: string }> {
  const { b } = ctx;
  const attnIn = await b.scope('attn_norm', () => norm(ctx, layer.attnNorm, x));
  const attn = await b.scope('attn', () => attention(ctx, layer, attnIn, io));
  const mid = b.add(x, attn.out);
  const ffnIn = await b.scope('ffn_norm', () => norm(ctx, layer.ffnNorm, mid));
  const ffnOut = await b.scope('ffn', () => io.ffn(ctx, layer, ffnIn, mid));
  return { out: b.add(mid, ffnOut), attn, ffnIn, ffnOut };
}

async function embedTokens(
  ctx: DecoderContext,
  ir: ModelIR,
  embed: string,
  io: DecoderInputs,
): Promise<string> {
  const tokens = ctx.b.gather(embed, io.inputIds); // [B, T, H]
  if (ir.positions.kind !== 'learned') return tokens;
  const { table } = ir.positions;
  const wpe =
    ctx.keep(table) ?? ctx.weight(table.name, await table.read(), [table.shape[0]!, ir.config.hidden]);
  return ctx.b.add(tokens, ctx.b.gather(wpe, io.positionIds));
}

/** Tied heads reuse the embedding initializer (written once) through an in-graph Transpose ORT folds at load. */
async function lmHead(ctx: DecoderContext, ir: ModelIR, embed: string, x: string): Promise<string> {
  const tied = ir.lmHead.weight.name === ir.embed.name && ir.lmHead.weight.file === ir.embed.file;
  if (!tied) return linear(ctx, ir.lmHead, x);
  return ctx.b.matMul(x, ctx.b.transpose(embed, [1, 0])); // [B, T, H] × [H, V]
}

function declarePresent(ctx: DecoderContext, index: number, a: { key: string; value: string }): void {
  const dims = [DIMS.batch, ctx.config.numKvHeads, DIMS.total, ctx.config.headDim];
  ctx.b.output(presentName(index, 'key'), a.key, ELEM.float, dims);
  ctx.b.output(presentName(index, 'value'), a.value, ELEM.float, dims);
}

function checkShapes(ir: ModelIR): void {
  const c = ir.config;
  const where = `${ir.embed.file}: ${ir.embed.name}`;
  if (ir.embed.shape[0] !== c.vocabSize || ir.embed.shape[1] !== c.hidden) {
    throw new InputError(
      `${where} has shape [${ir.embed.shape.join(', ')}], expected [${c.vocabSize}, ${c.hidden}]`,
    );
  }
  if (c.numHeads % c.numKvHeads !== 0) {
    throw new InputError(
      `config.json: ${c.numHeads} attention heads are not a multiple of ${c.numKvHeads} kv heads`,
    );
  }
  if (ir.positions.kind === 'learned') {
    const { table } = ir.positions;
    if (table.shape.length !== 2 || table.shape[1] !== c.hidden) {
      throw new InputError(
        `${table.file}: ${table.name} has shape [${table.shape.join(', ')}], expected [positions, ${c.hidden}]`,
      );
    }
  }
  if (
    ir.positions.kind === 'rope' &&
    (ir.positions.rotaryDim % 2 !== 0 || ir.positions.rotaryDim > c.headDim)
  ) {
    throw new InputError(
      `config.json: rotary dim ${ir.positions.rotaryDim} must be even and ≤ head dim ${c.headDim}`,
    );
  }
}
