/**
 * 8-bit weight quantization as ONNX Runtime's dynamic quantizer writes it for `MatMulInteger` and `Gather`
 * (onnxruntime/python/tools/quantization quantize_dynamic, IntegerOps mode, the mode transformers.js
 * `scripts/quantize.py` uses for `model_quantized.onnx`) with weight type QUInt8: quant_utils.compute_scale_zp maps
 * [min(min, 0), max(max, 0)] onto [0, 255], scale = (hi − lo) / 255, zp = round(−lo / scale),
 * q = clamp(round(w / scale) + zp, 0, 255), numpy rounding (ties to even); an all-zero range gets scale 1, zp 0.
 *
 * Unsigned, not QInt8 (transformers.js's default): with uint8 activations, MLAS's u8s8 kernel on x86 CPUs without
 * VNNI multiplies with VPMADDUBSW, whose int16 pair sums saturate (255 · 127 · 2 > 32767). Measured on this
 * machine's AVX2 EPYC: a u8s8 product of 80 inputs was off by 0.25 where u8u8 was off by 0.010. ORT's quantization
 * guide names the same cure (U8U8, or reduce_range). Per output column (per_channel=True) for linear layers.
 */
import { InternalError } from '../util/errors.js';

const QMAX = 255;

export interface Uint8Weights {
  readonly values: Uint8Array;
  /** One scale and zero point per output column, or one for the whole tensor. */
  readonly scales: Float32Array;
  readonly zeroPoints: Uint8Array;
}

/** Per output column of W [K, N] (row-major, y = x W): ORT's per_channel=True along axis 1. */
export function quantizeUint8Columns(data: Float32Array, k: number, n: number): Uint8Weights {
  if (data.length !== k * n) throw new InternalError(`uint8: ${data.length} values for [${k}, ${n}]`);
  const lo = new Float32Array(n);
  const hi = new Float32Array(n);
  for (let r = 0; r < k; r++) {
    for (let c = 0, at = r * n; c < n; c++, at++) {
      const v = data[at]!;
      if (v < lo[c]!) lo[c] = v;
      if (v > hi[c]!) hi[c] = v;
    }
  }
  const params = Array.from({ length: n }, (_, c) => scaleZero(lo[c]!, hi[c]!));
  const values = new Uint8Array(k * n);
  for (let r = 0; r < k; r++) {
    for (let c = 0, at = r * n; c < n; c++, at++) values[at] = quantize(data[at]!, params[c]!);
  }
  return {
    values,
    scales: Float32Array.from(params, (p) => p.scale),
    zeroPoints: Uint8Array.from(params, (p) => p.zero),
  };
}

/** One scale and zero point for the whole tensor (ORT's per-tensor mode; the embedding table's Gather). */
export function quantizeUint8Tensor(data: Float32Array): Uint8Weights {
  let [lo, hi] = [0, 0];
  for (const v of data) {
    if (v < lo) lo = v;
    if (v > hi) hi = v;
  }
  const p = scaleZero(lo, hi);
  return {
    values: Uint8Array.from(data, (v) => quantize(v, p)),
    scales: Float32Array.of(p.scale),
    zeroPoints: Uint8Array.of(p.zero),
  };
}

interface Params {
  readonly scale: number;
  readonly zero: number;
}

/** compute_scale_zp: float64 range, zero point from the float64 scale, then the scale as float32. */
function scaleZero(lo: number, hi: number): Params {
  const scale = (hi - lo) / QMAX;
  if (scale < 1.1754943508222875e-38) return { scale: 1, zero: 0 }; // numpy.finfo(float32).tiny
  return { scale: Math.fround(scale), zero: roundHalfEven(0 - lo / scale) };
}

function quantize(v: number, p: Params): number {
  const q = roundHalfEven(Math.fround(v / p.scale)) + p.zero;
  return q < 0 ? 0 : q > QMAX ? QMAX : q;
}

/** numpy.round: ties to even. */
export function roundHalfEven(x: number): number {
  const r = Math.round(x);
  return Math.abs(x % 1) === 0.5 && r % 2 !== 0 ? r - 1 : r;
}
