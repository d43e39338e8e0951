/** The fields of moefy.json the model card reads, validated (a foreign or hand-edited manifest fails by field). */
import { join } from 'node:path';
import { z } from 'zod';
import { MANIFEST_FILE } from '../shared/manifest-sections.js';
import { readJsonFile } from '../shared/read-json.js';

const sourceSchema = z.discriminatedUnion('kind', [
  z.object({ kind: z.literal('hub'), repo: z.string(), revision: z.string(), sha: z.string() }).passthrough(),
  z.object({ kind: z.literal('local'), path: z.string() }).passthrough(),
]);

const cardManifestSchema = z.object({
  moefy_version: z.string(),
  source: sourceSchema.and(
    z.object({ files: z.array(z.object({ name: z.string(), size: z.number(), sha256: z.string() })) }),
  ),
  model: z.object({ family: z.string(), architecture: z.string(), layers: z.number(), ffn_dim: z.number() }),
  recipe: z.record(z.string(), z.unknown()).and(z.object({ check: z.object({ max_ppl_ratio: z.number() }) })),
  experts: z.object({ sizes: z.array(z.number()), fractions: z.array(z.number()) }),
  router: z.object({ kind: z.string() }).passthrough(),
  fixed_threshold: z.number(),
  /** Resolved calibration/eval data sources (absent in manifests written before datasets). */
  data: z.record(z.string(), z.unknown()).optional(),
});

export type CardManifest = z.infer<typeof cardManifestSchema>;

export function readCardManifest(dir: string): Promise<CardManifest> {
  return readJsonFile(
    join(dir, MANIFEST_FILE),
    cardManifestSchema,
    'expected an output directory of `moefy convert`',
  );
}
