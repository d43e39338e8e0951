/**
 * A user's own multiple-choice task from the recipe: a prompt template over the row's columns, the choices (a list
 * column, or several text columns) and the gold label, scored like the harness's `multiple_choice` tasks
 * (continuation = target_delimiter + choice). Templates substitute `{{column}}` or `{{struct.field}}` and nothing
 * else: the harness's Jinja expressions are code, and a recipe is data.
 */
import type { Row } from '../../data/dataset-rows.js';
import { field, goldIndex, scalarText, text, texts } from './row-values.js';
import { type TaskData, type TaskDefinition, type TaskDoc, TaskRowError } from './types.js';

export interface CustomTaskSpec {
  readonly name: string;
  readonly data: TaskData;
  /** Prompt template, e.g. "Question: {{question}}\nAnswer:". */
  readonly context: string;
  /** A column holding a list of texts, or the columns holding one choice each. */
  readonly choices: string | readonly string[];
  /** The gold: a 0-based index (integer or digit string), or the text of the right choice. */
  readonly label: string;
  readonly targetDelimiter: string;
}

const PLACEHOLDER = /\{\{\s*([\w.-]+)\s*\}\}/g;

/** The dotted paths a template reads. */
export function templateFields(template: string): string[] {
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]!);
}

export function renderTemplate(template: string, row: Row): string {
  return template.replace(PLACEHOLDER, (_, path: string) => scalarText(row, path));
}

function goldOf(row: Row, label: string, choices: readonly string[]): number {
  const value = field(row, label);
  if (typeof value === 'string' && !/^\s*\d+\s*$/.test(value)) {
    const at = choices.indexOf(value);
    if (at < 0)
      throw new TaskRowError(`'${label}' is "${value}", which is neither an index nor one of the choices`);
    return at;
  }
  const n = typeof value === 'bigint' ? Number(value) : typeof value === 'string' ? Number(value) : value;
  if (typeof n !== 'number' || !Number.isSafeInteger(n)) {
    throw new TaskRowError(
      `'${label}' is ${value === null ? 'null' : typeof value}, expected an index or a choice`,
    );
  }
  return goldIndex(n, choices.length, `'${label}'`);
}

export function customTask(spec: CustomTaskSpec): TaskDefinition {
  const choiceColumns = typeof spec.choices === 'string' ? [spec.choices] : spec.choices;
  const top = (path: string) => path.split('.')[0]!;
  const columns = [...new Set([...templateFields(spec.context), ...choiceColumns, spec.label].map(top))];
  const doc = (row: Row): TaskDoc => {
    const choices =
      typeof spec.choices === 'string' ? texts(row, spec.choices) : spec.choices.map((c) => text(row, c));
    if (choices.length === 0) throw new TaskRowError('no choices');
    return {
      kind: 'choices',
      context: renderTemplate(spec.context, row),
      choices,
      gold: goldOf(row, spec.label, choices),
    };
  };
  return {
    name: spec.name,
    data: spec.data,
    columns,
    metrics: ['acc', 'acc_norm'],
    targetDelimiter: spec.targetDelimiter,
    doc,
    source: 'recipe',
  };
}
