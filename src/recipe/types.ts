/** The recipe as stages see it: every field defaulted, every path absolute. */
import type { z } from 'zod';
import type { overridesSchema, recipeSchema } from './schema.js';

/** What the schema yields: path fields may still be absent (= the embedded kjv-llama fixture). */
export type ParsedRecipe = z.output<typeof recipeSchema>;

/** A Hub dataset split or a local .jsonl/.parquet file whose column holds the text (a local `path` is absolute). */
export type DatasetSpec = NonNullable<ParsedRecipe['calibration']['dataset']>;

/** Where a section's text comes from: a text file, or a dataset (never both; the rules refuse that). */
export type TextFrom =
  | { readonly text: string; readonly dataset?: undefined }
  | { readonly text?: undefined; readonly dataset: DatasetSpec };

export type Recipe = Omit<ParsedRecipe, 'model' | 'calibration' | 'eval'> & {
  /** Absolute directory for local checkpoints, else a Hub id (org/name). */
  readonly model: string;
  readonly calibration: Omit<ParsedRecipe['calibration'], 'text' | 'dataset'> & TextFrom;
  readonly eval: Omit<ParsedRecipe['eval'], 'text' | 'dataset'> & TextFrom;
};

/** Command-line flags that override recipe fields (`--device` sets router.train.device). */
export type RecipeOverrides = z.input<typeof overridesSchema>;
