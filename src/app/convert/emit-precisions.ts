/**
 * The graphs of every precision the plan lists besides fp32 (output.dtypes; the fp32 set is emit.ts's): per
 * precision p the router-driven `model{s}.onnx` and the fixed-threshold `model_fixed{s}.onnx` sharing
 * `model{s}.onnx.data`, the latter also as `onnx/model{s}.onnx` for transformers.js, and the dense baseline
 * `dense{s}.onnx` (file names: manifest.ts graphFile). The input-choice and oracle graphs stay fp32 only: static
 * slices and the oracle are baselines of routing, not of precision. The dense baseline of a precision holds its FFN
 * neurons in the MoE's order (same function): a 4-bit block then quantizes the same 32 neurons in both, so routing
 * is compared on equal weights; the adapted experts' own down projections (experts.adapt) are quantized like every
 * other linear, so threshold 0 (the full, unadapted expert) is still that dense graph. Each precision is written
 * from the checkpoint, one tensor at a time, like fp32.
 */
import { join } from 'node:path';
import type { AdaptedExpert } from '../../experts/adapt-lsq.js';
import { permutedFfnIr } from '../../experts/permuted-ir.js';
import type { WeightDtype } from '../../graph/context.js';
import { buildMoeDecoder } from '../../graph/moe-decoder.js';
import { writeDecoder } from '../../graph/write-decoder.js';
import { computesInHalf, type Precision } from '../../ir/precision.js';
import { ExternalDataWriter, writeModel } from '../../onnx/builder.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { RouterWeights } from '../../router/spec.js';
import { graphFile, type GraphRole } from '../shared/manifest.js';
import type { GraphEntry } from '../shared/manifest-write.js';
import type { Stage } from '../shared/progress.js';
import type { ResolvedModel } from '../shared/resolve-model.js';
import { VERSION } from '../shared/version.js';
import { FIXED_THRESHOLD_METADATA } from '../../graph/names.js';
import { protoIo } from './graph-io.js';
import type { Plan } from '../plan/types.js';
import { CHOICES } from './choices.js';
import { emitTransformersJsGraph } from './transformers-js.js';

/** What emit.ts hands over: the plan, the conversion's experts and routers, and the fp32 graphs' weight dtype. */
export interface PrecisionInput {
  readonly dir: string;
  readonly plan: Plan;
  readonly model: ResolvedModel;
  readonly perms: readonly Int32Array[];
  /**
   * Per layer, the adapted experts (`experts.adapt`); empty: bare prefixes. Their down projections are linears of
   * the precision like the nested blocks (graph/moe-adapted.ts).
   */
  readonly adapted: readonly (readonly AdaptedExpert[])[];
  readonly routers: readonly RouterWeights[];
  readonly stage: Stage;
  readonly dtype: WeightDtype;
}

export interface PrecisionGraphs {
  readonly graphs: GraphEntry[];
  /** sha256 of data files, taken as they were written. */
  readonly known: Record<string, string>;
}

interface Variant {
  readonly precision: Precision;
  readonly dtype: WeightDtype;
  readonly roles: ReadonlySet<GraphRole>;
}

/** Graph entries of each non-fp32 precision, in the plan's order. */
export async function emitPrecisions(input: PrecisionInput): Promise<PrecisionGraphs> {
  const out: PrecisionGraphs = { graphs: [], known: {} };
  const planned = input.plan.stages.emit.graphs.filter((g) => g.dtype !== 'fp32');
  for (const precision of [...new Set(planned.map((g) => g.dtype))]) {
    const roles = new Set(planned.filter((g) => g.dtype === precision).map((g) => g.role));
    const v: Variant = { precision, dtype: storageDtype(precision, input.dtype), roles };
    await emitMoe(input, v, out);
    if (roles.has('dense')) await emitDense(input, v, out);
  }
  return out;
}

/** Weights outside the linear layers (norms, biases; fp16's embedding table) are float16 where math is. */
function storageDtype(precision: Precision, fp32Dtype: WeightDtype): WeightDtype {
  return computesInHalf(precision) ? 'float16' : fp32Dtype;
}

async function emitMoe(input: PrecisionInput, v: Variant, out: PrecisionGraphs): Promise<void> {
  const { dir, plan } = input;
  const { recipe } = plan;
  const dataFile = `${graphFile('moe', v.precision)}.data`;
  const data = new ExternalDataWriter(join(dir, dataFile));
  let fixed: ModelProto | undefined;
  try {
    for (const role of v.roles) {
      const choice = CHOICES[role];
      if (!choice) continue;
      const file = graphFile(role, v.precision);
      input.stage.note(file);
      const b = await buildMoeDecoder(input.model.ir, {
        name: `${role}_${v.precision}`,
        experts: input.perms.map((permutation, i) => ({
          permutation,
          router: input.routers[i],
          ...(input.adapted[i] && { adapted: input.adapted[i] }),
        })),
        sizes: plan.experts.map((e) => e.neurons),
        choice,
        ...(choice === 'fixed' ? { threshold: recipe.output.fixed_threshold } : {}),
        withPast: true,
        dtype: v.dtype,
        precision: v.precision,
        errorBase: recipe.router.error,
        data,
      });
      // The fixed graph says which operating point it is (`moefy inspect` reads it), as emit.ts's fp32 one.
      const metadata =
        choice === 'fixed'
          ? { [FIXED_THRESHOLD_METADATA]: String(recipe.output.fixed_threshold) }
          : undefined;
      const proto = b.model({ producerVersion: VERSION, ...(metadata && { metadata }) });
      writeModel(proto, join(dir, file));
      if (choice === 'fixed') fixed = proto;
      out.graphs.push({ role, file, data: dataFile, dtype: v.precision, io: protoIo(proto) });
    }
  } finally {
    data.close();
  }
  out.known[dataFile] = data.sha256();
  if (!fixed || !v.roles.has('transformers_js')) return;
  const tjs = await emitTransformersJsGraph({ dir, fixed, dataFile, precision: v.precision });
  out.known[tjs.data] = out.known[dataFile]!;
  out.graphs.push({ ...tjs, io: protoIo(fixed) });
}

async function emitDense(input: PrecisionInput, v: Variant, out: PrecisionGraphs): Promise<void> {
  const fileName = graphFile('dense', v.precision);
  input.stage.note(fileName);
  const dense = await writeDecoder(permutedFfnIr(input.model.ir, input.perms), {
    dir: input.dir,
    fileName,
    withPast: true,
    dtype: v.dtype,
    precision: v.precision,
    producerVersion: VERSION,
  });
  const data = `${fileName}.data`;
  out.known[data] = dense.dataSha256;
  out.graphs.push({
    role: 'dense',
    file: fileName,
    data,
    dtype: v.precision,
    io: dense.io,
  });
}
