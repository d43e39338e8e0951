/**
 * The benchmarks still run: `bench/run.ts --quick` for the latency, train and eval suites (the convert suite's
 * streaming is covered by streaming-export.test.ts) must finish and report finite figures. It never checks a
 * timing against a budget: benchmarks report, they do not fail on speed.
 */
import { spawnSync } from 'node:child_process';
import { describe, expect, it } from 'vitest';

const root = new URL('..', import.meta.url).pathname;

describe('npm run bench -- --quick', () => {
  it('latency, train and eval suites report finite figures', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--suite', 'latency,train,eval', '--json'],
      { cwd: root, encoding: 'utf8', timeout: 180_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as {
      results: { suite: string; figures: { name: string; value: number }[] }[];
    };
    expect(report.results.map((s) => s.suite)).toEqual(['latency', 'train', 'eval']);
    for (const suite of report.results) {
      expect(suite.figures.length, suite.suite).toBeGreaterThan(0);
      for (const f of suite.figures) expect(Number.isFinite(f.value), `${suite.suite}: ${f.name}`).toBe(true);
    }
  }, 200_000);

  it('the precision suite writes and times every precision and measures their sessions’ RAM', () => {
    const r = spawnSync(
      process.execPath,
      ['--import', 'tsx', 'bench/run.ts', '--quick', '--suite', 'precision', '--json'],
      { cwd: root, encoding: 'utf8', timeout: 300_000 },
    );
    expect(r.status, r.stderr).toBe(0);
    const [suite] = (JSON.parse(r.stdout) as { results: { figures: { name: string; value: number }[] }[] })
      .results;
    const names = suite!.figures.map((f) => f.name);
    for (const p of ['fp32', 'fp16', 'q8', 'q4', 'q4f16']) {
      expect(names).toContain(`d=256 ${p} MoE session RAM`);
      expect(names).toContain(`d=256 ${p} dense decode`);
    }
    for (const f of suite!.figures) expect(Number.isFinite(f.value), f.name).toBe(true);
  }, 320_000);
});
