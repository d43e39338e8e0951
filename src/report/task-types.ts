/**
 * report.json's downstream-task fields (docs/report-format.md): per point, each task's metrics with the standard
 * error the harness reports beside them; at the top, what each task was (definition, data, samples). Both are
 * optional, so reports without tasks, and older ones, still parse.
 */
import { z } from 'zod';

/** Metric names as lm-evaluation-harness prints them. */
export const TASK_METRIC_NAMES = ['acc', 'acc_norm', 'perplexity'] as const;

const fraction = z.number().min(0).max(1);
/** null when fewer than two samples make the standard error undefined. */
const stderr = z.number().nonnegative().nullable();

export const taskScoresSchema = z.object({
  samples: z.number().int().positive(),
  acc: fraction.optional(),
  acc_stderr: stderr.optional(),
  acc_norm: fraction.optional(),
  acc_norm_stderr: stderr.optional(),
  perplexity: z.number().positive().optional(),
  perplexity_stderr: stderr.optional(),
});

export const taskInfoSchema = z.object({
  name: z.string().min(1),
  /** The harness files the definition transcribes, or "recipe" for a user's task. */
  source: z.string().min(1),
  /** The data as read: `org/name@<commit> config/split`, or a local file name. */
  dataset: z.string().min(1),
  /** The resolved commit of a Hub dataset, or the sha256 of a local file. */
  dataset_sha: z.string().min(1),
  samples: z.number().int().positive(),
  /** The recipe's limit (the first rows of the split); null = the whole split. */
  limit: z.number().int().positive().nullable(),
  num_fewshot: z.literal(0),
  metrics: z.array(z.enum(TASK_METRIC_NAMES)).min(1),
});

/** Task name → scores, in the order of the report's `tasks`. */
export const pointTasksSchema = z.record(z.string(), taskScoresSchema);

export type TaskScores = z.infer<typeof taskScoresSchema>;
export type TaskInfo = z.infer<typeof taskInfoSchema>;
export type TaskMetricName = (typeof TASK_METRIC_NAMES)[number];

/** The metric a task is usually quoted by: acc_norm where the harness reports it, else acc. */
export function headlineMetric(info: Pick<TaskInfo, 'metrics'>): 'acc' | 'acc_norm' {
  return info.metrics.includes('acc_norm') ? 'acc_norm' : 'acc';
}

/** Higher is better for accuracies, lower for perplexity. */
export function higherIsBetter(metric: TaskMetricName): boolean {
  return metric !== 'perplexity';
}
