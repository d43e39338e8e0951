/** What the calibration stage keeps per layer (calibrate.ts writes it; experts, adapt, targets and router read it). */
export interface LayerCalibration {
  readonly rows: number;
  /** [rows, hidden] sampled FFN inputs (after the FFN norm). */
  readonly x: Float32Array;
  /** [rows] ‖r + y‖: the norm of the layer's output at each sampled token. */
  readonly outputNorms: Float32Array;
  /** [rows] ‖r‖: the norm of the residual stream entering the FFN norm (the router's log‖r‖ input reads it). */
  readonly residualNorms?: Float32Array;
  /**
   * [rows] the calibration window each row came from. Every layer samples the same token positions (one reservoir
   * seed), so row r is the same token in every layer and held-out splits can take whole windows.
   */
  readonly windows: Int32Array;
  /** [ffnDim] E|h_i| over every calibration token. */
  readonly meanAbs: Float32Array;
  /** [groupRows, ffnDim] sampled activations, present when grouping needs them. */
  readonly h?: { rows: number; data: Float32Array };
}
