/** A recipe's model → checkpoint directory and canonical IR: the first step of every command that reads weights. */
import { type DownloadEvent, resolveCheckpoint, type ResolvedCheckpoint } from '../../checkpoint/resolve.js';
import { loadModelIR } from '../../families/load.js';
import type { FfnKind, ModelIR } from '../../ir/model.js';
import type { Recipe } from '../../recipe/types.js';
import { InputError } from '../../util/errors.js';

export interface ResolvedModel {
  readonly checkpoint: ResolvedCheckpoint;
  readonly ir: ModelIR;
  /** Every layer has the same FFN kind (the family spec decides it). */
  readonly ffnKind: FfnKind;
}

export interface ResolveModelOptions {
  /** Cache only: no network. */
  readonly offline?: boolean;
  /** Hub download progress (src/app/download-progress.ts). */
  readonly onProgress?: (e: DownloadEvent) => void;
}

export async function resolveModel(recipe: Recipe, opts: ResolveModelOptions = {}): Promise<ResolvedModel> {
  const checkpoint = await resolveCheckpoint(recipe.model, {
    // `org/name@rev` in the recipe's model wins over the schema's default revision (main).
    ...(recipe.model.includes('@') && recipe.revision === 'main' ? {} : { revision: recipe.revision }),
    ...(opts.offline ? { offline: true } : {}),
    ...(opts.onProgress ? { onProgress: opts.onProgress } : {}),
  });
  const ir = await loadModelIR(checkpoint.dir);
  const first = ir.layers[0];
  if (!first) throw new InputError(`${checkpoint.dir}: the model has no layers`);
  return { checkpoint, ir, ffnKind: first.ffn.kind };
}
