/**
 * A recipe's `eval.tasks` entry → the task definition that scores it: a built-in name (optionally with a limit, or
 * a mirror of its dataset with the same columns), or a user's own multiple-choice task. The recipe schema and
 * rules have already refused what cannot be built; the types here are structural so this folder needs no recipe
 * import.
 */
import { BUILTIN_TASKS } from './builtin.js';
import type { BuiltinTaskName } from './names.js';
import { customTask } from './custom.js';
import type { TaskData, TaskDefinition } from './types.js';

export interface TaskDatasetSetting {
  readonly id?: string | undefined;
  /** Absolute (the recipe loader resolves it against the recipe's directory). */
  readonly path?: string | undefined;
  readonly config?: string | undefined;
  readonly split?: string | undefined;
  readonly revision?: string | undefined;
}

export interface TaskSetting {
  readonly name: string;
  readonly limit?: number | undefined;
  readonly dataset?: TaskDatasetSetting | undefined;
  readonly context?: string | undefined;
  readonly choices?: string | readonly string[] | undefined;
  readonly label?: string | undefined;
  readonly target_delimiter?: string | undefined;
}

export function isBuiltinTask(name: string): name is BuiltinTaskName {
  return Object.hasOwn(BUILTIN_TASKS, name);
}

/** Defaults for a user's dataset: the Hub's `default` config, its `test` split, `main`. */
function taskData(d: TaskDatasetSetting, fallback: TaskData | null): TaskData {
  if (d.path !== undefined) return { kind: 'local', path: d.path };
  const base = fallback?.kind === 'hub' ? fallback : { config: 'default', split: 'test', revision: 'main' };
  return {
    kind: 'hub',
    id: d.id ?? (fallback?.kind === 'hub' ? fallback.id : ''),
    config: d.config ?? base.config,
    split: d.split ?? base.split,
    revision: d.revision ?? base.revision,
  };
}

export function taskDefinition(setting: TaskSetting | string): TaskDefinition {
  const s: TaskSetting = typeof setting === 'string' ? { name: setting } : setting;
  if (isBuiltinTask(s.name)) {
    const builtin: TaskDefinition = BUILTIN_TASKS[s.name];
    return s.dataset ? { ...builtin, data: taskData(s.dataset, builtin.data) } : builtin;
  }
  return customTask({
    name: s.name,
    data: taskData(s.dataset ?? {}, null),
    context: s.context ?? '',
    choices: s.choices ?? [],
    label: s.label ?? '',
    targetDelimiter: s.target_delimiter ?? ' ',
  });
}

/** The entry's own limit, else the section's `task_limit`; null = every row. */
export function taskLimit(setting: TaskSetting | string, fallback: number | null): number | null {
  return typeof setting === 'string' ? fallback : (setting.limit ?? fallback);
}
