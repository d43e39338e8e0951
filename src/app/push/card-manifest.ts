/** The fields of moefy.json the model card reads: a pick of the one manifest schema (app/shared/manifest.ts). */
import type { z } from 'zod';
import { moeManifestSchema, readManifest } from '../shared/manifest.js';

const cardFields = moeManifestSchema.pick({
  moefy_version: true,
  source: true,
  model: true,
  recipe: true,
  experts: true,
  router: true,
  fixed_threshold: true,
  data: true,
});

export type CardManifest = z.output<typeof cardFields>;

export function readCardManifest(dir: string): Promise<CardManifest> {
  return readManifest(dir, cardFields);
}
