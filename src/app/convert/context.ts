/** What every convert stage runs from: the plan, the resolved model, progress and the stage cache's root. */
import type { Plan } from '../plan/types.js';
import type { Progress } from '../shared/progress.js';
import type { ResolvedModel } from '../shared/resolve-model.js';
import type { DataPin, TextSource } from '../shared/text-source.js';

export interface StageContext {
  readonly plan: Plan;
  /** The checkpoint and IR, plus the checkpoint's content identity (part of every cache key). */
  readonly model: ResolvedModel & { readonly identity: unknown };
  /** Calibration and eval text, opened (datasets resolved and pinned) before any expensive work. */
  readonly data: TextSources;
  readonly progress: Progress;
  /** Root of the content-addressed stage cache. */
  readonly root: string;
  /** Cache only for a dataset's files too (also HF_HUB_OFFLINE=1). */
  readonly offline: boolean;
}

export interface TextSources {
  readonly calibration: TextSource;
  readonly eval: TextSource;
}

/** The dataset pins of the text sources, by section (text files have none): for the lock and the manifest. */
export function dataPins(data: TextSources): Record<string, DataPin> {
  return Object.fromEntries(
    Object.entries(data).flatMap(([section, s]) => (s.pin ? [[section, s.pin]] : [])),
  );
}
