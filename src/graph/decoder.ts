/**
 * The exact dense decoder graph from the canonical IR, composed of the same parts the one-layer graphs of
 * layer-graph.ts are built from: the embedding (embed.ts), one `decoderLayer` per layer with a pluggable FFN
 * (layer.ts), the final norm and LM head (head.ts). Graph I/O follows Optimum (DESIGN.md §2); debug outputs
 * `hidden_states.{i}`, `mlp_input.{i}`, `mlp_output.{i}` follow the golden references.
 */
import { ELEM, type ExternalDataWriter, GraphBuilder } from '../onnx/builder.js';
import type { ModelIR } from '../ir/model.js';
import type { Precision } from '../ir/precision.js';
import { InputError, InternalError } from '../util/errors.js';
import { DIMS, type FfnBuilder, type WeightDtype } from './context.js';
import { embedTokens } from './embed.js';
import { denseFfn, recordingDenseFfn } from './ffn-dense.js';
import { headOutput } from './head.js';
import { declareInputs, declarePresent } from './io.js';
import { attentionInputs, decoderLayer } from './layer.js';
import { DEBUG, LOGITS } from './names.js';
import { embeddingTable } from './precision/embedding.js';
import { makeContext } from './weights.js';

export interface DecoderOptions {
  readonly name?: string;
  /** Adds `past_key_values.{i}.*` inputs and `present.{i}.*` outputs. */
  readonly withPast?: boolean;
  readonly dtype?: WeightDtype;
  /** How linear layers and the embedding table store and compute (default fp32; precision/linear-weight.ts). */
  readonly precision?: Precision;
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
  const ctx = makeContext(b, ir.config, opts.dtype ?? 'float32', opts.precision);
  const io = declareInputs(ctx, opts.withPast ?? false);
  // Outputs are declared at the end in Optimum's order: logits, present.*, then debug outputs.
  const later: (() => void)[] = [];
  const declare = (name: string, value: string, width: number): void => {
    later.push(() => b.output(name, value, ELEM.float, [DIMS.batch, DIMS.seq, width]));
  };
  const debug = (name: string, value: string): void => {
    if (opts.debugOutputs) declare(name, value, ir.config.hidden);
  };
  const embed = await embeddingTable(ctx, ir);
  let h = await b.scope('embed', () => embedTokens(ctx, ir, { embed, ...io }));
  debug(DEBUG.hiddenStates(0), h);
  const attention = attentionInputs(ctx, ir, { tokens: io.inputIds, ...io, layers: ir.layers });
  const ffn = layerFfn(opts, (i, act) => declare(DEBUG.mlpAct(i), act, ir.config.ffnDim));
  const presents: (() => void)[] = [];
  for (const layer of ir.layers) {
    const past = io.past[layer.index];
    const r = await b.scope(`layers.${layer.index}`, () =>
      decoderLayer(ctx, layer, h, { attention, ir, past, ffn }),
    );
    if (past) presents.push(() => declarePresent(ctx, layer.index, r.attn));
    debug(DEBUG.mlpInput(layer.index), r.ffnIn);
    debug(DEBUG.mlpOutput(layer.index), r.ffnOut);
    debug(DEBUG.layerOutput(layer.index), r.out);
    h = r.out;
    if (layer.index + 1 < ir.layers.length) debug(DEBUG.hiddenStates(layer.index + 1), h);
  }
  const head = await headOutput(ctx, ir, { embed: async () => embed, hidden: h });
  debug(DEBUG.hiddenStates(ir.layers.length), head.normed);
  b.output(LOGITS, head.logits, ELEM.float, [DIMS.batch, DIMS.seq, ir.config.vocabSize]);
  for (const output of [...presents, ...later]) output();
  return b;
}

/** The FFN every layer gets: the given one, or the dense FFN (recording `mlp_act` when asked). */
export function layerFfn(
  opts: Pick<DecoderOptions, 'ffn' | 'activationOutputs'>,
  record: (layer: number, h: string) => void,
): FfnBuilder {
  if (!opts.activationOutputs) return opts.ffn ?? denseFfn;
  if (opts.ffn) throw new InternalError('activationOutputs needs the dense FFN');
  return recordingDenseFfn(record);
}

export function checkShapes(ir: ModelIR): void {
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
  const pos = ir.positions;
  if (pos.kind === 'learned' && (pos.table.shape.length !== 2 || pos.table.shape[1] !== c.hidden)) {
    throw new InputError(
      `${pos.table.file}: ${pos.table.name} has shape [${pos.table.shape.join(', ')}], expected [positions, ${c.hidden}]`,
    );
  }
  for (const rope of pos.kind === 'rope' ? [pos, ...(pos.local ? [pos.local] : [])] : []) {
    if (rope.rotaryDim % 2 !== 0 || rope.rotaryDim > c.headDim) {
      throw new InputError(
        `config.json: rotary dim ${rope.rotaryDim} must be even and ≤ head dim ${c.headDim}`,
      );
    }
  }
}
