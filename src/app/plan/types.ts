/** What `moefy plan` prints and every stage starts from: the resolved recipe and what it implies for this model. */
import type { CheckpointSource } from '../../checkpoint/resolve.js';
import type { FfnKind, ModelConfig, PositionEncoding } from '../../ir/model.js';
import type { Recipe } from '../../recipe/types.js';

export interface PlanInput {
  readonly recipe: Recipe;
  readonly config: ModelConfig;
  /** From the IR's layers (ModelConfig does not carry it): sets the FFN's matrix count. */
  readonly ffnKind: FfnKind;
  /** Learned position tables end at maxPositions; rotary positions run on past it (with no quality promise). */
  readonly positions: PositionEncoding['kind'];
  readonly source: CheckpointSource;
}

export interface PlanModel extends ModelConfig {
  readonly ffnKind: FfnKind;
  /** Matrix and norm parameters (biases and learned position tables left out). */
  readonly params: number;
  /** Dense MACs per token at the evaluation's mean context. */
  readonly denseMacsPerToken: number;
  /** Mean positions attended per token in an evaluation window: (eval.seq_len + 1) / 2. */
  readonly context: number;
}

export interface PlanExpert {
  /** 0-based, as `expert_index` in the MoE graph. */
  readonly index: number;
  readonly neurons: number;
  /** neurons / ffnDim (after rounding to experts.align). */
  readonly fraction: number;
  /** FFN MACs per token summed over all layers when every token uses this expert. */
  readonly ffnMacsPerToken: number;
  /** Whole-model MACs (routers included) / dense MACs, at the evaluation's mean context. */
  readonly flopsFraction: number;
}

export interface PlanRouter {
  readonly kind: Recipe['router']['kind'];
  readonly paramsPerLayer: number;
  readonly params: number;
  /** Summed over layers. */
  readonly macsPerToken: number;
  /** macsPerToken / dense MACs per token. */
  readonly flopsFraction: number;
}

export interface PlanMemory {
  /** Three layers of float32 weights: the one being transformed, the one read ahead, the one being written. */
  readonly layersBytes: number;
  /** One layer's calibration rows: FFN inputs, dense outputs, activations, router targets (float32). */
  readonly calibrationBytes: number;
  /** Evaluation: MoE and dense graphs loaded side by side plus one batch of logits. */
  readonly evalBytes: number;
  /** max(conversion, evaluation) + the runtime's own baseline. */
  readonly peakBytes: number;
}

export interface PlanDisk {
  readonly moeGraphBytes: number;
  readonly denseGraphBytes: number;
  readonly routersBytes: number;
  readonly totalBytes: number;
}

export interface PlanTime {
  readonly ioSeconds: number;
  readonly calibrationSeconds: number;
  readonly trainSeconds: number;
  readonly evalSeconds: number;
  readonly totalSeconds: number;
  /** The assumptions behind the numbers, printed with them. */
  readonly basis: string;
}

export interface Plan {
  readonly recipe: Recipe;
  readonly source: CheckpointSource;
  readonly model: PlanModel;
  readonly experts: readonly PlanExpert[];
  readonly router: PlanRouter;
  readonly memory: PlanMemory;
  readonly disk: PlanDisk;
  readonly time: PlanTime;
  readonly warnings: readonly string[];
}
