/**
 * Half-precision bit math, both directions. Node 20 has no Float16Array, so f16/bf16 are decoded from their bit
 * patterns; float32 is reached through a shared 4-byte scratch view.
 */
const scratch = new DataView(new ArrayBuffer(4));

/**
 * bfloat16 is the top half of a float32: shift back and reinterpret (exact, NaN payloads kept). The scalar
 * reference the tests check the array conversions' bit math against.
 * @internal
 */
export function bf16BitsToFloat(bits: number): number {
  scratch.setUint32(0, (bits & 0xffff) << 16);
  return scratch.getFloat32(0);
}

/** IEEE 754 binary16 → number (exact: every f16 value is representable in float32). */
export function f16BitsToFloat(bits: number): number {
  const sign = bits & 0x8000 ? -1 : 1;
  const exponent = (bits >> 10) & 0x1f;
  const mantissa = bits & 0x3ff;
  if (exponent === 0) return sign * mantissa * 2 ** -24; // subnormal (and ±0)
  if (exponent === 0x1f) return mantissa === 0 ? sign * Infinity : NaN;
  return sign * (1 + mantissa / 1024) * 2 ** (exponent - 15);
}

/**
 * number → bfloat16 bits, round to nearest even (what torch's `.to(torch.bfloat16)` does). Scalar reference
 * for tests.
 * @internal
 */
export function floatToBf16Bits(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  if (Number.isNaN(value)) return ((bits >>> 16) | 0x40) & 0xffff; // keep it a (quiet) NaN after truncation
  const roundingBias = 0x7fff + ((bits >>> 16) & 1);
  return ((bits + roundingBias) >>> 16) & 0xffff;
}

/** number → IEEE binary16 bits, round to nearest even; overflow → ±Infinity, underflow → subnormals/±0. */
export function floatToF16Bits(value: number): number {
  scratch.setFloat32(0, value);
  const bits = scratch.getUint32(0);
  const sign = (bits >>> 16) & 0x8000;
  const exponent = (bits >>> 23) & 0xff;
  const mantissa = bits & 0x7fffff;
  if (exponent === 0xff) return sign | 0x7c00 | (mantissa ? 0x200 : 0);
  const halfExponent = exponent - 127 + 15;
  if (halfExponent >= 0x1f) return sign | 0x7c00;
  if (halfExponent <= 0) {
    if (halfExponent < -10) return sign; // below half the smallest subnormal
    const full = mantissa | 0x800000; // implicit leading 1
    const shift = 14 - halfExponent;
    return sign | roundShift(full, shift);
  }
  // Rounding may carry into the exponent (and up to Infinity): the bit layout makes that addition correct.
  return sign | ((halfExponent << 10) + roundShift(mantissa, 13));
}

/** value >> shift, rounded to nearest, ties to even. */
function roundShift(value: number, shift: number): number {
  const kept = Math.floor(value / 2 ** shift);
  const rest = value - kept * 2 ** shift;
  const half = 2 ** (shift - 1);
  return rest > half || (rest === half && kept % 2 === 1) ? kept + 1 : kept;
}

/**
 * Little-endian half-precision bytes → float32. `bytes.length` must be even. bf16 is the top half of a float32,
 * so a shift makes it; f16 goes through a 65,536-entry table (256 KB, built once).
 */
export function halfBytesToFloat32(bytes: Uint8Array, kind: 'F16' | 'BF16'): Float32Array {
  const count = bytes.length / 2;
  const own = bytes.byteOffset % 2 === 0 ? bytes : bytes.slice(); // a copy starts at offset 0
  const halves = new Uint16Array(own.buffer, own.byteOffset, count);
  if (kind === 'BF16') {
    const bits = new Int32Array(count); // int32 keeps the shift on V8's integer fast path
    for (let i = 0; i < count; i++) bits[i] = halves[i]! << 16;
    return new Float32Array(bits.buffer);
  }
  const table = f16Table();
  const out = new Float32Array(count);
  for (let i = 0; i < count; i++) out[i] = table[halves[i]!]!;
  return out;
}

let F16_TABLE: Float32Array | undefined;
/** float32 value of every f16 bit pattern (built once). */
export function f16Table(): Float32Array {
  if (!F16_TABLE) {
    F16_TABLE = new Float32Array(65536);
    for (let b = 0; b < 65536; b++) F16_TABLE[b] = f16BitsToFloat(b);
  }
  return F16_TABLE;
}

/** float32 values → half-precision bits, ready to write as `F16` (or BF16) tensor data. */
export function float32ToHalfBits(values: Float32Array, kind: 'F16' | 'BF16'): Uint16Array {
  const out = new Uint16Array(values.length);
  if (kind === 'BF16') {
    // floatToBf16Bits on the float's own bits, without a DataView round trip per value.
    const own = values.byteOffset % 4 === 0 ? values : values.slice();
    const bits = new Uint32Array(own.buffer, own.byteOffset, own.length);
    for (let i = 0; i < bits.length; i++) {
      const b = bits[i]!;
      out[i] = (b & 0x7fffffff) > 0x7f800000 ? (b >>> 16) | 0x40 : (b + 0x7fff + ((b >>> 16) & 1)) >>> 16;
    }
    return out;
  }
  for (let i = 0; i < values.length; i++) out[i] = floatToF16Bits(values[i]!);
  return out;
}
