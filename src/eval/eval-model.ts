/**
 * What the evaluation runs: the emitted graphs of one output directory, the model shape the compute figures need,
 * and the token windows and settings of a sweep. Built by app/eval.ts from the manifest; pure data here.
 */
import type { RouterShape } from '../ir/flops.js';
import type { FfnKind, ModelConfig } from '../ir/model.js';
import type { CacheShape } from '../runtime/decoder-feeds.js';

export interface EvalGraphs {
  /** Router-driven MoE graph (`router_threshold` input). */
  readonly learned: string;
  /** Oracle-routed MoE graph (`router_threshold` input, true errors in-graph). */
  readonly oracle: string;
  /** Input-choice MoE graph (`expert_choice` input). */
  readonly choice: string;
  /** Absent when the directory has none (`output.dense: false`): only the layer-by-layer sweep can run then. */
  readonly dense?: string;
}

export interface EvalModel {
  readonly config: ModelConfig;
  readonly ffnKind: FfnKind;
  /** Neurons per nested expert, ascending; the last is ffnDim. */
  readonly expertSizes: readonly number[];
  /** The learned router's shape (its cost enters the FLOPs fraction of learned points). */
  readonly router: RouterShape;
  readonly graphs: EvalGraphs;
}

export interface LatencySettings {
  /** Prompt tokens of the prefill timing. */
  readonly seq: number;
  readonly repeats: number;
  /** Tokens decoded one at a time with the KV cache after the prefill. */
  readonly decodeTokens: number;
  /** ORT intra-op threads; 0 = the runtime's default. */
  readonly threads: number;
}

export function cacheShape(config: ModelConfig): CacheShape {
  return { layers: config.numLayers, kvHeads: config.numKvHeads, headDim: config.headDim };
}
