/**
 * Builds the MoE graph family of one golden case for the tests: router, fixed-threshold, input-choice and KV-cache
 * graphs plus one probe per layer, all sharing one external data file, with a seeded random permutation and router.
 */
import { join } from 'node:path';
import type { AdaptedExpert } from '../../src/experts/adapt-lsq.js';
import { loadModelIR } from '../../src/families/load.js';
import { buildMoeDecoder, type MoeDecoderOptions } from '../../src/graph/moe-decoder.js';
import type { LayerExperts } from '../../src/graph/moe-spec.js';
import { buildProbe } from '../../src/graph/probe.js';
import { expertSizes } from '../../src/ir/flops.js';
import type { ModelIR } from '../../src/ir/model.js';
import { ExternalDataWriter, writeModel } from '../../src/onnx/builder.js';
import { routerForward } from '../../src/router/forward.js';
import { initMlpRouter } from '../../src/router/spec.js';
import { LOG_ERROR_DELTA } from '../../src/router/targets.js';
import { Rng, shuffle } from '../../src/util/random.js';
import { fixtureDir, openReference, type Reference } from './golden.js';

export const GRAPHS = ['router', 'fixed', 'input', 'past'] as const;
export type GraphName = (typeof GRAPHS)[number];

export interface MoeCase {
  readonly ir: ModelIR;
  readonly ref: Reference;
  readonly sizes: readonly number[];
  readonly experts: readonly LayerExperts[];
  /** A threshold inside the spread of layer 0's predicted errors on the golden rows (also the fixed graph's). */
  readonly threshold: number;
  readonly paths: Record<GraphName, string>;
  readonly probes: readonly string[];
  readonly dataPath: string;
  /** Data file bytes after the first (router) graph and after all graphs: sharing means they are equal. */
  readonly bytes: { readonly first: number; readonly all: number };
}

/** Seeded adapted weights (experts.adapt), scaled like a down projection so outputs stay in the dense model's range. */
export function adaptedExperts(ir: ModelIR, sizes: readonly number[], seed: number): AdaptedExpert[] {
  const rng = new Rng(seed);
  const d = ir.config.hidden;
  const scale = 1 / Math.sqrt(ir.config.ffnDim);
  return sizes.slice(0, -1).map((n) => ({
    down: Float32Array.from({ length: n * d }, () => (rng.next() - 0.5) * 2 * scale),
    bias: Float32Array.from({ length: d }, () => (rng.next() - 0.5) * 0.02),
  }));
}

export function caseExperts(ir: ModelIR, sizes: readonly number[]): LayerExperts[] {
  const { hidden, ffnDim } = ir.config;
  return ir.layers.map((_, i) => ({
    permutation: shuffle(
      Int32Array.from({ length: ffnDim }, (_, k) => k),
      new Rng(100 + i),
    ),
    router: initMlpRouter({ d: hidden, hidden: 8, outputs: sizes.length - 1, seed: i }),
    ...(i === 1 && { thresholdScale: 1.5 }),
  }));
}

export async function buildMoeCase(name: string, dir: string): Promise<MoeCase> {
  const ir = await loadModelIR(fixtureDir(name));
  const ref = await openReference(fixtureDir(name));
  const sizes = expertSizes(ir.config.ffnDim, [0.25, 0.5, 1], 8);
  const experts = caseExperts(ir, sizes);
  const threshold = medianPredictedError(experts[0]!, await ref.read('mlp_input.0'), ir.config.hidden);
  const options: Record<GraphName, Partial<MoeDecoderOptions>> = {
    router: { choice: 'router', debugOutputs: true },
    fixed: { choice: 'fixed', threshold },
    input: { choice: 'input', debugOutputs: true },
    past: { choice: 'router', withPast: true },
  };
  const dataPath = join(dir, 'moe.onnx.data');
  const data = new ExternalDataWriter(dataPath);
  const paths = {} as Record<GraphName, string>;
  let first = 0;
  for (const g of GRAPHS) {
    const b = await buildMoeDecoder(ir, { choice: 'router', ...options[g], experts, sizes, data });
    paths[g] = join(dir, `${g}.onnx`);
    writeModel(b.model(), paths[g]);
    first ||= data.bytesWritten;
  }
  const probes: string[] = [];
  for (const [layer, e] of experts.entries()) {
    const b = await buildProbe(ir, { layer, permutation: e.permutation, sizes, data });
    probes.push(join(dir, `probe.${layer}.onnx`));
    writeModel(b.model(), probes[layer]!);
  }
  const all = data.bytesWritten;
  data.close();
  return { ir, ref, sizes, experts, threshold, paths, probes, dataPath, bytes: { first, all } };
}

/** Median of e_0 = exp(z_0) − δ over the rows, rounded to float32. */
function medianPredictedError(e: LayerExperts, x: Float32Array, hidden: number): number {
  const rows = x.length / hidden;
  const z = routerForward(e.router!, x, rows);
  const outputs = z.length / rows;
  const e0 = Array.from({ length: rows }, (_, r) => Math.exp(z[r * outputs]!) - LOG_ERROR_DELTA).sort(
    (a, b) => a - b,
  );
  return Math.fround((e0[Math.floor(rows / 2) - 1]! + e0[Math.floor(rows / 2)]!) / 2);
}
