/**
 * Downstream tasks as data: where a task's rows come from, how a row becomes a document, which metrics it reports.
 * The shapes follow EleutherAI's lm-evaluation-harness (lm_eval/api/task.py, ConfigurableTask): a document is what
 * its `doc_to_text` / `doc_to_choice` / `doc_to_target` give, and the three kinds below are its three ways of
 * turning one into log-likelihood requests (`construct_requests`).
 */
import type { Row } from '../../data/dataset-rows.js';

/**
 * - `choices`: multiple choice with the choices in the continuation (HellaSwag, ARC, PIQA): one request per choice,
 *   (context, target_delimiter + choice).
 * - `contexts`: multiple choice with the choices in the context (the harness's `multiple_inputs`, WinoGrande's
 *   partial scoring): one request per context, (context_i, target_delimiter + continuation); only the continuation
 *   after the blank is scored.
 * - `continuation`: one (context, continuation) request (LAMBADA): greedy match and log-likelihood.
 */
export type TaskDoc =
  | {
      readonly kind: 'choices';
      readonly context: string;
      readonly choices: readonly string[];
      readonly gold: number;
    }
  | {
      readonly kind: 'contexts';
      readonly contexts: readonly string[];
      readonly continuation: string;
      readonly gold: number;
    }
  | { readonly kind: 'continuation'; readonly context: string; readonly continuation: string };

/** `acc`: argmax of summed log-likelihood (multiple choice) or greedy match (continuation); `acc_norm`: argmax of
 *  log-likelihood over the choice's length in characters; `perplexity`: exp(−mean log-likelihood). */
export const TASK_METRICS = ['acc', 'acc_norm', 'perplexity'] as const;
export type TaskMetric = (typeof TASK_METRICS)[number];

/** A Hub dataset split, or a local .parquet / .jsonl file (absolute path). */
export type TaskData =
  | {
      readonly kind: 'hub';
      readonly id: string;
      readonly config: string;
      readonly split: string;
      readonly revision: string;
    }
  | { readonly kind: 'local'; readonly path: string };

export interface TaskDefinition {
  readonly name: string;
  readonly data: TaskData;
  /** The columns `doc` reads (the reader fetches only these). */
  readonly columns: readonly string[];
  readonly metrics: readonly TaskMetric[];
  /** Put between context and continuation in multiple-choice requests (the harness's `target_delimiter`). */
  readonly targetDelimiter: string;
  /** row → document; throws TaskRowError naming what is wrong with the row. */
  doc(row: Row): TaskDoc;
  /** Where the definition comes from: the harness files it follows, or "recipe" for a user's task. */
  readonly source: string;
}

/** A row that cannot become a document; the caller adds the task name and row number. */
export class TaskRowError extends Error {}
