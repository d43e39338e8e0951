/** Number formatting shared by report.md and the chart labels: one place decides how a figure reads. */

export const DASH = '—';

/** 0.4987 → "49.9%". */
export function percent(fraction: number, digits = 1): string {
  return `${(fraction * 100).toFixed(digits)}%`;
}

/** Relative change of `value` against `reference`, signed: 12.4 vs 12 → "+3.33%". */
export function signedPercentChange(value: number, reference: number): string {
  const change = (value / reference - 1) * 100;
  return `${change >= 0 ? '+' : ''}${change.toFixed(2)}%`;
}

/** Five significant digits, without exponent notation for the values perplexity takes. */
export function perplexity(value: number): string {
  return value >= 1e5 ? value.toExponential(3) : value.toPrecision(5);
}

export function fixed(value: number, digits: number): string {
  return value.toFixed(digits);
}

/** 1.973 → "1.97×". */
export function ratio(value: number): string {
  return `${value.toFixed(2)}×`;
}

/** 1.352 [1.21, 1.48] → "1.35× [1.21–1.48]". */
export function speedupWithInterval(s: { ratio: number; low: number; high: number }): string {
  return `${ratio(s.ratio)} [${s.low.toFixed(2)}–${s.high.toFixed(2)}]`;
}
