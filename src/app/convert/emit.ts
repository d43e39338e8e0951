/**
 * Emit stage: the MoE graphs (router-driven `model.onnx`, the input-choice `model_choice.onnx` and oracle-routed
 * `model_oracle.onnx` for baselines, the fixed-operating-point `model_fixed.onnx` with Optimum's I/O), all with KV
 * cache and sharing `model.onnx.data`; the dense baseline `dense.onnx`; `routers.safetensors`; the checkpoint's config and tokenizer files; `moefy.json`.
 * The fixed graph is also written as `onnx/model.onnx` for transformers.js (transformers-js.ts).
 * Each graph is loaded in ORT before the output is declared complete.
 */
import { copyFile, writeFile } from 'node:fs/promises';
import { basename, join } from 'node:path';
import { ExternalDataWriter, writeModel } from '../../onnx/builder.js';
import { buildMoeDecoder, type ChoiceKind } from '../../graph/moe-decoder.js';
import { resolveWeightDtype } from '../../graph/weights.js';
import { writeDecoder } from '../../graph/write-decoder.js';
import type { Recipe } from '../../recipe/types.js';
import type { RouterWeights } from '../../router/spec.js';
import type { RouterLoss } from '../../graph/router-train-io.js';
import { permutationDigest } from '../../experts/permutation.js';
import { createSession, releaseSession } from '../../runtime/session.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { InternalError } from '../../util/errors.js';
import {
  fileHashes,
  graphSection,
  type GraphEntry,
  MANIFEST_FILE,
  modelSection,
  sourceSection,
} from '../shared/manifest-sections.js';
import type { Stage } from '../shared/progress.js';
import type { DataPin } from '../shared/text-source.js';
import type { ResolvedModel } from '../shared/resolve-model.js';
import { VERSION } from '../shared/version.js';
import { ROUTERS_FILE } from '../../train/checkpoint.js';
import { writeRouters } from '../../train/router-file.js';
import type { TrainSummary } from './mlp-routers.js';
import { emitTransformersJsGraph, markConfigForTransformersJs } from './transformers-js.js';
import type { ModelProto } from '../../onnx/proto.js';

export const MOE_DATA = 'model.onnx.data';
/** Checkpoint files copied beside the graphs so loaders that expect a HF folder (transformers.js) find them. */
const CARRIED_FILES = [
  'config.json',
  'generation_config.json',
  'tokenizer.json',
  'tokenizer_config.json',
  'special_tokens_map.json',
];

export interface EmitInput {
  readonly dir: string;
  readonly model: ResolvedModel;
  readonly recipe: Recipe;
  readonly sizes: readonly number[];
  readonly perms: readonly Int32Array[];
  readonly routers: readonly RouterWeights[];
  readonly routerLoss: RouterLoss;
  readonly train: TrainSummary | undefined;
  readonly routerFit: Record<string, unknown>;
  /** Pinned dataset sources of the calibration/eval text, by section (absent for text files). */
  readonly data?: Readonly<Record<string, DataPin>>;
  readonly stage: Stage;
}

export interface EmitResult {
  readonly files: string[];
  readonly graphs: GraphEntry[];
}

const MOE_GRAPHS: readonly { role: string; file: string; choice: ChoiceKind }[] = [
  { role: 'moe', file: 'model.onnx', choice: 'router' },
  { role: 'moe_choice', file: 'model_choice.onnx', choice: 'input' },
  { role: 'moe_fixed', file: 'model_fixed.onnx', choice: 'fixed' },
  { role: 'moe_oracle', file: 'model_oracle.onnx', choice: 'oracle' },
];

export async function emitOutputs(input: EmitInput): Promise<EmitResult> {
  const { dir, model, recipe } = input;
  const dtype = resolveWeightDtype(recipe.dtype, model.ir);
  const graphs: GraphEntry[] = [];
  const data = new ExternalDataWriter(join(dir, MOE_DATA));
  let fixed: ModelProto | undefined;
  try {
    for (const g of MOE_GRAPHS) {
      input.stage.note(g.file);
      const b = await buildMoeDecoder(model.ir, {
        name: g.role,
        experts: input.perms.map((permutation, i) => ({ permutation, router: input.routers[i] })),
        sizes: input.sizes,
        choice: g.choice,
        ...(g.choice === 'fixed' ? { threshold: recipe.output.fixed_threshold } : {}),
        withPast: true,
        dtype,
        errorBase: recipe.router.error,
        data,
      });
      const proto = b.model({ producerVersion: VERSION });
      writeModel(proto, join(dir, g.file));
      if (g.choice === 'fixed') fixed = proto;
      graphs.push({ role: g.role, file: g.file, data: MOE_DATA, io: { inputs: [], outputs: [] } });
    }
  } finally {
    data.close();
  }
  // Data files hashed as they were written; the transformers.js data is the same bytes (a link or a copy).
  const known: Record<string, string> = { [MOE_DATA]: data.sha256() };
  if (fixed) {
    const tjs = await emitTransformersJsGraph({ dir, fixed, dataFile: MOE_DATA });
    known[tjs.data] = known[MOE_DATA]!;
    graphs.push(tjs);
  }
  if (recipe.output.dense) {
    input.stage.note('dense.onnx');
    const dense = await writeDecoder(model.ir, {
      dir,
      fileName: 'dense.onnx',
      withPast: true,
      dtype,
      producerVersion: VERSION,
    });
    graphs.push({
      role: 'dense',
      file: 'dense.onnx',
      data: basename(dense.dataPath),
      io: { inputs: [], outputs: [] },
    });
    known[basename(dense.dataPath)] = dense.dataSha256;
  }
  const withIo = await Promise.all(graphs.map(async (g) => ({ ...g, io: await loadIo(join(dir, g.file)) })));
  await writeRouters(join(dir, ROUTERS_FILE), input.routers, input.routerLoss);
  const routersFile = ROUTERS_FILE;
  const carried = await carryCheckpointFiles(input);
  if (carried.includes('config.json')) await markConfigForTransformersJs(dir);
  const files = [...withIo.flatMap((g) => [g.file, g.data]), routersFile, ...carried];
  await writeManifest({ ...input, dtype, graphs: withIo, files, known });
  return { files: [...new Set([...files, MANIFEST_FILE])].sort(), graphs: withIo };
}

/**
 * Opens the graph in ORT: proves it is complete and loadable, and reads its I/O names. Unoptimized, so a load
 * neither folds nor prepacks the weights: six graphs over one data file cost six reads, not six model copies.
 */
async function loadIo(path: string): Promise<GraphEntry['io']> {
  const session = await createSession(path, { device: 'cpu', optimize: false });
  try {
    return { inputs: [...session.inputNames], outputs: [...session.outputNames] };
  } finally {
    await releaseSession(session);
  }
}

async function carryCheckpointFiles(input: EmitInput): Promise<string[]> {
  const present = input.model.checkpoint.files.filter((f) => CARRIED_FILES.includes(f.name));
  for (const f of present) await copyFile(f.path, join(input.dir, f.name));
  return present.map((f) => f.name);
}

async function writeManifest(
  m: EmitInput & { dtype: string; graphs: GraphEntry[]; files: string[]; known: Record<string, string> },
): Promise<void> {
  const { recipe, model } = m;
  const first = m.routers[0];
  if (!first) throw new InternalError('emit: no routers to record');
  const manifest = {
    schema: 'moefy.manifest/1',
    moefy_version: VERSION,
    kind: 'moe',
    source: await sourceSection(model.checkpoint),
    model: { ...modelSection(model.ir), ffn_kind: model.ffnKind },
    recipe,
    dtype: m.dtype,
    with_past: true,
    experts: {
      sizes: m.sizes,
      fractions: m.sizes.map((n) => n / model.ir.config.ffnDim),
      permutation_digests: m.perms.map(permutationDigest),
    },
    router: {
      kind: first.kind,
      hidden: first.kind === 'mlp' ? first.hidden : null,
      outputs: m.sizes.length - 1,
      fit: m.routerFit,
      train: m.train ?? null,
    },
    fixed_threshold: recipe.output.fixed_threshold,
    ...(m.data && Object.keys(m.data).length > 0 ? { data: m.data } : {}),
    graphs: await Promise.all(m.graphs.map((g) => graphSection(m.dir, g))),
    files: await fileHashes(m.dir, m.files, m.known),
  };
  await writeFile(join(m.dir, MANIFEST_FILE), `${canonicalJson(manifest, 2)}\n`);
}
