/**
 * Every name an emitted graph exposes: the contract between the builders (src/graph) and whoever feeds or reads
 * the graphs (runtime feeds, calibration, evaluation, generation, tests). Optimum's decoder names (DESIGN.md §2),
 * the MoE graphs' extra I/O, the part graphs' hidden-state I/O (layer-graph.ts), and the debug outputs the golden
 * references and calibration read.
 */

export const INPUT_IDS = 'input_ids'; // int64 [batch, seq]
export const ATTENTION_MASK = 'attention_mask'; // int64 [batch, past + seq]
export const POSITION_IDS = 'position_ids'; // int64 [batch, seq]
export const LOGITS = 'logits'; // float32 [batch, seq, vocab]

export const KV_PARTS = ['key', 'value'] as const;
export type KvPart = (typeof KV_PARTS)[number];
/** KV-cache input of a layer: float32 [batch, kv_heads, past, head_dim]. */
export const pastName = (layer: number, part: KvPart): string => `past_key_values.${layer}.${part}`;
/** KV-cache output of a layer: float32 [batch, kv_heads, past + seq, head_dim]. */
export const presentName = (layer: number, part: KvPart): string => `present.${layer}.${part}`;

/** MoE graphs: the router threshold, float32 []. A true input: ORT ignores feeds for initializers. */
export const ROUTER_THRESHOLD = 'router_threshold';
/** Input-choice MoE graph: every token's expert, int64 [layers, batch, seq]. */
export const EXPERT_CHOICE = 'expert_choice';
/** MoE graphs: the expert each token took, int64 [layers, batch, seq] (0-based into the expert sizes). */
export const EXPERT_INDEX = 'expert_index';
/** Model metadata key of a fixed-threshold graph: the threshold it has baked in (its I/O cannot say so). */
export const FIXED_THRESHOLD_METADATA = 'moefy.router_threshold';

/** Part graphs of layer-graph.ts (embedding, one layer, head): hidden states in and out, float32 [batch, seq, hidden]. */
export const HIDDEN_IN = 'hidden_in';
export const HIDDEN_OUT = 'hidden_out';

/**
 * Debug outputs of a one-layer graph (layer-graph.ts), bare: `mlp_input`. The whole graph's carry the layer index
 * (`DEBUG`): `mlp_input.3`.
 */
export const LAYER_DEBUG = {
  hiddenStates: 'hidden_states',
  mlpInput: 'mlp_input',
  mlpOutput: 'mlp_output',
  layerOutput: 'layer_output',
  mlpAct: 'mlp_act',
  /** The residual stream entering the FFN norm (the router's log‖r‖ feature reads its norm). */
  ffnResidual: 'ffn_residual',
} as const;

const perLayer =
  (base: string) =>
  (i: number): string =>
    `${base}.${i}`;

/** Debug outputs of `buildDecoder` (`debugOutputs`, `activationOutputs`), named as the golden references. */
export const DEBUG = {
  /** Residual stream entering layer i (i = layers: after the final norm), [batch, seq, hidden]. */
  hiddenStates: perLayer(LAYER_DEBUG.hiddenStates),
  /** Layer i's normalized FFN input x, [batch, seq, hidden]. */
  mlpInput: perLayer(LAYER_DEBUG.mlpInput),
  /** Layer i's FFN output y, [batch, seq, hidden]. */
  mlpOutput: perLayer(LAYER_DEBUG.mlpOutput),
  /** Layer i's output r + y (un-normed), [batch, seq, hidden]. */
  layerOutput: perLayer(LAYER_DEBUG.layerOutput),
  /** Layer i's FFN activation h = act(gate) ⊙ up, [batch, seq, ffn]. */
  mlpAct: perLayer(LAYER_DEBUG.mlpAct),
} as const;
