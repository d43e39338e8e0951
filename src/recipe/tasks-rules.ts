/**
 * Rules for `eval.tasks` the field schemas cannot state: a built-in task keeps the harness's prompt (no template
 * fields, a dataset only as a mirror), a user's task names everything it needs, and no name appears twice.
 */
import { BUILTIN_TASK_NAMES } from '../eval/tasks/names.js';
import type { Problem } from './problems.js';
import type { TaskEntry } from './tasks-schema.js';

const TEMPLATE_FIELDS = ['context', 'choices', 'label', 'target_delimiter'] as const;
const TABLE_FILE = /\.(jsonl|parquet)$/i;

const isBuiltin = (name: string) => (BUILTIN_TASK_NAMES as readonly string[]).includes(name);

function entryRules(entry: TaskEntry, at: (...p: (string | number)[]) => (string | number)[]): Problem[] {
  if (typeof entry === 'string') return [];
  const problems: Problem[] = [];
  const { dataset } = entry;
  if (dataset && dataset.id !== undefined && dataset.path !== undefined) {
    problems.push({
      path: at('dataset'),
      message: 'expected one of id (a Hub dataset) or path (a local file), not both',
    });
  }
  if (dataset?.path !== undefined && !TABLE_FILE.test(dataset.path)) {
    problems.push({ path: at('dataset', 'path'), message: 'expected a .jsonl or .parquet file' });
  }
  if (isBuiltin(entry.name)) {
    for (const field of TEMPLATE_FIELDS) {
      if (entry[field] !== undefined) {
        problems.push({
          path: at(field),
          message: `${entry.name} is built in with lm-evaluation-harness's prompt; give your own task another name to change it`,
        });
      }
    }
    return problems;
  }
  if (!dataset || (dataset.id === undefined && dataset.path === undefined)) {
    problems.push({
      path: at('dataset'),
      message: `'${entry.name}' is not a built-in task (${BUILTIN_TASK_NAMES.join(', ')}): give its dataset (id or path)`,
    });
  }
  for (const field of ['context', 'choices', 'label'] as const) {
    if (entry[field] === undefined)
      problems.push({ path: at(field), message: `required for your own task '${entry.name}'` });
  }
  return problems;
}

export function tasksRules(tasks: readonly TaskEntry[]): Problem[] {
  const seen = new Set<string>();
  return tasks.flatMap((entry, i) => {
    const at = (...p: (string | number)[]) => ['eval', 'tasks', i, ...p];
    const name = typeof entry === 'string' ? entry : entry.name;
    const duplicate: Problem[] = seen.has(name)
      ? [{ path: at(), message: `task '${name}' appears twice` }]
      : [];
    seen.add(name);
    return [...duplicate, ...entryRules(entry, at)];
  });
}
