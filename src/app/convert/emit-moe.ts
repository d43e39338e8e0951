/**
 * The MoE graphs of one precision, for every precision of output.dtypes (emit.ts: fp32, emit-precisions.ts: the
 * others): each planned MoE role (router `model{s}.onnx`, fixed-threshold `model_fixed{s}.onnx`, and in fp32 the
 * input-choice and oracle graphs) sharing `model{s}.onnx.data`, the fixed graph again as `onnx/model{s}.onnx` for
 * transformers.js. One function, so every precision gets the same experts (adapted ones included), the same
 * fixed-threshold metadata and I/O names from the protos.
 */
import { join } from 'node:path';
import type { WeightDtype } from '../../graph/context.js';
import { buildMoeDecoder } from '../../graph/moe-decoder.js';
import type { AdaptedReader } from '../../graph/moe-spec.js';
import { FIXED_THRESHOLD_METADATA } from '../../graph/names.js';
import type { Precision } from '../../ir/precision.js';
import { ExternalDataWriter, writeModel } from '../../onnx/builder.js';
import type { ModelProto } from '../../onnx/proto.js';
import type { RouterWeights } from '../../router/spec.js';
import type { Plan } from '../plan/types.js';
import { graphFile, type GraphRole } from '../shared/manifest.js';
import type { GraphEntry } from '../shared/manifest-write.js';
import type { Stage } from '../shared/progress.js';
import type { ResolvedModel } from '../shared/resolve-model.js';
import { VERSION } from '../shared/version.js';
import { fixedThreshold } from '../../recipe/fixed-threshold.js';
import type { LayerBudgets } from './budgets.js';
import type { SharedDown } from './adapt-joint-read.js';
import { CHOICES } from './choices.js';
import { protoIo } from './graph-io.js';
import { emitTransformersJsGraph } from './transformers-js.js';

/** The conversion's experts and routers, as emit.ts receives them. */
export interface MoeInput {
  readonly dir: string;
  readonly plan: Plan;
  readonly model: ResolvedModel;
  readonly perms: readonly Int32Array[];
  /** Each layer's adapted experts (`experts.adapt`), read as the layer is written; undefined: bare prefixes. */
  readonly readAdapted: AdaptedReader;
  /** `experts.adapt: joint`: per layer, the shared down projection (the dense graphs keep the checkpoint's). */
  readonly shared?: readonly SharedDown[];
  /** Per-layer threshold multipliers (`router.layer_budgets`); without `tuning`, every layer's is 1. */
  readonly budgets?: LayerBudgets;
  readonly routers: readonly RouterWeights[];
  readonly stage: Stage;
}

export interface EmittedGraphs {
  readonly graphs: GraphEntry[];
  /** sha256 of data files, taken as they were written. */
  readonly known: Record<string, string>;
}

/** One precision's MoE graphs: `roles` those the plan lists for it, `dtype` the weights outside linear layers. */
export async function emitMoeGraphs(
  input: MoeInput,
  v: { precision: Precision; dtype: WeightDtype; roles: ReadonlySet<GraphRole> },
): Promise<EmittedGraphs> {
  const { dir, plan } = input;
  const { recipe } = plan;
  const out: EmittedGraphs = { graphs: [], known: {} };
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
        name: v.precision === 'fp32' ? role : `${role}_${v.precision}`,
        experts: input.perms.map((permutation, i) => ({
          permutation,
          router: input.routers[i],
          ...(input.shared?.[i] && { sharedDown: input.shared[i] }),
          ...(input.budgets?.tuning && { thresholdScale: input.budgets.scales[i]! }),
        })),
        sizes: plan.experts.map((e) => e.neurons),
        choice,
        ...(choice === 'fixed' ? { threshold: fixedThreshold(recipe) } : {}),
        withPast: true,
        dtype: v.dtype,
        precision: v.precision,
        errorBase: recipe.router.error,
        readAdapted: input.readAdapted,
        data,
      });
      // The fixed graph says which operating point it is (`moefy inspect` reads it); its I/O cannot.
      const metadata =
        choice === 'fixed' ? { [FIXED_THRESHOLD_METADATA]: String(fixedThreshold(recipe)) } : undefined;
      const proto = b.model({ producerVersion: VERSION, ...(metadata && { metadata }) });
      writeModel(proto, join(dir, file));
      if (choice === 'fixed') fixed = proto;
      out.graphs.push({ role, file, data: dataFile, dtype: v.precision, io: protoIo(proto) });
    }
  } finally {
    data.close();
  }
  // The transformers.js data is the same bytes (a link or a copy).
  out.known[dataFile] = data.sha256();
  if (!fixed || !v.roles.has('transformers_js')) return out;
  const tjs = await emitTransformersJsGraph({ dir, fixed, dataFile, precision: v.precision });
  out.known[tjs.data] = out.known[dataFile]!;
  out.graphs.push({ ...tjs, io: protoIo(fixed) });
  return out;
}
