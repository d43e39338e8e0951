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
 * computes in float32. A token's activations quantize the same whether the MoE gathers it into a nested block or
 * the dense graph runs it (blocks are aligned), so threshold 0 still equals the dense graph. Measured:
 * docs/benchmarks.md (suite precision), docs/precisions.md.
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
