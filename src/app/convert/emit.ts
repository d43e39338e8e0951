/**
 * Emit stage: the graphs the plan lists (plan.stages.emit) — the MoE graphs (router-driven `model.onnx`, the
 * input-choice `model_choice.onnx` and oracle-routed `model_oracle.onnx` for baselines, the fixed-operating-point
 * `model_fixed.onnx` with Optimum's I/O), all with KV cache and sharing `model.onnx.data`; the fixed graph again as
 * `onnx/model.onnx` for transformers.js (transformers-js.ts); the dense baseline `dense.onnx` — then
 * `routers.safetensors`, the checkpoint's config and tokenizer files and `moefy.json`. Every other precision of
 * `output.dtypes` the plan lists adds its own set (emit-precisions.ts).
 * Each graph is loaded in ORT before the output is declared complete.
 */
import { basename, join } from 'node:path';
import type { WeightDtype } from '../../graph/context.js';
import { resolveWeightDtype } from '../../graph/weights.js';
import { writeDecoder } from '../../graph/write-decoder.js';
import type { RouterWeights } from '../../router/spec.js';
import type { RouterLoss } from '../../graph/router-train-io.js';
import type { AdaptedReader } from '../../graph/moe-spec.js';
import type { LayerBudgets } from './budgets.js';
import type { ThresholdChoice } from './fixed-threshold.js';
import { fixedThreshold } from '../../recipe/fixed-threshold.js';
import { permutationDigest } from '../../experts/permutation.js';
import { InternalError } from '../../util/errors.js';
import {
  modelToManifest,
  MANIFEST_FILE,
  GRAPH_FILES,
  MANIFEST_SCHEMA_ID,
  type MoeManifest,
  type RouterFitSummary,
} from '../shared/manifest.js';
import {
  fileHashes,
  graphSection,
  type GraphEntry,
  sourceSection,
  writeManifest,
} from '../shared/manifest-write.js';
import type { Stage } from '../shared/progress.js';
import type { Plan } from '../plan/types.js';
import type { ResolvedModel } from '../shared/resolve-model.js';
import type { DataPin } from '../shared/text-source.js';
import { VERSION } from '../shared/version.js';
import { carryCheckpointFiles } from '../shared/carried-files.js';
import { ROUTERS_FILE } from '../../train/checkpoint.js';
import { writeRouters } from '../../train/router-file.js';
import type { TrainSummary } from './mlp-routers.js';
import type { SharedDown } from './adapt-joint-read.js';
import { emitMoeGraphs } from './emit-moe.js';
import { emitPrecisions } from './emit-precisions.js';
import { markConfigForTransformersJs } from './transformers-js.js';

export interface EmitInput {
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
  /** How `output.fixed_threshold: auto` chose the recipe's (now numeric) threshold. */
  readonly thresholdChoice?: ThresholdChoice;
  readonly routers: readonly RouterWeights[];
  readonly routerLoss: RouterLoss;
  readonly train: TrainSummary | undefined;
  readonly routerFit: RouterFitSummary;
  /** Pinned dataset sources of the calibration/eval text, by section (absent for text files). */
  readonly data?: Readonly<Record<string, DataPin>>;
  readonly stage: Stage;
}

export interface EmitResult {
  readonly files: string[];
  readonly graphs: GraphEntry[];
}

export async function emitOutputs(input: EmitInput): Promise<EmitResult> {
  const { dir, model, plan } = input;
  const { recipe } = plan;
  const planned = plan.stages.emit.graphs.filter((g) => g.dtype === 'fp32');
  const dtype = resolveWeightDtype(recipe.dtype, model.ir);
  // Data files are hashed as they are written (`known`).
  const moe = await emitMoeGraphs(input, {
    precision: 'fp32',
    dtype,
    roles: new Set(planned.map((g) => g.role)),
  });
  const graphs: GraphEntry[] = [...moe.graphs];
  const known: Record<string, string> = { ...moe.known };
  if (planned.some((g) => g.role === 'dense')) {
    input.stage.note(GRAPH_FILES.dense);
    const dense = await writeDecoder(model.ir, {
      dir,
      fileName: GRAPH_FILES.dense,
      withPast: true,
      dtype,
      producerVersion: VERSION,
    });
    graphs.push({
      role: 'dense',
      file: GRAPH_FILES.dense,
      data: basename(dense.dataPath),
      io: dense.io,
    });
    known[basename(dense.dataPath)] = dense.dataSha256;
  }
  const precisions = await emitPrecisions({ ...input, dtype });
  graphs.push(...precisions.graphs);
  Object.assign(known, precisions.known);
  const withIo = graphs;
  await writeRouters(join(dir, ROUTERS_FILE), input.routers, input.routerLoss);
  const routersFile = ROUTERS_FILE;
  const carried = await carryCheckpointFiles(input.model.checkpoint.files, dir);
  if (carried.includes('config.json')) await markConfigForTransformersJs(dir);
  const files = [...withIo.flatMap((g) => [g.file, g.data]), routersFile, ...carried];
  await writeMoeManifest({ ...input, dtype, graphs: withIo, files, known });
  return { files: [...new Set([...files, MANIFEST_FILE])].sort(), graphs: withIo };
}

async function writeMoeManifest(
  m: EmitInput & { dtype: WeightDtype; graphs: GraphEntry[]; files: string[]; known: Record<string, string> },
): Promise<void> {
  const { plan, model } = m;
  const { recipe } = plan;
  const sizes = plan.experts.map((e) => e.neurons);
  const first = m.routers[0];
  if (!first) throw new InternalError('emit: no routers to record');
  const manifest: MoeManifest = {
    schema: MANIFEST_SCHEMA_ID,
    moefy_version: VERSION,
    kind: 'moe',
    source: await sourceSection(model.checkpoint),
    model: {
      ...modelToManifest(model.ir),
      ffn_kind: model.ffnKind,
      positions: model.ir.positions.kind,
    },
    recipe,
    dtype: m.dtype,
    with_past: true,
    experts: {
      sizes,
      fractions: plan.experts.map((e) => e.fraction),
      permutation_digests: m.perms.map(permutationDigest),
      adapt: {
        method: recipe.experts.adapt,
        ridge: recipe.experts.adapt_ridge,
        extra_params: plan.stages.experts.adapt.extraParams,
      },
    },
    router: {
      kind: first.kind,
      hidden: first.kind === 'mlp' ? first.hidden : null,
      outputs: sizes.length - 1,
      input: first.input ?? 'normed',
      fit: m.routerFit,
      train: m.train ?? null,
      ...(m.budgets?.tuning && {
        layer_budgets: {
          ...m.budgets.tuning,
          method: 'greedy' as const,
          scales: m.budgets.scales,
        },
      }),
    },
    fixed_threshold: fixedThreshold(recipe),
    ...(m.thresholdChoice && { fixed_threshold_tuning: m.thresholdChoice }),
    ...(m.data && Object.keys(m.data).length > 0 ? { data: { ...m.data } } : {}),
    graphs: await Promise.all(m.graphs.map((g) => graphSection(m.dir, g))),
    files: await fileHashes(m.dir, m.files, m.known),
  };
  await writeManifest(m.dir, manifest);
}
