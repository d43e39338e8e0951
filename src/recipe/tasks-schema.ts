/**
 * The recipe's `eval.tasks`: downstream tasks scored at every operating point, as lm-evaluation-harness scores
 * them. An entry is a built-in name (`hellaswag`), a built-in with settings (`{ name: arc_easy, limit: 200 }`, or a
 * mirror of its dataset), or a user's own multiple-choice task (name, dataset, context template, choices, label).
 * Which fields an entry may carry depends on its name: tasks-rules.ts.
 */
import { z } from 'zod';
import { BUILTIN_TASK_NAMES } from '../eval/tasks/names.js';

const COLUMN = z.string().min(1);

const taskDatasetSchema = z
  .strictObject({
    id: z.string().min(1).optional().describe('Hub dataset id org/name'),
    path: z.string().min(1).optional().describe('local .parquet or .jsonl file instead of a Hub dataset'),
    config: z.string().min(1).optional().describe("Hub config (default: the built-in's, else 'default')"),
    split: z.string().min(1).optional().describe("split scored (default: the built-in's, else 'test')"),
    revision: z.string().min(1).optional().describe('Hub branch, tag or commit sha (default main)'),
  })
  .describe("the task's rows: a Hub dataset split or a local table");

const taskObjectSchema = z
  .strictObject({
    name: z
      .string()
      .regex(/^[\w][\w.-]*$/, "letters, digits, '_', '-' and '.' only")
      .describe('a built-in task name, or the name of your own task'),
    limit: z.int().positive().optional().describe('score only the first N rows (default: eval.task_limit)'),
    dataset: taskDatasetSchema.optional(),
    context: z
      .string()
      .optional()
      .describe('your task: prompt template over the columns, e.g. "Question: {{question}}\\nAnswer:"'),
    choices: z
      .union([COLUMN, z.array(COLUMN).min(2)])
      .optional()
      .describe('your task: a column holding the list of choices, or the columns holding one choice each'),
    label: COLUMN.optional().describe(
      "your task: the column of the gold choice (0-based index, or the right choice's text)",
    ),
    target_delimiter: z
      .string()
      .optional()
      .describe('your task: put between the context and each choice (default " ")'),
  })
  .describe('a task with settings');

export const taskEntrySchema = z.union([
  z.enum(BUILTIN_TASK_NAMES).describe('a built-in task, scored on its full evaluation split'),
  taskObjectSchema,
]);

export const tasksField = z
  .array(taskEntrySchema)
  .default([])
  .describe(
    `downstream tasks scored at every operating point (zero-shot, lm-evaluation-harness scoring); built-in: ${BUILTIN_TASK_NAMES.join(', ')}`,
  );

export const taskLimitField = z
  .int()
  .positive()
  .nullable()
  .default(null)
  .describe('score only the first N rows of each task (null: every row); a task’s own limit wins');

export const taskDropField = z
  .number()
  .nonnegative()
  .nullable()
  .default(2)
  .describe(
    'allowed worsening of a task metric vs the baseline, in standard errors of the difference; null: tasks are not gated',
  );

export type TaskEntry = z.output<typeof taskEntrySchema>;
