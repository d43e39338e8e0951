/**
 * The recipe schema: every field, its type, range and default. Options with fixed values are enums here, so the
 * JSON Schema (`npm run schema`) gives editors completion for them. Cross-field rules live in rules.ts.
 * Path-valued fields are optional: when absent they mean the kjv-llama fixture shipped with moefy (load.ts).
 */
import { z } from 'zod';

const count = () => z.int().positive();
const nonNegative = () => z.number().nonnegative();

/** Fields that command-line flags can also set (overridesSchema): one definition for both. */
const modelField = z.string().min(1);
const revisionField = z.string().min(1);
const dtypeField = z.enum(['float32', 'float16']);
const seedField = z.int().nonnegative();
const deviceField = z.enum(['cpu', 'cuda']);
const thresholdsField = z.array(nonNegative()).min(1);

const expertsSchema = z
  .strictObject({
    sizes: z
      .array(z.number().gt(0).lte(1))
      .min(1)
      .default([0.125, 0.25, 0.5, 0.75, 1.0])
      .describe('expert widths as fractions of the FFN width, strictly increasing, the last = 1'),
    ordering: z
      .enum(['weight', 'activation'])
      .default('activation')
      .describe('neuron importance: weight norms (data-free) or calibration activations'),
    grouping: z
      .enum(['none', 'coactivation'])
      .default('none')
      .describe('cluster neurons that fire together before ordering'),
    align: count().default(16).describe('expert widths are rounded to a multiple of this many neurons'),
  })
  .prefault({});

const calibrationSchema = z
  .strictObject({
    text: z.string().min(1).optional().describe('UTF-8 text file; default: the kjv-llama calibration text'),
    tokens: count().default(32768).describe('calibration tokens run through the dense model'),
    seq_len: count().default(256).describe('tokens per calibration window'),
    rows_per_layer: count()
      .default(8192)
      .describe('token rows sampled per layer for ordering and router targets'),
  })
  .prefault({});

const trainSchema = z
  .strictObject({
    steps: count().default(400),
    batch: count().default(2048),
    lr: z.number().positive().default(3e-3),
    schedule: z.enum(['cosine', 'constant']).default('cosine'),
    weight_decay: nonNegative().default(0),
    heldout: z
      .number()
      .nonnegative()
      .lt(1)
      .default(0.1)
      .describe('fraction of rows held out for early stopping'),
    patience: count().default(50).describe('steps without held-out improvement before stopping'),
    device: deviceField.default('cpu'),
  })
  .prefault({});

const routerSchema = z
  .strictObject({
    kind: z
      .enum(['ridge', 'mlp'])
      .default('mlp')
      .describe('ridge: closed-form linear; mlp: Linear → SiLU → Linear'),
    hidden: count().default(64).describe('hidden width of the mlp router'),
    target: z.enum(['relative-error', 'classification']).default('relative-error'),
    error: z
      .enum(['residual', 'output'])
      .default('residual')
      .describe(
        "what a smaller expert's error is relative to: the layer's output r + y (residual) or the FFN output (output)",
      ),
    tolerance: z
      .number()
      .positive()
      .default(0.1)
      .describe('relative error that labels a token (classification)'),
    ridge_lambda: z.number().positive().default(1e-2),
    train: trainSchema,
  })
  .prefault({});

const latencySchema = z
  .strictObject({
    seq: count().default(256).describe('prompt tokens for the prefill timing'),
    repeats: count().default(5),
    decode_tokens: z.int().nonnegative().default(32).describe('tokens generated with the KV cache'),
    threads: z.int().nonnegative().default(0).describe('ORT intra-op threads; 0 = runtime default'),
  })
  .prefault({});

const evalSchema = z
  .strictObject({
    text: z.string().min(1).optional().describe('UTF-8 text file; default: the kjv-llama held-out text'),
    tokens: count().default(65536),
    seq_len: count().default(128),
    batch: count().default(16),
    thresholds: thresholdsField
      .default([0, 0.02, 0.05, 0.1, 0.15, 0.2, 0.3, 0.5, 1.0])
      .describe('router_threshold values swept by the evaluation, strictly increasing'),
    latency: latencySchema,
  })
  .prefault({});

const checkSchema = z
  .strictObject({
    max_ppl_ratio: z.number().gte(1).default(1.02).describe('allowed perplexity / baseline perplexity'),
    max_compute_delta: nonNegative().default(0.02).describe('allowed change of the realized FLOPs fraction'),
    max_latency_ratio: z.number().positive().nullable().default(null).describe('null: latency is not gated'),
  })
  .prefault({});

const outputSchema = z
  .strictObject({
    dense: z.boolean().default(true).describe('also write dense.onnx, the baseline graph'),
    fixed_threshold: nonNegative()
      .default(0.1)
      .describe('threshold baked into the fixed-operating-point graph'),
  })
  .prefault({});

export const recipeSchema = z
  .strictObject({
    model: modelField
      .optional()
      .describe('local directory or Hub id org/name; default: the kjv-llama fixture'),
    revision: revisionField.default('main').describe('Hub branch, tag or commit sha'),
    dtype: dtypeField.default('float32').describe('dtype of the emitted weights'),
    seed: seedField.default(0),
    experts: expertsSchema,
    calibration: calibrationSchema,
    router: routerSchema,
    eval: evalSchema,
    check: checkSchema,
    output: outputSchema,
  })
  .describe('moefy recipe: how to turn a dense model into nested experts');

/** Command-line overrides, validated by the same field schemas as the recipe. */
export const overridesSchema = z.strictObject({
  model: modelField.optional(),
  revision: revisionField.optional(),
  dtype: dtypeField.optional(),
  seed: seedField.optional(),
  device: deviceField.optional(),
  thresholds: thresholdsField.optional(),
});
