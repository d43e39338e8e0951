/**
 * The canonical model: what every stage after checkpoint loading sees, whatever the family.
 * Tensors are lazy handles; nothing here holds weights.
 */

/** Storage dtypes of safetensors that moefy reads. */
export type DType = 'F64' | 'F32' | 'F16' | 'BF16' | 'I64' | 'I32' | 'I16' | 'I8' | 'U8' | 'BOOL';

/** A tensor still on disk. `read()` loads this one tensor (and only it) and upcasts floats to float32. */
export interface TensorHandle {
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly number[];
  /** File the bytes live in (absolute path); for derived views, the file of the underlying tensor. */
  readonly file: string;
  read(): Promise<Float32Array>;
  /**
   * The tensor's bytes exactly as stored (little-endian), streamed in bounded chunks and checked finite as they
   * pass; for F32/F16/BF16 tensors of a file, absent for derived views. Each chunk is valid until the next one is
   * requested. Lets a graph keep the checkpoint's bytes as they are instead of decoding and re-encoding them.
   * A derived handle (a slice, a view) must not copy this from its source.
   */
  readonly stored?: () => StoredBytes;
  /**
   * Rows [first, first + count) of dim 0 as a handle of their own, read from the file by byte offset (the LM head
   * in vocabulary chunks, the embedding rows of the ids in use): for float tensors of a file, absent for derived
   * views (src/ir/tensor-rows.ts reads those whole).
   */
  readonly rows?: (first: number, count: number) => TensorHandle;
}

/** Bytes produced chunk by chunk; `chunks()` yields exactly `byteLength` bytes in order. */
export interface StoredBytes {
  readonly byteLength: number;
  chunks(): Iterable<Uint8Array>;
}

/**
 * How a linear layer's weight is stored: `out_in` = [out, in] (torch.nn.Linear, y = x Wᵀ),
 * `in_out` = [in, out] (GPT-2 Conv1D, y = x W).
 */
export type WeightLayout = 'out_in' | 'in_out';

export interface Linear {
  /** For a view into a fused projection (GPT-2 `c_attn`, Phi-3 `qkv_proj` / `gate_up_proj`), the fused tensor's name. */
  readonly fusedFrom?: string;
  readonly weight: TensorHandle;
  readonly bias?: TensorHandle;
  readonly layout: WeightLayout;
  readonly inFeatures: number;
  readonly outFeatures: number;
}

export type NormKind = 'rms' | 'layer';

export interface Norm {
  readonly kind: NormKind;
  readonly weight: TensorHandle;
  readonly bias?: TensorHandle;
  readonly eps: number;
  /**
   * Added to the stored gain before it scales (Gemma: y = x̂ · (1 + w), with `1 + w` formed in float32); 0 or
   * absent for the usual y = x̂ · w.
   */
  readonly gainOffset?: number;
}

/** FFN activations as HF names them (`hidden_act` / `activation_function`). */
export type Activation = 'silu' | 'gelu' | 'gelu_new' | 'gelu_pytorch_tanh' | 'relu';

/** gated: down(act(gate(x)) ⊙ up(x)) (Llama); plain: down(act(up(x))) (GPT-2). */
export type FfnKind = Ffn['kind'];

interface FfnBase {
  readonly activation: Activation;
  readonly up: Linear;
  readonly down: Linear;
}

export interface GatedFfn extends FfnBase {
  readonly kind: 'gated';
  readonly gate: Linear;
}

export interface PlainFfn extends FfnBase {
  readonly kind: 'plain';
}

export type Ffn = GatedFfn | PlainFfn;

export interface Attention {
  readonly q: Linear;
  readonly k: Linear;
  readonly v: Linear;
  readonly o: Linear;
  /** Per-head RMSNorm of queries and keys before RoPE, gain [headDim] shared by the heads (Qwen3, Gemma 3). */
  readonly qNorm?: Norm;
  readonly kNorm?: Norm;
}

export interface Layer {
  readonly index: number;
  readonly attnNorm: Norm;
  readonly attn: Attention;
  readonly ffnNorm: Norm;
  readonly ffn: Ffn;
  /** Gemma 2/3: norms of the attention and FFN outputs, applied before each residual add. */
  readonly postAttnNorm?: Norm;
  readonly postFfnNorm?: Norm;
  /**
   * Sliding-window attention: query i sees keys j with i − window < j ≤ i (absolute positions in the sequence,
   * cache included). Absent: the whole causal prefix.
   */
  readonly window?: number;
  /** Which RoPE table the layer rotates with: the model's (`global`) or `positions.local` (Gemma 3 sliding layers). */
  readonly rope: 'global' | 'local';
}

/**
 * How RoPE frequencies are derived from the plain inv_freq[i] = θ^(−2i/rotaryDim) (transformers' rope types):
 * `linear` divides them by `factor`; `llama3` divides the low ones and blends the middle band; `longrope` divides
 * each by its own short or long factor — long when the sequence (largest position + 1) exceeds
 * `originalMaxPositions`, decided per forward pass — and scales cos/sin by `attentionFactor`.
 */
export type RopeScaling =
  | { readonly type: 'default' }
  | { readonly type: 'linear'; readonly factor: number }
  | {
      readonly type: 'llama3';
      readonly factor: number;
      readonly lowFreqFactor: number;
      readonly highFreqFactor: number;
      readonly originalMaxPositions: number;
    }
  | {
      readonly type: 'longrope';
      readonly shortFactor: readonly number[];
      readonly longFactor: readonly number[];
      readonly originalMaxPositions: number;
      readonly attentionFactor: number;
    };

export interface Rope {
  readonly theta: number;
  /** Channels rotated at the start of each head (partial rotary: < headDim; the rest pass through). */
  readonly rotaryDim: number;
  readonly scaling: RopeScaling;
}

export type PositionEncoding =
  | ({
      readonly kind: 'rope';
      /** The table of layers with `rope: 'local'` (Gemma 3). */ readonly local?: Rope;
    } & Rope)
  | { readonly kind: 'learned'; readonly table: TensorHandle };

/** Attention and logit math beyond the Llama defaults (each absent = the default). */
export interface ModelMath {
  /** Token embeddings are multiplied by this (Gemma: √hidden, rounded to the compute dtype in the graph). */
  readonly embedScale?: number;
  /** Scores are (q·k) / √attnScalar; default headDim (Gemma: `query_pre_attn_scalar`). */
  readonly attnScalar?: number;
  /** Scores become c·tanh(s / c) before the mask (Gemma 2 `attn_logit_softcapping`). */
  readonly attnSoftcap?: number;
  /** Logits become c·tanh(l / c) (Gemma 2 `final_logit_softcapping`). */
  readonly finalSoftcap?: number;
}

export interface ModelConfig {
  /** Family spec id (`llama`, `gpt2`) and the HF architecture string it matched. */
  readonly family: string;
  readonly architecture: string;
  readonly vocabSize: number;
  readonly hidden: number;
  readonly numLayers: number;
  readonly numHeads: number;
  readonly numKvHeads: number;
  readonly headDim: number;
  readonly ffnDim: number;
  readonly maxPositions: number;
  readonly tiedEmbeddings: boolean;
  /** dtype the checkpoint declares (`torch_dtype`), informative only. */
  readonly sourceDtype: string;
}

export interface ModelIR {
  readonly config: ModelConfig;
  readonly math: ModelMath;
  readonly embed: TensorHandle; // [vocab, hidden]
  readonly positions: PositionEncoding;
  readonly layers: readonly Layer[];
  readonly finalNorm: Norm;
  /** [vocab, hidden] as `out_in`; for tied models this is the embedding handle itself. */
  readonly lmHead: Linear;
}
