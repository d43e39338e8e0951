/**
 * A complete moefy.json of an MoE output, typed by the one manifest schema: for tests of commands that read a
 * manifest but stop before its files (the card, refusals). Every field can be replaced.
 */
import { MANIFEST_SCHEMA_ID, type MoeManifest } from '../../src/app/shared/manifest.js';
import { resolvedRecipeSchema } from '../../src/recipe/schema.js';
import type { Recipe } from '../../src/recipe/types.js';
import { fixedThreshold } from '../../src/recipe/fixed-threshold.js';

/** The default recipe around `fields` (defaults filled; paths are taken as they are, not checked). */
export function fakeRecipe(fields: Record<string, unknown> = {}): Recipe {
  return resolvedRecipeSchema.parse({
    model: '/models/kjv-llama',
    calibration: { text: '/models/kjv-llama/calibration.txt' },
    eval: { text: '/models/kjv-llama/eval.txt' },
    ...fields,
  });
}

export function fakeMoeManifest(over: Partial<MoeManifest> = {}): MoeManifest {
  const recipe = over.recipe ?? fakeRecipe();
  return {
    schema: MANIFEST_SCHEMA_ID,
    moefy_version: '0.1.0',
    kind: 'moe',
    source: { kind: 'local', path: recipe.model, files: [] },
    model: {
      family: 'llama',
      architecture: 'LlamaForCausalLM',
      vocab: 256,
      hidden: 128,
      layers: 4,
      heads: 4,
      kv_heads: 4,
      head_dim: 32,
      ffn_dim: 512,
      max_positions: 256,
      tied_embeddings: false,
      source_dtype: 'float32',
      ffn_kind: 'gated',
      positions: 'rope',
    },
    recipe,
    dtype: 'float32',
    with_past: true,
    experts: {
      sizes: [64, 128, 256, 384, 512],
      fractions: [0.125, 0.25, 0.5, 0.75, 1],
      permutation_digests: [],
    },
    router: {
      kind: recipe.router.kind,
      hidden: recipe.router.kind === 'mlp' ? recipe.router.hidden : null,
      outputs: 4,
      fit: { ridge_lambda: 0.01, ridge_train_mse: [], ridge_heldout_mse: [], ridge_mean_heldout_mse: null },
      train: null,
    },
    fixed_threshold: fixedThreshold(recipe),
    graphs: [
      {
        role: 'moe',
        file: 'model.onnx',
        data: 'model.onnx.data',
        dtype: 'fp32',
        inputs: [],
        outputs: [],
        sha256: '0'.repeat(64),
      },
    ],
    files: {},
    ...over,
  };
}
