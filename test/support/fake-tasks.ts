/**
 * Invented downstream-task scores for report tests: HellaSwag (acc, acc_norm) and LAMBADA (acc, perplexity) on
 * every point of a report, accuracy falling as the point's perplexity rises.
 */
import type { Report } from '../../src/report/types.js';

export function withFakeTasks(report: Report): Report {
  const n = 200;
  const se = (p: number) => Math.sqrt((p * (1 - p)) / (n - 1));
  const dense = report.points.find((p) => p.kind === 'dense')!.perplexity;
  return {
    ...report,
    tasks: [
      {
        name: 'hellaswag',
        source: 'lm_eval/tasks/hellaswag/hellaswag.yaml, utils.py',
        dataset: 'Rowan/hellaswag@0123456789ab default/validation',
        dataset_sha: '0123456789abcdef0123456789abcdef01234567',
        samples: n,
        limit: n,
        num_fewshot: 0,
        metrics: ['acc', 'acc_norm'],
      },
      {
        name: 'lambada_openai',
        source: 'lm_eval/tasks/lambada/lambada_openai.yaml',
        dataset: 'EleutherAI/lambada_openai@fedcba987654 default/test',
        dataset_sha: 'fedcba9876543210fedcba9876543210fedcba98',
        samples: n,
        limit: null,
        num_fewshot: 0,
        metrics: ['perplexity', 'acc'],
      },
    ],
    points: report.points.map((p) => {
      const drop = Math.log(p.perplexity / dense);
      const acc = Math.max(0.25, 0.42 - drop * 0.5);
      const norm = Math.max(0.25, 0.52 - drop * 0.6);
      const lambada = Math.max(0.01, 0.3 - drop);
      return {
        ...p,
        tasks: {
          hellaswag: { samples: n, acc, acc_stderr: se(acc), acc_norm: norm, acc_norm_stderr: se(norm) },
          lambada_openai: {
            samples: n,
            acc: lambada,
            acc_stderr: se(lambada),
            perplexity: 40 * Math.exp(drop * 3),
            perplexity_stderr: 4 * Math.exp(drop * 3),
          },
        },
      };
    }),
  };
}
