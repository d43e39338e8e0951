/**
 * What `moefy eval` needs from an output directory's `moefy.json`: the resolved recipe, the model shape, the expert
 * sizes, the router shape and the graph files. Validated here, so a hand-edited or foreign manifest fails with the
 * field it lacks instead of deep inside a sweep.
 */
import { basename, join } from 'node:path';
import { z } from 'zod';
import type { EvalModel } from '../../eval/eval-model.js';
import { recipeSchema } from '../../recipe/schema.js';
import type { Recipe } from '../../recipe/types.js';
import { InputError } from '../../util/errors.js';
import { MANIFEST_FILE } from '../shared/manifest-sections.js';
import { readJsonFile } from '../shared/read-json.js';

const int = z.number().int().positive();
const manifestSchema = z.object({
  source: z
    .object({ kind: z.enum(['local', 'hub']), sha: z.string().optional(), repo: z.string().optional() })
    .passthrough(),
  model: z.object({
    family: z.string(),
    architecture: z.string(),
    vocab: int,
    hidden: int,
    layers: int,
    heads: int,
    kv_heads: int,
    head_dim: int,
    ffn_dim: int,
    max_positions: int,
    tied_embeddings: z.boolean(),
    source_dtype: z.string(),
    ffn_kind: z.enum(['gated', 'plain']),
  }),
  recipe: z.object({ model: z.string(), eval: recipeSchema.shape.eval }),
  experts: z.object({ sizes: z.array(int).min(1) }),
  router: z.object({ hidden: int.nullable() }),
  graphs: z.array(z.object({ role: z.string(), file: z.string() })),
});

export interface OutputManifest {
  /** The recipe's eval settings as convert resolved them (text path absolute). */
  readonly eval: Recipe['eval'];
  readonly model: EvalModel;
  /** The id the report names: the Hub repo or the local directory's name. */
  readonly modelId: string;
  readonly sourceSha: string | null;
}

/** Graph roles the sweep runs, by the file emit.ts writes for each. */
const ROLES = { learned: 'moe', oracle: 'moe_oracle', choice: 'moe_choice', dense: 'dense' } as const;

export async function readOutputManifest(dir: string): Promise<OutputManifest> {
  const path = join(dir, MANIFEST_FILE);
  const m = await readJsonFile(path, manifestSchema, 'expected an output directory of `moefy convert`');
  const graphs = Object.fromEntries(
    Object.entries(ROLES).map(([name, role]) => {
      const file = m.graphs.find((g) => g.role === role)?.file;
      if (!file)
        throw new InputError(
          `${path}: graphs: no ${role} graph; rerun \`moefy convert\` (with output.dense)`,
        );
      return [name, join(dir, file)];
    }),
  ) as unknown as EvalModel['graphs'];
  return {
    eval: evalSettings(m.recipe.eval, path),
    model: {
      config: modelConfig(m.model),
      ffnKind: m.model.ffn_kind,
      expertSizes: m.experts.sizes,
      graphs,
      router: { hidden: m.model.hidden, routerHidden: m.router.hidden, experts: m.experts.sizes.length },
    },
    modelId: m.source.kind === 'hub' && m.source.repo ? m.source.repo : basename(m.recipe.model),
    sourceSha: m.source.sha ?? null,
  };
}

function modelConfig(m: z.infer<typeof manifestSchema>['model']): EvalModel['config'] {
  return {
    family: m.family,
    architecture: m.architecture,
    vocabSize: m.vocab,
    hidden: m.hidden,
    numLayers: m.layers,
    numHeads: m.heads,
    numKvHeads: m.kv_heads,
    headDim: m.head_dim,
    ffnDim: m.ffn_dim,
    maxPositions: m.max_positions,
    tiedEmbeddings: m.tied_embeddings,
    sourceDtype: m.source_dtype,
  };
}

/** The recorded eval settings with their text source: a text file, or a dataset (convert wrote one of them). */
function evalSettings(e: z.infer<typeof recipeSchema.shape.eval>, path: string): Recipe['eval'] {
  const { text, dataset, ...rest } = e;
  if (dataset !== undefined) return { ...rest, dataset };
  if (text !== undefined) return { ...rest, text };
  throw new InputError(`${path}: field recipe.eval: expected text or dataset`);
}
