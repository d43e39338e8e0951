/**
 * The graphs the latency suite times, all with KV cache: the dense decoder, a *static dense slice* (every FFN cut
 * to its first n neurons: a plain dense graph, the physical limit of nested experts on this runtime) and the MoE
 * graphs (router-driven and input-choice) sharing one external data file.
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { buildMoeDecoder, type ChoiceKind } from '../src/graph/moe-decoder.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import type { Layer, Linear, ModelIR, TensorHandle } from '../src/ir/model.js';
import { ExternalDataWriter, writeModel } from '../src/onnx/builder.js';
import type { RouterWeights } from '../src/router/spec.js';
import { Rng } from '../src/util/random.js';

/** The IR with every FFN truncated to its first `n` neurons (gate/up rows, down columns): a smaller dense model. */
export function sliceFfn(ir: ModelIR, n: number): ModelIR {
  const layers = ir.layers.map((l): Layer => {
    const rows = (lin: Linear): Linear => ({ ...lin, outFeatures: n, weight: sliceRows(lin.weight, n) });
    const cols = (lin: Linear): Linear => ({ ...lin, inFeatures: n, weight: sliceCols(lin.weight, n) });
    const { ffn } = l;
    return {
      ...l,
      ffn:
        ffn.kind === 'gated'
          ? { ...ffn, up: rows(ffn.up), down: cols(ffn.down), gate: rows(ffn.gate) }
          : { ...ffn, up: rows(ffn.up), down: cols(ffn.down) },
    };
  });
  return { ...ir, config: { ...ir.config, ffnDim: n }, layers };
}

/** [out, in] (out_in layout) → the first n rows. */
function sliceRows(h: TensorHandle, n: number): TensorHandle {
  const cols = h.shape[1]!;
  const { name, dtype, file } = h; // not `stored`: that is the whole tensor's bytes
  return { name, dtype, file, shape: [n, cols], read: async () => (await h.read()).slice(0, n * cols) };
}

/** [out, in] → the first n columns of every row. */
function sliceCols(h: TensorHandle, n: number): TensorHandle {
  const [rows, cols] = [h.shape[0]!, h.shape[1]!];
  const { name, dtype, file } = h; // not `stored`: that is the whole tensor's bytes
  return {
    name,
    dtype,
    file,
    shape: [rows, n],
    read: async () => {
      const w = await h.read();
      const out = new Float32Array(rows * n);
      for (let r = 0; r < rows; r++) out.set(w.subarray(r * cols, r * cols + n), r * n);
      return out;
    },
  };
}

export async function writeDense(ir: ModelIR, dir: string, fileName: string): Promise<string> {
  mkdirSync(dir, { recursive: true });
  return (await writeDecoder(ir, { dir, fileName, withPast: true })).modelPath;
}

/** Identity permutations and seeded random linear routers: latency does not depend on which neurons come first. */
export async function writeSyntheticMoe(
  ir: ModelIR,
  a: { dir: string; sizes: readonly number[] },
): Promise<Record<'router' | 'input', string>> {
  mkdirSync(a.dir, { recursive: true });
  const c = ir.config;
  const rng = new Rng(11);
  const experts = ir.layers.map(() => ({
    permutation: Int32Array.from({ length: c.ffnDim }, (_, i) => i),
    router: randomLinearRouter(c.hidden, a.sizes.length - 1, rng),
  }));
  const data = new ExternalDataWriter(join(a.dir, 'moe.onnx.data'));
  const paths = {} as Record<'router' | 'input', string>;
  try {
    for (const choice of ['router', 'input'] as const satisfies readonly ChoiceKind[]) {
      const b = await buildMoeDecoder(ir, {
        experts,
        sizes: a.sizes,
        choice,
        withPast: true,
        data,
        name: choice,
      });
      paths[choice] = join(a.dir, `moe_${choice}.onnx`);
      writeModel(b.model(), paths[choice]);
    }
  } finally {
    data.close();
  }
  return paths;
}

function randomLinearRouter(d: number, outputs: number, rng: Rng): RouterWeights {
  return {
    kind: 'ridge',
    d,
    outputs,
    w1: Float32Array.from({ length: d * outputs }, () => rng.normal() * 0.01),
    b1: new Float32Array(outputs),
  };
}
