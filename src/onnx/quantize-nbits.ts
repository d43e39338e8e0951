/**
 * 4-bit block quantization in the layout of ONNX Runtime's com.microsoft `MatMulNBits` (docs/ContribOperators.md),
 * reproducing what ORT's own quantizer writes (`MatMul4BitsQuantizer` / `DefaultWeightOnlyQuantizer`, whose
 * default is asymmetric: `quantize_matmul_4bits` → MLAS `BlockwiseQuantizer::quantizeAndTranspose` in
 * onnxruntime/core/mlas/lib/q4_dq.cpp). For B = W [K, N] (y = x W), every column n is cut along K into blocks of
 * `block` values; per block, with lo = min(min, 0) and hi = max(max, 0):
 *   scale = (hi − lo) / 15,  zp = clamp(round(−lo / scale), 0, 15),  q = clamp(round(v / scale + zp), 0, 15)
 * and v ≈ (q − zp) · scale. Tensors:
 *   B           uint8 [N, ceil(K / block), block / 2]   two values per byte, the even k in the low nibble
 *   scales      [N · ceil(K / block)]                    column-major: column n's blocks are contiguous
 *   zero_points uint8 [N · ceil(ceil(K / block) / 2)]    two blocks per byte, low nibble first; padding nibble 8
 * A K that is not a multiple of `block` leaves a short last block whose missing values pack as 0.
 */
import { InternalError } from '../util/errors.js';

export interface Nbits4 {
  readonly k: number;
  readonly n: number;
  readonly block: number;
  /** Blocks per column: ceil(k / block). */
  readonly blocks: number;
  readonly packed: Uint8Array;
  /** float32 values (the caller stores them as float16 for q4f16 after `roundScales`). */
  readonly scales: Float32Array;
  readonly zeroPoints: Uint8Array;
}

export interface QuantizeInput {
  /** Row-major float32 weights. */
  readonly data: Float32Array;
  readonly k: number;
  readonly n: number;
  /** `in_out`: data is W [K, N]; `out_in`: data is Wᵀ [N, K] (torch.nn.Linear's layout). */
  readonly layout: 'in_out' | 'out_in';
  readonly block: number;
  /** Rounds each block's scale before values are quantized with it (float16 scales for q4f16). */
  readonly roundScale?: (scale: number) => number;
}

const LEVELS = 15;
const PAD_ZERO_POINT = 8;

export function quantizeNbits4(q: QuantizeInput): Nbits4 {
  const { k, n, block } = q;
  if (q.data.length !== k * n) throw new InternalError(`q4: ${q.data.length} values for [${k}, ${n}]`);
  if (block < 16 || block % 2 !== 0) throw new InternalError(`q4: block ${block} must be even and ≥ 16`);
  const blocks = Math.ceil(k / block);
  const out = {
    k,
    n,
    block,
    blocks,
    packed: new Uint8Array(n * blocks * (block / 2)),
    scales: new Float32Array(n * blocks),
    zeroPoints: new Uint8Array(n * Math.ceil(blocks / 2)).fill(PAD_ZERO_POINT * 0x11),
  };
  const strideK = q.layout === 'out_in' ? 1 : n; // distance between w[k][c] and w[k+1][c]
  const strideN = q.layout === 'out_in' ? k : 1;
  const zp = new Uint8Array(n);
  const inverse = new Float32Array(n);
  for (let b = 0; b < blocks; b++) {
    const k0 = b * block;
    const k1 = Math.min(k, k0 + block);
    blockParameters(q, { k0, k1, b, strideK, strideN, out, zp, inverse });
    packBlock(q, { k0, k1, b, strideK, strideN, out, zp, inverse });
  }
  return out;
}

interface BlockArgs {
  readonly k0: number;
  readonly k1: number;
  readonly b: number;
  readonly strideK: number;
  readonly strideN: number;
  readonly out: Nbits4;
  readonly zp: Uint8Array;
  readonly inverse: Float32Array;
}

/** Scale and zero point of block b of every column (range2scalezp in MLAS, float32 arithmetic). */
function blockParameters(q: QuantizeInput, a: BlockArgs): void {
  const f = Math.fround;
  const { out } = a;
  const lo = new Float32Array(q.n); // min(min, 0)
  const hi = new Float32Array(q.n); // max(max, 0)
  columnRanges(q, a, lo, hi);
  for (let c = 0; c < q.n; c++) {
    let scale = f(f(hi[c]! - lo[c]!) / LEVELS);
    if (q.roundScale) scale = q.roundScale(scale);
    const zeroFp = scale !== 0 ? f(0 - f(lo[c]! / scale)) : lo[c]!;
    const zero = zeroFp < 0 ? 0 : zeroFp > LEVELS ? LEVELS : Math.round(zeroFp);
    out.scales[c * out.blocks + a.b] = scale;
    a.zp[c] = zero;
    a.inverse[c] = scale !== 0 ? f(1 / scale) : 0;
    const zi = c * Math.ceil(out.blocks / 2) + (a.b >> 1);
    const z = out.zeroPoints[zi]!;
    out.zeroPoints[zi] = a.b & 1 ? (z & 0x0f) | (zero << 4) : (z & 0xf0) | zero;
  }
}

/** lo/hi of rows [k0, k1) of every column, read in the data's memory order (hot loop: no closures). */
function columnRanges(q: QuantizeInput, a: BlockArgs, lo: Float32Array, hi: Float32Array): void {
  const { data, n } = q;
  if (a.strideN === 1) {
    for (let i = a.k0; i < a.k1; i++) {
      for (let c = 0, at = i * a.strideK; c < n; c++, at++) {
        const v = data[at]!;
        if (v < lo[c]!) lo[c] = v;
        else if (v > hi[c]!) hi[c] = v;
      }
    }
    return;
  }
  for (let c = 0; c < n; c++) {
    let [l, h] = [0, 0];
    for (let at = c * a.strideN + a.k0, end = c * a.strideN + a.k1; at < end; at++) {
      const v = data[at]!;
      if (v < l) l = v;
      else if (v > h) h = v;
    }
    lo[c] = l;
    hi[c] = h;
  }
}

/** q = clamp(round(v · (1/scale) + zp), 0, 15), packed two per byte, even k low. */
function packBlock(q: QuantizeInput, a: BlockArgs): void {
  const f = Math.fround;
  const { data, n } = q;
  const { out, inverse, zp } = a;
  const blob = out.block / 2;
  const level = (v: number, c: number) => {
    const x = Math.round(f(f(v * inverse[c]!) + zp[c]!));
    return x < 0 ? 0 : x > LEVELS ? LEVELS : x;
  };
  if (a.strideN === 1) {
    for (let i = a.k0; i < a.k1; i += 2) {
      const j = (i - a.k0) >> 1;
      const odd = i + 1 < a.k1;
      for (let c = 0, at = i * a.strideK; c < n; c++, at++) {
        const low = level(data[at]!, c);
        const high = odd ? level(data[at + a.strideK]!, c) : 0;
        out.packed[(c * out.blocks + a.b) * blob + j] = low | (high << 4);
      }
    }
    return;
  }
  for (let c = 0; c < n; c++) {
    const base = (c * out.blocks + a.b) * blob;
    for (let i = a.k0, at = c * a.strideN + a.k0; i < a.k1; i += 2, at += 2) {
      const high = i + 1 < a.k1 ? level(data[at + 1]!, c) : 0;
      out.packed[base + ((i - a.k0) >> 1)] = level(data[at]!, c) | (high << 4);
    }
  }
}

/**
 * The float32 values MatMulNBits multiplies by, W [K, N] row-major.
 * @internal the tests measure the quantizer's error and ORT's MatMulNBits against it.
 */
export function dequantizeNbits4(q: Nbits4): Float32Array {
  const w = new Float32Array(q.k * q.n);
  const blob = q.block / 2;
  for (let c = 0; c < q.n; c++) {
    for (let i = 0; i < q.k; i++) {
      const b = Math.floor(i / q.block);
      const j = i - b * q.block;
      const byte = q.packed[(c * q.blocks + b) * blob + (j >> 1)]!;
      const value = j & 1 ? byte >> 4 : byte & 0x0f;
      const zByte = q.zeroPoints[c * Math.ceil(q.blocks / 2) + (b >> 1)]!;
      const zero = b & 1 ? zByte >> 4 : zByte & 0x0f;
      w[i * q.n + c] = (value - zero) * q.scales[c * q.blocks + b]!;
    }
  }
  return w;
}
