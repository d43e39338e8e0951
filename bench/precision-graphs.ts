/**
 * The precision suite's graphs for one shape and one precision, each with KV cache: the dense decoder, the MoE
 * router graph and input-choice graph (sharing one data file; identity permutations, seeded random linear routers,
 * as the latency suite's synthetic model) and the static slice at a given FFN fraction. Weights outside the linear
 * layers are float32, float16 for the precisions that compute in it (the conversion's rule).
 */
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { WeightDtype } from '../src/graph/context.js';
import { buildMoeDecoder } from '../src/graph/moe-decoder.js';
import { writeDecoder } from '../src/graph/write-decoder.js';
import type { ModelIR } from '../src/ir/model.js';
import { computesInHalf, type Precision } from '../src/ir/precision.js';
import { ExternalDataWriter, writeModel } from '../src/onnx/builder.js';
import type { RouterWeights } from '../src/router/spec.js';
import { Rng } from '../src/util/random.js';
import { sliceFfn } from './latency-graphs.js';

export interface PrecisionGraphs {
  readonly dense?: string;
  readonly router: string;
  readonly choice?: string;
  readonly slice?: string;
}

/** Which graphs to write: the router graph always (what `generate` runs and the RSS figure loads). */
export interface GraphSet {
  readonly dense: boolean;
  readonly choice: boolean;
  /** FFN neurons of the static slice; none when absent. */
  readonly slice?: number;
}

export async function writePrecisionGraphs(
  ir: ModelIR,
  a: { dir: string; precision: Precision; sizes: readonly number[]; set: GraphSet },
): Promise<PrecisionGraphs> {
  const dir = join(a.dir, a.precision);
  mkdirSync(dir, { recursive: true });
  const dtype: WeightDtype = computesInHalf(a.precision) ? 'float16' : 'float32';
  const common = { withPast: true, dtype, precision: a.precision } as const;
  const moe = await writeMoe(ir, { ...a, dir, common });
  const dense = a.set.dense
    ? (await writeDecoder(ir, { ...common, dir, fileName: 'dense.onnx' })).modelPath
    : undefined;
  const slice =
    a.set.slice === undefined
      ? undefined
      : (await writeDecoder(sliceFfn(ir, a.set.slice), { ...common, dir, fileName: 'slice.onnx' })).modelPath;
  return {
    router: moe.router,
    ...(moe.choice && { choice: moe.choice }),
    ...(dense && { dense }),
    ...(slice && { slice }),
  };
}

async function writeMoe(
  ir: ModelIR,
  a: {
    dir: string;
    sizes: readonly number[];
    set: GraphSet;
    common: { withPast: true; dtype: WeightDtype; precision: Precision };
  },
): Promise<{ router: string; choice?: string }> {
  const c = ir.config;
  const rng = new Rng(11);
  const experts = ir.layers.map(() => ({
    permutation: Int32Array.from({ length: c.ffnDim }, (_, i) => i),
    router: randomRidgeRouter(c.hidden, a.sizes.length - 1, rng),
  }));
  const data = new ExternalDataWriter(join(a.dir, 'moe.onnx.data'));
  const out: { router: string; choice?: string } = { router: join(a.dir, 'moe_router.onnx') };
  try {
    for (const choice of a.set.choice ? (['router', 'input'] as const) : (['router'] as const)) {
      const b = await buildMoeDecoder(ir, {
        ...a.common,
        experts,
        sizes: a.sizes,
        choice,
        data,
        name: choice,
      });
      const path = join(a.dir, `moe_${choice}.onnx`);
      writeModel(b.model(), path);
      if (choice === 'input') out.choice = path;
    }
  } finally {
    data.close();
  }
  return out;
}

function randomRidgeRouter(d: number, outputs: number, rng: Rng): RouterWeights {
  return {
    kind: 'ridge',
    d,
    outputs,
    w1: Float32Array.from({ length: d * outputs }, () => rng.normal() * 0.01),
    b1: new Float32Array(outputs),
  };
}
