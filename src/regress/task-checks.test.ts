/** Task gating in standard errors, on hand-computed cases. */
import { describe, expect, it } from 'vitest';
import { taskChecks } from './task-checks.js';

const hs = (acc: number, se: number | null) => ({ hellaswag: { samples: 100, acc, acc_stderr: se } });

describe('taskChecks', () => {
  it('fails a drop beyond the limit in standard errors of the difference', () => {
    // se of the difference: √(0.03² + 0.04²) = 0.05; a drop of 0.08 is −1.6 se.
    const [check] = taskChecks(hs(0.5, 0.03), hs(0.42, 0.04), 2);
    expect(check).toMatchObject({
      metric: 'hellaswag acc',
      baseline: 0.5,
      current: 0.42,
      rule: 'stderr',
      limit: 2,
      pass: true,
    });
    expect(check!.change).toBeCloseTo(-1.6, 12);
    expect(taskChecks(hs(0.5, 0.03), hs(0.42, 0.04), 1.5)[0]!.pass).toBe(false);
  });

  it('always passes an improvement; with zero standard errors any worsening fails', () => {
    expect(taskChecks(hs(0.5, 0.03), hs(0.9, 0.04), 0)[0]!.pass).toBe(true);
    expect(taskChecks(hs(1, 0), hs(1, 0), 2)[0]).toMatchObject({ change: 0, pass: true });
    expect(taskChecks(hs(1, 0), hs(0.99, 0), 2)[0]).toMatchObject({ change: -Infinity, pass: false });
  });

  it('perplexity is worse when it rises', () => {
    const lam = (perplexity: number) => ({
      lambada_openai: { samples: 50, perplexity, perplexity_stderr: 1 },
    });
    const [rise] = taskChecks(lam(10), lam(13), 2);
    expect(rise!.change).toBeCloseTo(-3 / Math.SQRT2, 12);
    expect(rise!.pass).toBe(false);
    expect(taskChecks(lam(10), lam(7), 2)[0]!.pass).toBe(true);
  });

  it('a task or metric the baseline scored and the report lacks fails; one only the report has is not checked', () => {
    expect(taskChecks(hs(0.5, 0.03), undefined, 2)).toEqual([
      {
        metric: 'hellaswag acc',
        baseline: 0.5,
        current: null,
        rule: 'stderr',
        change: null,
        limit: 2,
        pass: false,
      },
    ]);
    expect(taskChecks(undefined, hs(0.5, 0.03), 2)).toEqual([]);
  });
});
