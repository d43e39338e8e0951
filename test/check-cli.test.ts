/**
 * `moefy check` as a real child process on an output directory holding a report built here: pass against its own
 * baseline, a doctored baseline and compute drift fail with exit 1 and a table naming the point and metric,
 * bad input exits 2, --json parses, GitHub annotations, tolerances from moefy.json, and --update-baseline.
 */
import { createHash } from 'node:crypto';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { reportToJson } from '../src/report/json.js';
import { fakeReport } from './support/fake-report.js';
import { runCli } from './support/cli.js';

const root = mkdtempSync(join(tmpdir(), 'moefy-check-'));
const out = join(root, 'out');
const good = join(root, 'good.json');
afterAll(() => rmSync(root, { recursive: true, force: true }));

function moefy(args: string[], env: Record<string, string> = {}) {
  return runCli(args, { cwd: root, env: { GITHUB_ACTIONS: '', ...env } });
}

interface BaselineJson {
  points: { kind: string; threshold: number | null; expert: number | null; [k: string]: unknown }[];
}

/** A copy of the good baseline with one point's figures edited. */
function doctored(name: string, edit: (b: BaselineJson) => void): string {
  const baseline = JSON.parse(readFileSync(good, 'utf8')) as BaselineJson;
  edit(baseline);
  const file = join(root, name);
  writeFileSync(file, JSON.stringify(baseline));
  return file;
}

function point(b: BaselineJson, kind: string, key: { threshold?: number; expert?: number }) {
  return b.points.find(
    (p) => p.kind === kind && p.threshold === (key.threshold ?? null) && p.expert === (key.expert ?? null),
  )!;
}

const tenPercentBetter = (b: BaselineJson) => {
  const p = point(b, 'learned', { threshold: 0.1 });
  p.perplexity = (p.perplexity as number) / 1.1;
};

beforeAll(() => {
  mkdirSync(out);
  writeFileSync(join(out, 'report.json'), reportToJson(fakeReport()));
  const check = { max_ppl_ratio: 1.02, max_compute_delta: 0.02, max_latency_ratio: null };
  writeFileSync(join(out, 'moefy.json'), JSON.stringify({ schema: 'moefy.manifest/1', recipe: { check } }));
  const r = moefy(['check', 'out', '--baseline', 'good.json', '--update-baseline']);
  expect(r.stderr).toBe('');
  expect(r.code).toBe(0);
  expect(r.stdout).toBe(
    `wrote baseline good.json\n  new baseline with ${fakeReport().points.length} points\n`,
  );
});

describe('moefy check', () => {
  it('passes against the baseline it wrote, in one line; --verbose lists every compared metric', () => {
    const r = moefy(['check', 'out', '--baseline', 'good.json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      'PASS: 60 checks on 20 points within tolerance (perplexity ≤ ×1.02, compute ± 0.02, latency not gated)\n',
    );
    const all = moefy(['check', 'out', '--baseline', 'good.json', '--verbose']);
    expect(all.stdout).toMatch(/^point\s+metric\s+baseline\s+current\s+change\s+limit\s+status\n/);
    expect(all.stdout).toMatch(
      /\nlearned t=0\.1\s+perplexity\s+12\.710\s+12\.710\s+×1\.000\s+≤ ×1\.020\s+ok\n/,
    );
    expect(all.stdout.split('\n').filter((l) => /\sok$/.test(l))).toHaveLength(60);
    expect(all.stdout).toMatch(/\nPASS: 60 checks on 20 points/);
  });

  it('fails with exit 1 against a baseline 10% better in perplexity, naming the threshold and metric', () => {
    doctored('better.json', tenPercentBetter);
    const r = moefy(['check', 'out', '--baseline', 'better.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /\nlearned t=0\.1\s+perplexity\s+11\.555\s+12\.710\s+×1\.100\s+≤ ×1\.020\s+FAIL\n/,
    );
    expect(r.stderr).toBe(
      'moefy: check failed: 1 regression(s) (perplexity ≤ ×1.02, compute ± 0.02, latency not gated): learned t=0.1 perplexity\n',
    );
    // Only the failing row under the header, and the verdict once (on stderr), not again on stdout.
    expect(r.stdout.trim().split('\n')).toHaveLength(2);
    expect(r.stdout).not.toContain('regression(s)');
    expect(r.stdout).not.toMatch(/\sok\n/);
  });

  it('detects compute drift of a static slice', () => {
    doctored('drift.json', (b) => {
      const p = point(b, 'static', { expert: 2 });
      p.flops_fraction = (p.flops_fraction as number) - 0.05;
    });
    const r = moefy(['check', 'out', '--baseline', 'drift.json']);
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(
      /\nstatic expert 2\s+flops_fraction\s+\S+\s+\S+\s+\+0\.0500\s+± 0\.0200\s+FAIL\n/,
    );
    expect(r.stderr).toContain('1 regression(s)');
    expect(r.stderr).toContain(': static expert 2 flops_fraction\n');
  });

  it('exits 2 on a malformed baseline, a missing baseline and a missing report', () => {
    writeFileSync(join(root, 'bad.json'), '{"schema": "moefy.baseline/1", "points": []}');
    const bad = moefy(['check', 'out', '--baseline', 'bad.json']);
    expect(bad.code).toBe(2);
    expect(bad.stderr).toBe(
      'moefy: bad.json: invalid baseline, field moefy_version: Invalid input: expected string, received undefined (and 4 more problem(s))\n',
    );
    const absent = moefy(['check', 'out', '--baseline', 'nope.json']);
    expect(absent.code).toBe(2);
    expect(absent.stderr).toBe(
      'moefy: nope.json: not found; write one with `moefy check … --update-baseline`\n',
    );
    mkdirSync(join(root, 'empty'), { recursive: true });
    const noReport = moefy(['check', 'empty', '--baseline', 'good.json']);
    expect(noReport.code).toBe(2);
    expect(noReport.stderr).toBe('moefy: empty/report.json: not found; run `moefy eval empty` to write it\n');
  });

  it('--json prints a parseable verdict; GITHUB_ACTIONS=true adds annotations', () => {
    doctored('better.json', tenPercentBetter);
    const json = moefy(['check', 'out', '--baseline', 'better.json', '--json']);
    expect(json.code).toBe(1);
    const verdict = JSON.parse(json.stdout);
    expect(verdict).toMatchObject({ schema: 'moefy.verdict/1', pass: false, counts: { failed_metrics: 1 } });
    const gh = moefy(['check', 'out', '--baseline', 'better.json'], { GITHUB_ACTIONS: 'true' });
    expect(gh.code).toBe(1);
    expect(gh.stdout).toContain(
      '\n::error file=better.json,title=moefy check%3A learned t=0.1 perplexity::learned t=0.1: perplexity 12.71 vs baseline 11.5545 (×1.100, limit ×1.02)\n',
    );
    expect(gh.stdout).toMatch(/\n::notice title=moefy check::FAIL: 1 regression\(s\) .*\n$/);
  });

  it("takes tolerances from the output's moefy.json recipe", () => {
    doctored('better.json', tenPercentBetter);
    const loose = join(root, 'loose');
    mkdirSync(loose, { recursive: true });
    writeFileSync(join(loose, 'report.json'), reportToJson(fakeReport()));
    const check = { max_ppl_ratio: 1.2, max_compute_delta: 0.02, max_latency_ratio: null };
    writeFileSync(join(loose, 'moefy.json'), JSON.stringify({ recipe: { check } }));
    expect(moefy(['check', 'loose', '--baseline', 'better.json']).code).toBe(0);
    writeFileSync(join(loose, 'moefy.json'), JSON.stringify({ recipe: { check: { max_ppl_ratio: 0.5 } } }));
    const r = moefy(['check', 'loose', '--baseline', 'better.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'moefy: loose/moefy.json: field recipe.check.max_ppl_ratio: Too small: expected number to be >=1\n',
    );
  });

  it('gates the threshold-0 perplexity increase of experts.adapt joint, naming the field', () => {
    const joint = join(root, 'joint');
    mkdirSync(joint, { recursive: true });
    writeFileSync(
      join(joint, 'report.json'),
      reportToJson({ ...fakeReport(), threshold0_ppl_increase: 0.03 }),
    );
    const manifest = (max: number) =>
      JSON.stringify({ recipe: { check: { max_ppl_ratio: 1.02, max_threshold0_increase: max } } });
    writeFileSync(join(joint, 'moefy.json'), manifest(0.01));
    const r = moefy(['check', 'joint', '--baseline', 'good.json']);
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      'moefy: check.max_threshold0_increase: threshold 0 perplexity is +3.00 % over dense, allowed +1.00 %\n',
    );
    writeFileSync(join(joint, 'moefy.json'), manifest(0.05));
    expect(moefy(['check', 'joint', '--baseline', 'good.json']).code).toBe(0);
  });

  it('--update-baseline replaces a doctored baseline, says what changed, and then passes', () => {
    doctored('update.json', tenPercentBetter);
    const r = moefy(['check', 'out', '--baseline', 'update.json', '--update-baseline']);
    expect(r.code).toBe(0);
    expect(r.stdout).toBe('wrote baseline update.json\n  learned t=0.1: perplexity 11.5545 → 12.71\n');
    expect(readFileSync(join(root, 'update.json'), 'utf8')).toBe(readFileSync(good, 'utf8'));
    expect(moefy(['check', 'out', '--baseline', 'update.json']).code).toBe(0);
  });

  it('refuses a recipe target without --out', () => {
    writeFileSync(join(root, 'r.yaml'), 'seed: 1\n');
    const r = moefy(['check', 'r.yaml', '--baseline', 'good.json']);
    expect(r.code).toBe(2);
    expect(r.stderr).toBe(
      'moefy: r.yaml: a recipe target needs --out DIR, an existing output directory of `moefy convert`\n',
    );
  });

  it('refuses an output directory whose files no longer match its moefy.json, naming the file', () => {
    const dir = join(root, 'tampered');
    mkdirSync(dir);
    writeFileSync(join(dir, 'report.json'), reportToJson(fakeReport()));
    writeFileSync(join(dir, 'model.onnx.data'), 'weights');
    const sha = createHash('sha256').update('weights').digest('hex');
    const check = { max_ppl_ratio: 1.02, max_compute_delta: 0.02, max_latency_ratio: null };
    const manifest = { recipe: { check }, files: { 'model.onnx.data': sha } };
    writeFileSync(join(dir, 'moefy.json'), JSON.stringify(manifest));
    expect(moefy(['check', 'tampered', '--baseline', 'good.json']).code).toBe(0);
    writeFileSync(join(dir, 'model.onnx.data'), 'weightz');
    const r = moefy(['check', 'tampered', '--baseline', 'good.json']);
    expect(r.code).toBe(2);
    const now = createHash('sha256').update('weightz').digest('hex');
    expect(r.stderr).toBe(
      `moefy: tampered: does not match its moefy.json: model.onnx.data changed (sha256 ${sha.slice(0, 12)} → ${now.slice(0, 12)}); rerun \`moefy convert --force\`\n`,
    );
  });
});
