/**
 * What every decoder subgraph builder receives: the graph builder, the model config, the dims of the graph I/O
 * and the weight store (which applies the stored dtype). Pluggable FFNs (dense, MoE) have the `FfnBuilder` type.
 */
import type { GraphBuilder } from '../onnx/builder.js';
import type { Layer, ModelConfig, TensorHandle } from '../ir/model.js';
import type { Precision } from '../ir/precision.js';

/**
 * Stored weight precision. float16/bfloat16 weights are stored as such and Cast to float32 in the graph (ORT folds
 * the Cast at load): math stays f32, and a checkpoint's own bf16/f16 values reach it exactly.
 */
export type WeightDtype = 'float32' | 'float16' | 'bfloat16';

/**
 * The dtype activations flow in between ops. Only float32 today; scalars the model rounds to it (Gemma's √hidden
 * embedding scale) go through `roundToCompute`, and norms upcast to float32 whatever it is (as transformers does), so
 * a lower compute dtype changes those two places, not the builders.
 */
export type ComputeDtype = 'float32';

/** `value` as the compute dtype holds it (transformers: `torch.tensor(value, dtype=hidden_states.dtype)`). */
export function roundToCompute(value: number, dtype: ComputeDtype): number {
  switch (dtype) {
    case 'float32':
      return Math.fround(value);
  }
}

/** Symbolic dimension names of the graph I/O (Optimum's). */
export const DIMS = {
  batch: 'batch_size',
  seq: 'sequence_length',
  past: 'past_sequence_length',
  total: 'total_sequence_length',
} as const;

export interface DecoderContext {
  readonly b: GraphBuilder;
  readonly config: ModelConfig;
  readonly dtype: WeightDtype;
  readonly compute: ComputeDtype;
  /** How linear layers store their weights and compute (precision/linear-weight.ts); `dtype` holds the rest. */
  readonly precision: Precision;
  /** Stores a float32 tensor as a weight in `dtype` and returns a float32 value of it. */
  weight(name: string, data: Float32Array, dims: readonly number[]): string;
  /**
   * Stores the transpose [cols, rows] of row-major `data` [rows, cols] as above, written block by block so no
   * second whole-size buffer exists (the largest tensors, LM heads and embeddings, are hundreds of MB).
   */
  weightTransposed(name: string, data: Float32Array, rows: number, cols: number): string;
  /**
   * A checkpoint tensor kept bit for bit, in its stored layout, when its storage dtype is `dtype`: its bytes are
   * copied, never decoded and re-encoded. Undefined otherwise (the caller reads it and uses `weight`).
   */
  keep(handle: TensorHandle): string | undefined;
}

/**
 * A layer's FFN: `x` is the normalized FFN input [batch, seq, hidden], the result the FFN output before the
 * residual add [batch, seq, hidden]; `residual` [batch, seq, hidden] is the stream that output is added to (the
 * oracle measures errors against it). The MoE FFN implements the same type and plugs into the same decoder.
 */
export type FfnBuilder = (ctx: DecoderContext, layer: Layer, x: string, residual: string) => Promise<string>;
