/**
 * The tasks of one operating point: every prepared task scored through the point's own graph and graph inputs
 * (MoE routing is per token, so a threshold or a forced expert changes every choice's log-likelihood).
 */
import type { TaskScores } from '../../report/task-types.js';
import type { ChunkLimits } from './score-groups.js';
import { type SessionForwardOptions, sessionForward } from './forward.js';
import { type PreparedTask, scoreTask } from './suite.js';

/** What the sweep needs to score tasks at each point. */
export interface SweepTasks {
  readonly tasks: readonly PreparedTask[];
  readonly limits: ChunkLimits;
  readonly vocab: number;
}

/** Logits of one continuation run stay under this many bytes ([rows, tokens, vocab] float32). */
const LOGITS_BUDGET_BYTES = 256 * 2 ** 20;

/**
 * A continuation run holds as many tokens (rows × padded tail) as one perplexity batch (batch × seq_len), and its
 * logits stay within the budget: few, large runs, since each ORT run of a routed graph has a fixed cost.
 */
export function chunkLimits(o: { batch: number; seqLen: number; vocab: number }): ChunkLimits {
  const logits = Math.max(1, Math.floor(LOGITS_BUDGET_BYTES / (4 * o.vocab)));
  const tokens = Math.min(o.batch * o.seqLen, logits);
  return { maxRows: tokens, maxTokens: tokens };
}

export async function scorePointTasks(
  t: SweepTasks,
  graph: SessionForwardOptions,
): Promise<Record<string, TaskScores>> {
  const forward = sessionForward(graph);
  const scores: Record<string, TaskScores> = {};
  for (const task of t.tasks) {
    scores[task.definition.name] = await scoreTask(task, forward, { ...t.limits, vocab: t.vocab });
  }
  return scores;
}
