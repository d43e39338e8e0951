/**
 * Deployable precisions of the emitted graphs, named as transformers.js names its `dtype` option, and the file
 * suffix each has in the transformers.js layout (`onnx/model{suffix}.onnx`, DEFAULT_DTYPE_SUFFIX_MAPPING in
 * transformers.js `src/utils/dtypes.js`): `pipeline(..., { dtype: 'q4' })` opens `onnx/model_q4.onnx`.
 *
 * - fp32: float32 math; weights stored as the recipe's `dtype` says (a bf16 checkpoint stays bf16 on disk).
 * - fp16: float16 weights; the linear layers compute in float16, everything between them in float32.
 * - q8: uint8 weights, dynamic uint8 activations (DynamicQuantizeLinear → MatMulInteger), uint8 embedding table.
 * - q4: 4-bit block weights (com.microsoft MatMulNBits, block 32, zero points), int8 activations, float32
 *   embeddings.
 * - q4f16: q4 with float16 activations and scales, float16 embeddings.
 */
export const PRECISIONS = ['fp32', 'fp16', 'q8', 'q4', 'q4f16'] as const;
export type Precision = (typeof PRECISIONS)[number];

export const PRECISION_SUFFIX: Readonly<Record<Precision, string>> = {
  fp32: '',
  fp16: '_fp16',
  q8: '_quantized',
  q4: '_q4',
  q4f16: '_q4f16',
};

/** The 4-bit quantization block (along a linear layer's input dimension). */
export const Q4_BLOCK = 32;

/**
 * MatMulNBits `accuracy_level` 4 for q4 (q4f16 keeps float16 activations): the CPU kernel quantizes the activations
 * to int8 per row and block of Q4_BLOCK inputs and multiplies in integers, as onnxruntime-genai's model builder sets
 * it for CPU and ORT's quantizer offers (`accuracy_level=4`); without it the kernel dequantizes the weights and
 * computes in float32. The weights and the routing at threshold 0 equal the dense graph's (blocks are aligned),
 * but not bit for bit: the MoE sums the full expert's down projection block by block (Σ_j h_j·W_j), which changes
 * the float32 rounding of a layer's output by ~1e-7, and the next layer's int8 rounding turns the rare value on a
 * rounding boundary into a whole step (~max/127). On kjv-llama this stays under 1e-4 of perplexity; on a
 * random-weight 1.1B shape it compounds to +0.12 % over 22 layers (with accuracy_level 0: +0.0000 %, session 6's
 * q4t0 investigation). Measured: docs/benchmarks.md (suite precision), docs/precisions.md.
 */
export const Q4_ACCURACY_LEVEL = 4;

export function isFourBit(p: Precision): boolean {
  return p === 'q4' || p === 'q4f16';
}

/** Precisions whose linear layers take float16 activations. */
export function computesInHalf(p: Precision): boolean {
  return p === 'fp16' || p === 'q4f16';
}

/** `model.onnx` → `model_q4.onnx` (the suffix goes before the extension). */
export function withPrecisionSuffix(file: string, p: Precision): string {
  const dot = file.lastIndexOf('.');
  const suffix = PRECISION_SUFFIX[p];
  return dot < 0 ? `${file}${suffix}` : `${file.slice(0, dot)}${suffix}${file.slice(dot)}`;
}
