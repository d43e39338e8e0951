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
}

export interface Layer {
  readonly index: number;
  readonly attnNorm: Norm;
  readonly attn: Attention;
  readonly ffnNorm: Norm;
  readonly ffn: Ffn;
}

export type PositionEncoding =
  | { readonly kind: 'rope'; readonly theta: number; readonly rotaryDim: number }
  | { readonly kind: 'learned'; readonly table: TensorHandle };

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
  readonly embed: TensorHandle; // [vocab, hidden]
  readonly positions: PositionEncoding;
  readonly layers: readonly Layer[];
  readonly finalNorm: Norm;
  /** [vocab, hidden] as `out_in`; for tied models this is the embedding handle itself. */
  readonly lmHead: Linear;
}
