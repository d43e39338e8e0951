/**
 * `moefy.json`, the manifest of an output directory: one zod schema for both kinds (a dense `export`, an MoE
 * `convert`). Writers build a value of the inferred type (the compiler holds them to it); readers parse with the
 * schema, or a `.pick()` of it when they need a few fields, so a foreign or hand-edited file fails naming the field.
 * The manifest spells fields in snake_case; MODEL_FIELDS is the one map from ModelConfig's camelCase.
 */
import { join } from 'node:path';
import { z } from 'zod';
import type { ModelConfig, ModelIR } from '../../ir/model.js';
import { type Precision, PRECISIONS, withPrecisionSuffix } from '../../ir/precision.js';
import { resolvedRecipeSchema } from '../../recipe/schema.js';
import { ROUTER_INPUTS, ROUTER_KINDS } from '../../router/spec.js';
import { DEVICES } from '../../runtime/device.js';
import type { TrainSummary } from '../../train/types.js';
import type { DataPin } from './text-source.js';
import { readJsonFile } from './read-json.js';

export const MANIFEST_FILE = 'moefy.json';
export const MANIFEST_SCHEMA_ID = 'moefy.manifest/1';

/**
 * What each emitted graph is for: `moe` (router-driven, `router_threshold` in), `moe_choice` (`expert_choice` in:
 * static widths), `moe_fixed` (the recipe's threshold baked in, Optimum I/O only), `moe_oracle` (true errors
 * in-graph), `transformers_js` (the fixed graph in transformers.js's layout), `dense` (the baseline).
 */
export const GRAPH_ROLES = [
  'moe',
  'moe_choice',
  'moe_fixed',
  'moe_oracle',
  'transformers_js',
  'dense',
] as const;
export type GraphRole = (typeof GRAPH_ROLES)[number];

/** The file `convert` (or `export`, for `dense`) writes each graph to, relative to the output directory. */
export const GRAPH_FILES: Readonly<Record<GraphRole, string>> = {
  moe: 'model.onnx',
  moe_choice: 'model_choice.onnx',
  moe_fixed: 'model_fixed.onnx',
  moe_oracle: 'model_oracle.onnx',
  transformers_js: 'onnx/model.onnx',
  dense: 'dense.onnx',
};

/**
 * The file of a role's graph in a precision of `output.dtypes`: GRAPH_FILES for fp32, the transformers.js suffix
 * before the extension otherwise (`model_q4.onnx`, `onnx/model_fp16.onnx`, `dense_quantized.onnx`; ir/precision.ts).
 */
export function graphFile(role: GraphRole, dtype: Precision): string {
  return withPrecisionSuffix(GRAPH_FILES[role], dtype);
}

/** Manifest name → ModelConfig name, for every ModelConfig field (checked below). */
export const MODEL_FIELDS = {
  family: 'family',
  architecture: 'architecture',
  vocab: 'vocabSize',
  hidden: 'hidden',
  layers: 'numLayers',
  heads: 'numHeads',
  kv_heads: 'numKvHeads',
  head_dim: 'headDim',
  ffn_dim: 'ffnDim',
  max_positions: 'maxPositions',
  tied_embeddings: 'tiedEmbeddings',
  source_dtype: 'sourceDtype',
} as const satisfies Record<string, keyof ModelConfig>;

type ManifestConfig = {
  -readonly [K in keyof typeof MODEL_FIELDS]: ModelConfig[(typeof MODEL_FIELDS)[K]];
};
// A ModelConfig field without a manifest name fails to compile here: name it in MODEL_FIELDS.
type Unnamed = Exclude<keyof ModelConfig, (typeof MODEL_FIELDS)[keyof typeof MODEL_FIELDS]>;
const everyFieldNamed: [Unnamed] extends [never] ? true : Unnamed = true;
void everyFieldNamed;

function configToManifest(c: ModelConfig): ManifestConfig {
  const entries = Object.entries(MODEL_FIELDS).map(([name, field]) => [name, c[field]]);
  return Object.fromEntries(entries) as ManifestConfig;
}

/**
 * The manifest's `model` section of both kinds: the config (MODEL_FIELDS) and, for a longrope model, its original
 * length, past which decoding recomputes the KV cache (generate/decode-loop.ts).
 */
export function modelToManifest(ir: ModelIR): ManifestModel {
  const p = ir.positions;
  return {
    ...configToManifest(ir.config),
    ...(p.kind === 'rope' &&
      p.scaling.type === 'longrope' && { longrope_original_length: p.scaling.originalMaxPositions }),
  };
}

export function configFromManifest(m: ManifestConfig): ModelConfig {
  const entries = Object.entries(MODEL_FIELDS).map(([name, field]) => [
    field,
    m[name as keyof ManifestConfig],
  ]);
  return Object.fromEntries(entries) as unknown as ModelConfig;
}

const count = z.number().int().positive();
const sha256 = z.string().regex(/^[0-9a-f]{64}$/);

const configSchema = z.object({
  family: z.string(),
  architecture: z.string(),
  vocab: count,
  hidden: count,
  layers: count,
  heads: count,
  kv_heads: count,
  head_dim: count,
  ffn_dim: count,
  max_positions: count,
  tied_embeddings: z.boolean(),
  source_dtype: z.string(),
}) satisfies z.ZodType<ManifestConfig>;

/** The config, plus what the IR says beyond it that a reader of the output needs. */
const modelSchema = configSchema.extend({
  /** Longrope models only (generate recomputes the KV cache past it); absent for every other model. */
  longrope_original_length: count.optional(),
});
type ManifestModel = z.output<typeof modelSchema>;

const fileEntry = z.object({ name: z.string(), size: z.number().int().nonnegative(), sha256 });
const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('local'), path: z.string(), files: z.array(fileEntry) }),
  z.object({
    kind: z.literal('hub'),
    repo: z.string(),
    revision: z.string(),
    sha: z.string(),
    endpoint: z.string(),
    files: z.array(fileEntry),
  }),
]);

const graphSchema = z.object({
  role: z.enum(GRAPH_ROLES),
  file: z.string(),
  data: z.string(),
  /** The graph's precision (output.dtypes); manifests written before precisions hold fp32 graphs only. */
  dtype: z.enum(PRECISIONS).default('fp32'),
  inputs: z.array(z.string()),
  outputs: z.array(z.string()),
  sha256,
});

const weightDtype = z.enum(['float32', 'float16', 'bfloat16']);

/** What every manifest holds. */
const common = {
  schema: z.literal(MANIFEST_SCHEMA_ID),
  moefy_version: z.string(),
  source: sourceSchema,
  dtype: weightDtype,
  with_past: z.boolean(),
  graphs: z.array(graphSchema),
  /** sha256 of every file the output holds besides the manifest. */
  files: z.record(z.string(), sha256),
};

export const denseManifestSchema = z.object({
  ...common,
  kind: z.literal('dense'),
  model: modelSchema,
});

/** `linear` is what manifests written before the router kinds took the recipe's names call the ridge router. */
const routerKind = z
  .enum([...ROUTER_KINDS, 'linear'])
  .transform((k) => (k === 'linear' ? 'ridge' : k))
  .pipe(z.enum(ROUTER_KINDS));

const trainSummarySchema = z.object({
  steps: z.number().int().nonnegative(),
  final_train_loss: z.number(),
  final_heldout_loss: z.number().nullable(),
  best_step: z.number().int().nonnegative(),
  seconds: z.number(),
  device: z.enum(DEVICES),
  tokens_per_s: z.number(),
}) satisfies z.ZodType<TrainSummary>;

/** A dataset the calibration or eval text came from, pinned (app/shared/text-source.ts). */
const dataPinSchema = z.discriminatedUnion('kind', [
  z.object({
    kind: z.literal('hub'),
    id: z.string(),
    config: z.string(),
    split: z.string(),
    column: z.string(),
    revision: z.string(),
    sha: z.string(),
    files_revision: z.string().nullable(),
    files_sha: z.string(),
    files: z.record(z.string(), z.string()),
  }),
  z.object({ kind: z.literal('local'), path: z.string(), column: z.string(), sha256 }),
]) satisfies z.ZodType<DataPin>;

export const moeManifestSchema = z.object({
  ...common,
  kind: z.literal('moe'),
  model: modelSchema.extend({
    ffn_kind: z.enum(['gated', 'plain']),
    /** Absent from manifests written before it was recorded. */
    positions: z.enum(['rope', 'learned']).optional(),
  }),
  /** The recipe as convert resolved it: every field defaulted, every path absolute. */
  recipe: resolvedRecipeSchema,
  experts: z.object({
    /** Neurons per nested expert, ascending; the last is the FFN width. */
    sizes: z.array(count).min(1),
    fractions: z.array(z.number()),
    /** Per layer, sha256 of the neuron permutation (experts/permutation.ts). */
    permutation_digests: z.array(sha256),
    /**
     * Expert adaptation (`experts.adapt`): the method, its ridge term and the extra parameters it stored (each
     * smaller expert's own down projection and bias, in the MoE graphs' data; joint: none, the MoE graphs' shared
     * down projection is refitted). Absent from older manifests: none.
     */
    adapt: z
      .object({
        method: z.enum(['none', 'lsq', 'joint']),
        ridge: z.number().nonnegative(),
        extra_params: z.number().int().nonnegative(),
      })
      .optional(),
  }),
  router: z.object({
    kind: routerKind,
    hidden: count.nullable(),
    outputs: z.number().int().nonnegative(),
    /** What the routers read (router/spec.ts RouterInput); absent from older manifests: normed. */
    input: z.enum(ROUTER_INPUTS).optional(),
    fit: z.object({
      ridge_lambda: z.number(),
      ridge_train_mse: z.array(z.number()),
      ridge_heldout_mse: z.array(z.number().nullable()),
      ridge_mean_heldout_mse: z.number().nullable(),
    }),
    train: trainSummarySchema.nullable(),
    /** Per-layer threshold multipliers baked into the graphs (`router.layer_budgets`); absent: every layer 1. */
    layer_budgets: z
      .object({
        method: z.enum(['greedy']),
        scales: z.array(z.number().nonnegative()),
        /** The search's tuning measurements (calibration text past calibration.tokens). */
        threshold: z.number().nonnegative(),
        windows: z.number().int().positive(),
        uniform: z.object({ perplexity: z.number(), compute: z.number() }),
        chosen: z.object({ perplexity: z.number(), compute: z.number() }),
      })
      .optional(),
  }),
  fixed_threshold: z.number().nonnegative(),
  /** `output.fixed_threshold: auto`: what chose it, measured on calibration text past calibration.tokens. */
  fixed_threshold_tuning: z
    .object({
      threshold: z.number().nonnegative(),
      windows: z.number().int().positive(),
      max_ppl_increase: z.number().nonnegative(),
      dense_perplexity: z.number(),
      points: z.array(z.object({ threshold: z.number(), perplexity: z.number(), ffn_fraction: z.number() })),
    })
    .optional(),
  /** Dataset sources of the calibration/eval text by section; absent when both came from text files. */
  data: z.record(z.string(), dataPinSchema).optional(),
});

export type DenseManifest = z.output<typeof denseManifestSchema>;
export type MoeManifest = z.output<typeof moeManifestSchema>;
export type ManifestGraph = z.output<typeof graphSchema>;
export type ManifestSource = z.output<typeof sourceSchema>;
export type RouterFitSummary = MoeManifest['router']['fit'];

/** An output directory's manifest (or the part `schema` picks), validated. */
export async function readManifest<S extends z.ZodType>(dir: string, schema: S): Promise<z.output<S>> {
  return readJsonFile(join(dir, MANIFEST_FILE), schema, 'expected an output directory of `moefy convert`');
}
