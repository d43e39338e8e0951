/**
 * report.md's downstream-task section: what each task was, then every operating point's task metrics with one
 * standard error, beside its compute. Formatting only; every figure comes from the report.
 */
import { DASH, percent, perplexity } from './format.js';
import { headlineMetric, type TaskInfo, type TaskMetricName, type TaskScores } from './task-types.js';
import type { Point, Report } from './types.js';

const KIND_ORDER: Record<Point['kind'], number> = { dense: 0, learned: 1, static: 2, oracle: 3 };

function pointLabel(p: Point, report: Report): string {
  if (p.kind === 'static' && p.expert !== null) {
    return `static ${p.expert} (${report.model.expert_sizes[p.expert] ?? '?'})`;
  }
  return p.threshold === null ? p.kind : `${p.kind} ${p.threshold}`;
}

/** "41.7 ± 10.3" (accuracy in percent points), "12.31 ± 0.84" (perplexity). */
function cell(scores: TaskScores | undefined, metric: TaskMetricName): string {
  const value = scores?.[metric];
  if (value === undefined) return DASH;
  const se = scores![`${metric}_stderr`];
  if (metric === 'perplexity') return `${perplexity(value)}${se == null ? '' : ` ± ${perplexity(se)}`}`;
  return `${(value * 100).toFixed(1)}${se == null ? '' : ` ± ${(se * 100).toFixed(1)}`}`;
}

function meanHeadline(tasks: readonly TaskInfo[], p: Point): string {
  const values = tasks.map((t) => p.tasks?.[t.name]?.[headlineMetric(t)]);
  if (values.some((v) => v === undefined)) return DASH;
  return (((values as number[]).reduce((a, v) => a + v, 0) / values.length) * 100).toFixed(1);
}

function infoTable(tasks: readonly TaskInfo[]): string[] {
  return [
    '| task | data | samples | metrics | definition |',
    '| --- | --- | ---: | --- | --- |',
    ...tasks.map(
      (t) =>
        `| ${t.name} | \`${t.dataset}\` | ${t.samples}${t.limit === null ? '' : ` (limit ${t.limit})`} | ` +
        `${t.metrics.join(', ')} | ${t.source === 'recipe' ? 'recipe' : `lm-evaluation-harness \`${t.source}\``} |`,
    ),
  ];
}

function scoreTable(tasks: readonly TaskInfo[], report: Report): string[] {
  const columns = tasks.flatMap((t) => t.metrics.map((m) => ({ task: t.name, metric: m })));
  const header = ['point', 'FFN', 'FLOPs', ...columns.map((c) => `${c.task} ${c.metric}`), 'mean'];
  const points = report.points
    .filter((p) => p.tasks !== undefined)
    .sort(
      (a, b) =>
        KIND_ORDER[a.kind] - KIND_ORDER[b.kind] ||
        (a.threshold ?? 0) - (b.threshold ?? 0) ||
        (a.expert ?? 0) - (b.expert ?? 0),
    );
  return [
    `| ${header.join(' | ')} |`,
    `|${header.map((_, i) => (i === 0 ? ' --- ' : ' ---: ')).join('|')}|`,
    ...points.map((p) => {
      const cells = [
        `${pointLabel(p, report)}${p.pareto ? ' ★' : ''}`,
        percent(p.ffn_fraction),
        percent(p.flops_fraction),
        ...columns.map((c) => cell(p.tasks?.[c.task], c.metric)),
        meanHeadline(tasks, p),
      ];
      return `| ${cells.join(' | ')} |`;
    }),
  ];
}

/** The section's lines (ending with a blank line), or none when the report has no tasks. */
export function tasksMarkdown(report: Report): string[] {
  const tasks = report.tasks ?? [];
  if (tasks.length === 0) return [];
  return [
    '## Downstream tasks',
    '',
    'Zero-shot, scored as EleutherAI’s lm-evaluation-harness scores them: each choice’s summed log-likelihood ' +
      'given the context (acc), the same over the choice’s length in characters (acc_norm), the last word’s greedy ' +
      'match and perplexity (LAMBADA). Accuracies in percent ± one standard error (sample standard deviation / √n, ' +
      'as the harness reports it).',
    '',
    ...infoTable(tasks),
    '',
    ...scoreTable(tasks, report),
    '',
    `mean: the unweighted mean over tasks of each task’s headline metric (${tasks
      .map((t) => `${t.name} ${headlineMetric(t)}`)
      .join(', ')}).`,
    '',
  ];
}
