import { describe, expect, it } from 'vitest';
import { kjvShape } from '../../../test/support/kjv-shape.js';
import { parseRecipeText } from '../../recipe/load.js';
import { plan } from '../plan/plan.js';
import type { Environment } from '../plan/types.js';
import { actualLine, estimateLine } from './estimate-check.js';

const planIn = (environment: Environment) =>
  plan({ recipe: parseRecipeText('', '/tmp/recipe.yaml'), model: kjvShape, environment });

describe('estimate lines', () => {
  it('say which measured ORT rate priced the times, and nothing where none was measured', () => {
    const measured = planIn({ unavailable: {}, machineRate: { flopsPerSecond: 35e9, device: 'cpu' } });
    expect(estimateLine(measured)).toMatch(
      /^peak RSS ≈ .+, ≈ .+ \(calibrate .+, targets .+, router .+, eval .+\) at ORT's 35 GFLOP\/s measured now$/,
    );
    expect(estimateLine(planIn({ unavailable: {} }))).not.toContain('measured');
  });

  it('put each priced stage beside its actual time, cached stages named', () => {
    const p = planIn({ unavailable: {} });
    const times = new Map([
      ['calibrate', { seconds: p.time.calibrationSeconds * 2, cached: false }],
      ['targets', { seconds: 0, cached: true }],
    ]);
    const line = actualLine({ plan: p, times, totalSeconds: p.time.totalSeconds });
    expect(line).toMatch(
      /^estimate \/ actual: peak RSS .+ \/ .+; calibrate .+ \/ .+ \(2\.00×\); targets .+ \/ from cache; total .+ \(1\.00×\)$/,
    );
  });
});
