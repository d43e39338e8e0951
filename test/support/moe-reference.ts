/**
 * Plain-JS nested-expert FFN for the MoE graph tests: the output of expert c for each row, from the checkpoint
 * weights and the neuron permutation, in float64 — independent of the ONNX graphs it checks.
 */
import type { Activation, Layer } from '../../src/ir/model.js';
import { readLinear, readVector } from '../../src/graph/weights.js';

export interface JsFfn {
  readonly hidden: number;
  readonly ffnDim: number;
  readonly act: (v: number) => number;
  readonly up: Float32Array; // [hidden, ffn]
  readonly down: Float32Array; // [ffn, hidden]
  readonly gate?: Float32Array; // [hidden, ffn]
  readonly upBias?: Float32Array;
  readonly gateBias?: Float32Array;
  readonly downBias?: Float32Array;
}

const ACTIVATIONS: Partial<Record<Activation, (v: number) => number>> = {
  silu: (v) => v / (1 + Math.exp(-v)),
  gelu_new: geluTanh,
  gelu_pytorch_tanh: geluTanh,
  relu: (v) => Math.max(0, v),
};

function geluTanh(v: number): number {
  return 0.5 * v * (1 + Math.tanh(Math.sqrt(2 / Math.PI) * (v + 0.044715 * v ** 3)));
}

export async function loadJsFfn(layer: Layer, hidden: number): Promise<JsFfn> {
  const { ffn } = layer;
  const act = ACTIVATIONS[ffn.activation];
  if (!act) throw new Error(`no JS reference for activation ${ffn.activation}`);
  const n = ffn.up.outFeatures;
  return {
    hidden,
    ffnDim: n,
    act,
    up: await readLinear(ffn.up, 'in_out'),
    down: await readLinear(ffn.down, 'in_out'),
    ...(ffn.kind === 'gated' && { gate: await readLinear(ffn.gate, 'in_out') }),
    ...(ffn.up.bias && { upBias: await readVector(ffn.up.bias, n) }),
    ...(ffn.kind === 'gated' && ffn.gate.bias && { gateBias: await readVector(ffn.gate.bias, n) }),
    ...(ffn.down.bias && { downBias: await readVector(ffn.down.bias, hidden) }),
  };
}

/** Row r → output of its expert: the first `widths[r]` permuted neurons (plus the down bias). [rows, hidden] */
export function prefixFfn(
  f: JsFfn,
  x: Float32Array,
  perm: Int32Array,
  widths: readonly number[],
): Float32Array {
  const { hidden: d, ffnDim: n } = f;
  const out = new Float32Array(widths.length * d);
  const acc = new Float64Array(d);
  widths.forEach((width, r) => {
    const row = x.subarray(r * d, (r + 1) * d);
    acc.fill(0);
    if (f.downBias) f.downBias.forEach((v, o) => (acc[o] = v));
    for (let p = 0; p < width; p++) {
      const i = perm[p]!;
      const up = dot(row, f.up, i, n) + (f.upBias?.[i] ?? 0);
      const h = f.gate ? f.act(dot(row, f.gate, i, n) + (f.gateBias?.[i] ?? 0)) * up : f.act(up);
      for (let o = 0; o < d; o++) acc[o] = acc[o]! + h * f.down[i * d + o]!;
    }
    out.set(acc, r * d);
  });
  return out;
}

/** Σ_k row[k] · w[k, col] for w [rows, width]. */
function dot(row: Float32Array, w: Float32Array, col: number, width: number): number {
  let s = 0;
  for (let k = 0; k < row.length; k++) s += row[k]! * w[k * width + col]!;
  return s;
}

/**
 * Row r → output of an adapted expert (experts.adapt: lsq): the first `width` permuted neurons' activations times
 * that expert's own down projection `down` [width, hidden], plus its bias. [rows, hidden]
 */
export function adaptedFfn(
  f: JsFfn,
  x: Float32Array,
  a: { perm: Int32Array; width: number; down: Float32Array; bias: Float32Array },
): Float32Array {
  const { hidden: d, ffnDim: n } = f;
  const rows = x.length / d;
  const out = new Float32Array(rows * d);
  const acc = new Float64Array(d);
  for (let r = 0; r < rows; r++) {
    const row = x.subarray(r * d, (r + 1) * d);
    a.bias.forEach((v, o) => (acc[o] = v));
    for (let p = 0; p < a.width; p++) {
      const i = a.perm[p]!;
      const up = dot(row, f.up, i, n) + (f.upBias?.[i] ?? 0);
      const h = f.gate ? f.act(dot(row, f.gate, i, n) + (f.gateBias?.[i] ?? 0)) * up : f.act(up);
      for (let o = 0; o < d; o++) acc[o] = acc[o]! + h * a.down[p * d + o]!;
    }
    out.set(acc, r * d);
  }
  return out;
}
