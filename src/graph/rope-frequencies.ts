/**
 * RoPE inverse frequencies as transformers computes them (`modeling_rope_utils`), in float32 arithmetic step by
 * step (`f` = Math.fround after each torch op), so the graph's constant tables equal torch's bit for bit or within an
 * ulp. Pure: no graph, no IO.
 */
import type { Rope } from '../ir/model.js';

const f = Math.fround;

/** `1.0 / (base ** (arange(0, d, 2).float() / d))` in float32, i = 0..d/2−1. */
export function inverseFrequencies(theta: number, rotaryDim: number): number[] {
  return Array.from({ length: rotaryDim / 2 }, (_, i) =>
    f(1 / f(Math.pow(f(theta), f((2 * i) / rotaryDim)))),
  );
}

/**
 * The table(s) of a rope: `short` always; `long` only for longrope, whose graph picks one of the two per forward
 * pass (rope.ts). `cosScale` multiplies cos and sin (longrope's attention factor; 1 otherwise).
 */
export function ropeFrequencies(rope: Rope): { short: number[]; long?: number[]; cosScale: number } {
  const s = rope.scaling;
  switch (s.type) {
    case 'default':
      return { short: inverseFrequencies(rope.theta, rope.rotaryDim), cosScale: 1 };
    case 'linear':
      return {
        short: inverseFrequencies(rope.theta, rope.rotaryDim).map((v) => f(v / f(s.factor))),
        cosScale: 1,
      };
    case 'llama3':
      return { short: llama3Frequencies(rope, s), cosScale: 1 };
    case 'longrope':
      return {
        short: extendedFrequencies(rope, s.shortFactor),
        long: extendedFrequencies(rope, s.longFactor),
        cosScale: s.attentionFactor,
      };
  }
}

/** longrope: `1.0 / (ext_factors * base ** (arange(0, d, 2).float() / d))`. */
function extendedFrequencies(rope: Rope, factors: readonly number[]): number[] {
  return factors.map((ext, i) => f(1 / f(f(ext) * f(Math.pow(f(rope.theta), f((2 * i) / rope.rotaryDim))))));
}

/**
 * Llama 3: wavelength λ = 2π / inv_freq; λ < L/hi keeps its frequency, λ > L/lo divides it by `factor`, and the
 * band between blends the two with s = (L/λ − lo) / (hi − lo).
 */
function llama3Frequencies(
  rope: Rope,
  s: { factor: number; lowFreqFactor: number; highFreqFactor: number; originalMaxPositions: number },
): number[] {
  const L = s.originalMaxPositions;
  const lowWavelength = f(L / s.lowFreqFactor);
  const highWavelength = f(L / s.highFreqFactor);
  return inverseFrequencies(rope.theta, rope.rotaryDim).map((inv) => {
    const wavelength = f(f(2 * Math.PI) / inv);
    const scaled = wavelength > lowWavelength ? f(inv / f(s.factor)) : inv;
    if (wavelength < highWavelength || wavelength > lowWavelength) return scaled;
    const smooth = f(f(f(f(L) / wavelength) - f(s.lowFreqFactor)) / f(s.highFreqFactor - s.lowFreqFactor));
    return f(f(f(f(1 - smooth) * scaled) / f(s.factor)) + f(smooth * scaled));
  });
}
