/**
 * Every name an emitted graph exposes: the contract between the builders (src/graph) and whoever feeds or reads
 * the graphs (runtime feeds, calibration, evaluation, generation, tests). Optimum's decoder names (DESIGN.md §2),
 * the MoE graphs' extra I/O, and the per-layer debug outputs the golden references and calibration read.
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

/** Debug outputs of `buildDecoder` (`debugOutputs`, `activationOutputs`), named as the golden references. */
export const DEBUG = {
  /** Residual stream entering layer i (i = layers: after the final norm), [batch, seq, hidden]. */
  hiddenStates: (i: number): string => `hidden_states.${i}`,
  /** Layer i's normalized FFN input x, [batch, seq, hidden]. */
  mlpInput: (i: number): string => `mlp_input.${i}`,
  /** Layer i's FFN output y, [batch, seq, hidden]. */
  mlpOutput: (i: number): string => `mlp_output.${i}`,
  /** Layer i's output r + y (un-normed), [batch, seq, hidden]. */
  layerOutput: (i: number): string => `layer_output.${i}`,
  /** Layer i's FFN activation h = act(gate) ⊙ up, [batch, seq, ffn]. */
  mlpAct: (i: number): string => `mlp_act.${i}`,
} as const;
