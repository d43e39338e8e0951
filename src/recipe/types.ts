/** The recipe as stages see it: every field defaulted, every path absolute. */
import type { z } from 'zod';
import type { overridesSchema, recipeSchema } from './schema.js';

/** What the schema yields: path fields may still be absent (= the embedded kjv-llama fixture). */
export type ParsedRecipe = z.output<typeof recipeSchema>;

export type Recipe = Omit<ParsedRecipe, 'model' | 'calibration' | 'eval'> & {
  /** Absolute directory for local checkpoints, else a Hub id (org/name). */
  readonly model: string;
  readonly calibration: ParsedRecipe['calibration'] & { readonly text: string };
  readonly eval: ParsedRecipe['eval'] & { readonly text: string };
};

export type ExpertOrdering = Recipe['experts']['ordering'];
export type RouterKind = Recipe['router']['kind'];
export type Device = Recipe['router']['train']['device'];
export type EmitDtype = Recipe['dtype'];

/** Command-line flags that override recipe fields (`--device` sets router.train.device). */
export type RecipeOverrides = z.input<typeof overridesSchema>;
