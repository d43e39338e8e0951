/** What `moefy plan` prints and `convert` executes: the resolved recipe and what it implies for this model. */
import type { CheckpointSource } from '../../checkpoint/resolve.js';
import type { FfnKind, ModelConfig, PositionEncoding } from '../../ir/model.js';
import type { Recipe } from '../../recipe/types.js';
import type { RouterKind } from '../../router/spec.js';
import type { Device } from '../../runtime/device.js';
import type { Precision } from '../../ir/precision.js';
import type { GraphRole } from '../shared/manifest.js';
import type { MachineRate } from './machine-rate.js';

/** What planning needs of a model: its shapes, never its weights (from the IR, or from an output's manifest). */
export interface ModelShape {
  readonly config: ModelConfig;
  /** From the IR's layers (ModelConfig does not carry it): sets the FFN's matrix count. */
  readonly ffnKind: FfnKind;
  /** Learned position tables end at maxPositions; rotary positions run on past it (with no quality promise). */
  readonly positions: PositionEncoding['kind'];
  readonly source: CheckpointSource;
}

/**
 * What is known about this machine: devices that were probed and cannot run graphs here, with the reason. A device
 * that was not probed counts as usable (app/plan/environment.ts probes the devices a recipe asks for).
 */
export interface Environment {
  readonly unavailable: Readonly<Partial<Record<Device, string>>>;
  /** This machine's physical RAM; absent: the plan's peak is checked only against `memory.ram_gb`. */
  readonly ramBytes?: number;
  /**
   * ONNX Runtime's throughput on the model stages' device, measured now (app/plan/machine-rate.ts); absent: times
   * are priced at the rate of the box the estimates were calibrated on, quiet.
   */
  readonly machineRate?: MachineRate;
}

/** The stages `convert` runs after resolving the model, in order. */
export const STAGES = ['calibrate', 'experts', 'targets', 'router', 'emit', 'eval'] as const;
export type StageName = (typeof STAGES)[number];

export interface PlanInput {
  readonly recipe: Recipe;
  readonly model: ModelShape;
  readonly environment: Environment;
  /** The stages that will run (default all): only their checks apply (`moefy eval` runs only `eval`). */
  readonly stages?: readonly StageName[];
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
  readonly kind: RouterKind;
  /** r of the mlp router; null for ridge. */
  readonly hidden: number | null;
  readonly paramsPerLayer: number;
  readonly params: number;
  /** Summed over layers. */
  readonly macsPerToken: number;
  /** macsPerToken / dense MACs per token. */
  readonly flopsFraction: number;
}

export interface PlanMemory {
  /** Two decoder layers of float32 weights: the resident part graph's session and the next one being built. */
  readonly layersBytes: number;
  /**
   * One vocabulary chunk of the LM head in float32 (the evaluation applies the head a chunk at a time,
   * eval/head-scores.ts; a tied q8 head whole), with its transposed copy while the part is built.
   */
  readonly headBytes: number;
  /** The embedding rows of the ids in use, float32 (at most one per calibration or eval token). */
  readonly embedBytes: number;
  /** Hidden states in flight (calibration, or every eval point's) with one batch of outputs or logits. */
  readonly hiddenBytes: number;
  /**
   * Every layer's calibration rows and targets (float32), read back by the targets and router stages, and the
   * adapted experts' weights of every layer (float32), read back by targets, emit and eval.
   */
  readonly calibrationBytes: number;
  /** Expert adaptation in the calibration pass: one layer's normal equations and solve workspace. */
  readonly adaptBytes: number;
  /** Latency timings: the four whole graphs open side by side (0 when eval.latency.enabled is false). */
  readonly evalBytes: number;
  /** max(layer-sequential stages, latency) + calibration rows + the runtime's own baseline. */
  readonly peakBytes: number;
}

export interface PlanDisk {
  /** Includes the adapted experts' weights (`adaptedBytes`). */
  readonly moeGraphBytes: number;
  /** The adapted experts' extra weights in the MoE graph's data (0 for `experts.adapt: none`). */
  readonly adaptedBytes: number;
  readonly denseGraphBytes: number;
  readonly routersBytes: number;
  /** The graphs of output.dtypes besides fp32. */
  readonly precisionGraphBytes: number;
  readonly totalBytes: number;
}

export interface PlanTime {
  readonly ioSeconds: number;
  readonly calibrationSeconds: number;
  /** The targets stage: one probe graph per layer built from the checkpoint (JavaScript-bound). */
  readonly targetsSeconds: number;
  readonly trainSeconds: number;
  readonly evalSeconds: number;
  readonly totalSeconds: number;
  /** The assumptions behind the numbers, printed with them. */
  readonly basis: string;
  /** ORT's measured rate on the stages' device that priced these times (FLOP/s); null: the reference box's. */
  readonly measuredFlopsPerSecond: number | null;
}

/** The work of each stage, with the device it runs on. */
export interface PlanStages {
  readonly calibrate: {
    readonly device: Device;
    /** Windows of seqLen tokens run through the dense graph (fewer if the text runs out). */
    readonly windows: number;
    readonly seqLen: number;
    readonly rowsPerLayer: number;
  };
  readonly experts: {
    readonly ordering: Recipe['experts']['ordering'];
    readonly grouping: Recipe['experts']['grouping'];
    /** Expert adaptation (`experts.adapt`) and what it adds to the model (0 for `none`). */
    readonly adapt: {
      readonly method: Recipe['experts']['adapt'];
      readonly ridge: number;
      /** Σ_l Σ_{k<K} (n_k + 1)·d: each smaller expert's own down projection and bias. */
      readonly extraParams: number;
    };
  };
  readonly targets: { readonly device: Device; readonly rowsPerLayer: number; readonly errorsPerRow: number };
  /** The closed-form ridge fit always runs; `train` is the mlp router's ORT training (null for ridge). */
  readonly router: { readonly train: { readonly device: Device; readonly steps: number } | null };
  /** Graphs in the order they are written. */
  readonly emit: {
    readonly graphs: readonly {
      readonly role: GraphRole;
      readonly file: string;
      readonly dtype: Precision;
    }[];
  };
  readonly eval: {
    readonly device: Device;
    /** Windows of seqLen tokens scored per point (fewer if the text runs out). */
    readonly windows: number;
    readonly seqLen: number;
    /**
     * dense + one static point per expert + learned and oracle at every threshold, + per other precision of
     * output.dtypes its dense and learned points (plan/precisions.ts).
     */
    readonly points: number;
    /** Points whose graphs are timed (the oracle's are not). */
    readonly timed: number;
  };
}

export interface Plan {
  readonly recipe: Recipe;
  readonly source: CheckpointSource;
  readonly model: PlanModel;
  readonly experts: readonly PlanExpert[];
  readonly router: PlanRouter;
  readonly stages: PlanStages;
  readonly memory: PlanMemory;
  readonly disk: PlanDisk;
  readonly time: PlanTime;
  readonly warnings: readonly string[];
  /** Why the estimated peak does not fit the RAM the conversion may use (ram-check.ts); convert refuses then. */
  readonly ramProblem: string | null;
}
