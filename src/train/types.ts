/** The training loop's options, progress reports and summary (the manifest records the summary). */
import type { RouterLoss } from '../graph/router-train-io.js';
import type { RouterWeights } from '../router/spec.js';
import type { Device } from '../runtime/device.js';

/** One layer's training rows: FFN inputs x [n, d] and targets [n, K−1] (log-errors for mse, 0/1 labels for bce). */
export interface LayerRows {
  readonly x: Float32Array;
  readonly z: Float32Array;
}

export type LrSchedule = 'cosine' | 'constant';

export interface TrainProgress {
  readonly step: number;
  readonly steps: number;
  /** Mean over layers of this step's batch loss. */
  readonly trainLoss: number;
  /** Latest held-out loss (mean over layers), null before the first evaluation or without a held-out split. */
  readonly heldoutLoss: number | null;
  readonly lr: number;
  readonly tokensPerSecond: number;
  readonly etaSeconds: number;
}

export interface CheckpointOptions {
  readonly dir: string;
  /** Write routers.safetensors + optimizer.safetensors every this many steps (and at the end). */
  readonly every: number;
  /** Continue from an optimizer.safetensors found in `dir` (default true). */
  readonly resume?: boolean;
}

export interface TrainRoutersOptions {
  /** Per layer; every layer has the same n (the same calibration tokens). */
  readonly rows: readonly LayerRows[];
  /** Starting weights per layer: mlp routers of one shape (d, hidden, K−1). */
  readonly init: readonly RouterWeights[];
  readonly steps: number;
  readonly batch: number;
  readonly lr: number;
  readonly schedule?: LrSchedule;
  /** Fraction of rows held out for evaluation and early stopping, in [0, 1); 0 disables both. */
  readonly heldout?: number;
  /**
   * Each row's calibration window (the same tokens in every layer): the held-out split then takes whole windows.
   * Absent: rows are split one by one.
   */
  readonly groups?: Int32Array;
  /** Held-out evaluations without improvement before training stops. */
  readonly patience?: number;
  /** Steps between held-out evaluations. */
  readonly evalEvery?: number;
  readonly seed?: number;
  readonly device?: Device;
  /** ORT intra-op threads (ORT's default when absent). */
  readonly threads?: number;
  readonly loss?: RouterLoss;
  readonly weightDecay?: number;
  readonly beta1?: number;
  readonly beta2?: number;
  readonly eps?: number;
  readonly onProgress?: (progress: TrainProgress) => void;
  readonly checkpoint?: CheckpointOptions;
}

export interface TrainSummary {
  /** The last step run (the resumed run's steps included). */
  readonly steps: number;
  readonly final_train_loss: number;
  /**
   * Held-out loss of the returned weights on the held-out rows that did not select them (the `report` half of the
   * split; the `select` half chose the best step); null without such rows.
   */
  readonly final_heldout_loss: number | null;
  /** The step whose weights are returned (the best held-out step, or the last step). */
  readonly best_step: number;
  readonly seconds: number;
  readonly device: Device;
  /** Training rows per second over the steps this call ran (each row feeds every layer). */
  readonly tokens_per_s: number;
}

export interface TrainResult {
  readonly weights: RouterWeights[];
  readonly summary: TrainSummary;
}
