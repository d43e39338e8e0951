import { describe, expect, it } from 'vitest';
import { fakeReport } from '../../test/support/fake-report.js';
import { recommendPoint } from '../eval/recommend.js';
import { InputError, InternalError } from '../util/errors.js';
import { reportToJson } from './json.js';
import { reportToMarkdown } from './markdown.js';
import { percent } from './format.js';
import { parseReport } from './parse.js';
import type { Report } from './types.js';

describe('report.json', () => {
  it('round-trips through the schema', () => {
    const report = fakeReport();
    const back = parseReport(reportToJson(report), 'report.json');
    expect(back.points).toHaveLength(report.points.length);
    expect(reportToJson(back)).toBe(reportToJson(report));
    expect(back.points[1]?.perplexity).toBeCloseTo(report.points[1]!.perplexity, 5);
  });

  it('writes the same bytes whatever the key order, rounded, with a trailing newline', () => {
    const report = fakeReport();
    const reverseKeys = (v: unknown): unknown =>
      Array.isArray(v)
        ? v.map(reverseKeys)
        : v !== null && typeof v === 'object'
          ? Object.fromEntries(
              Object.entries(v)
                .reverse()
                .map(([k, x]) => [k, reverseKeys(x)]),
            )
          : v;
    const reordered = reverseKeys(report) as Report;
    expect(Object.keys(reordered)[0]).toBe('fixed_threshold');
    const json = reportToJson(report);
    expect(reportToJson(reordered)).toBe(json);
    expect(json.endsWith('}\n')).toBe(true);
    expect(json.startsWith('{\n  "schema": "moefy.report/1",\n  "moefy_version"')).toBe(true);
    expect(
      reportToJson({
        ...report,
        eval: { ...report.eval, text: 'x' },
        points: [{ ...report.points[0]!, perplexity: 12.345678912 }],
      }),
    ).toContain('"perplexity": 12.3457,');
  });

  it('refuses to write a report that breaks its own schema', () => {
    const bad = { ...fakeReport(), points: [] } as Report;
    expect(() => reportToJson(bad)).toThrow(InternalError);
  });

  it('names the file and the offending field of an untrusted report', () => {
    const data = JSON.parse(reportToJson(fakeReport())) as { points: { perplexity: unknown }[] };
    data.points[2]!.perplexity = 'low';
    expect(() => parseReport(JSON.stringify(data), 'baseline.json')).toThrow(
      new InputError(
        'baseline.json: invalid report, field points[2].perplexity: Invalid input: expected number, received string',
      ),
    );
    expect(() => parseReport('{"schema": "moefy.report/2"}', 'b.json')).toThrow(
      /^b\.json: invalid report, field schema: Invalid input: expected "moefy\.report\/1" \(and \d+ more problem\(s\)\)$/,
    );
    expect(() => parseReport('{oops', 'b.json')).toThrow(InputError);
    expect(() => parseReport('{oops', 'b.json')).toThrow(/^b\.json: not valid JSON \(/);
  });
});

describe('report.md', () => {
  const report = fakeReport();
  const md = reportToMarkdown(report);

  it('has a row for every point, one table per kind, and the Pareto legend', () => {
    const rows = md.split('\n').filter((l) => /^\| (dense|\d)/.test(l));
    expect(rows).toHaveLength(report.points.length);
    for (const title of ['## Dense', '## Learned routing', '## Static slices', '## Oracle routing'])
      expect(md).toContain(title);
    // Static slices run no router: FFN+router = FFN. Learned points pay for theirs.
    expect(md).toContain('| 2 (768) | 50.0% | 50.0% | 69.0% | 15.300 | +23.29% |');
    expect(md).toContain('| 0.2 ★ | 52.6% | 52.0% |');
    expect(md).toContain('★ Pareto-optimal');
    expect(md.endsWith('\n')).toBe(true);
  });

  it('sorts each table by FFN fraction', () => {
    const learned = md.split('## Learned routing')[1]!.split('##')[0]!;
    const ffn = [...learned.matchAll(/^\| [\d.]+[^|]* \| ([\d.]+)%/gm)].map((m) => Number(m[1]));
    expect(ffn).toEqual([...ffn].sort((a, b) => a - b));
    expect(ffn).toHaveLength(7);
  });

  it('summarizes learned vs dense and vs the measured static slice at or above its FFN + router compute', () => {
    expect(md).toContain(
      'Learned routing at 52.6% FFN + router compute (FFN alone 52.0%) (threshold 0.2): ppl 13.180, +6.20% vs ' +
        'dense (12.410).',
    );
    expect(md).toContain(
      'The measured static slice nearest at or above this compute (75.0% FFN): ppl 13.200, +6.37% vs dense, ' +
        'so learned routing is better than it.',
    );
    expect(md).not.toMatch(/Measured prefill/);
  });

  it('recommends the cheapest learned point within the tolerance and says what the fixed graphs carry', () => {
    expect(md).toContain(
      '**Recommended: threshold 0.05** (learned routing): 82.0% FFN, 89.2% FLOPs, perplexity 12.520 (+0.89% vs ' +
        'dense 12.410), the cheapest measured point within the tolerance of +2% perplexity',
    );
    expect(md).toContain(
      '`model_fixed.onnx` and `onnx/model.onnx` have threshold 0.1 baked in (`output.fixed_threshold`), not the ' +
        'recommended 0.05: set `output.fixed_threshold: 0.05`',
    );
    expect(md).toContain('| 0.05 ★ **recommended** | 82.6% | 82.0% |');
    expect(md).toContain('| 0.1 ★ (fixed graph) | 68.6% | 68.0% |');
    expect(md).toContain('| 4 (1536, full width) ★ |');
    const same = reportToMarkdown({ ...report, fixed_threshold: 0.05 });
    expect(same).toContain('or `model_fixed.onnx` and `onnx/model.onnx` have threshold 0.05 baked in');
    expect(same).toContain('| 0.05 ★ **recommended** (fixed graph) |');
  });

  it('gives every speedup with its interval, bold only when the interval excludes 1', () => {
    expect(md).toContain(
      '**Speed at threshold 0.05:** prefill 1.10× [1.02–1.15] faster than dense; decode 1.06× [1.01–1.14] ' +
        'faster than dense (99% intervals over 10 interleaved repeats).',
    );
    expect(md).toMatch(/\| 0\.02 ★ \|.*\| 1\.00× \[0\.97–1\.07\] \|/);
    expect(md).toContain('**1.84× [1.72–1.91]**');
    const noGain = structuredClone(report);
    for (const p of noGain.points) {
      const s = p.latency?.prefill_speedup;
      if (s) Object.assign(s, { ratio: 1.03, low: 0.95, high: 1.12, verdict: 'no-difference' });
      const d = p.latency?.decode_speedup;
      if (d) Object.assign(d, { ratio: 0.97, low: 0.9, high: 1.02, verdict: 'no-difference' });
    }
    expect(reportToMarkdown(noGain)).toContain(
      '**Speed at threshold 0.05:** no measurable difference on this model size: prefill 1.03× [0.95–1.12], ' +
        'decode 0.97× [0.90–1.02] against dense (99% intervals over 10 interleaved repeats); at hidden 576 the FFN matrices ' +
        'are too small for the skipped work to outweigh per-operator overhead; docs/benchmarks.md measures ' +
        'routed speedups on larger shapes.',
    );
    const wide = { ...noGain, model: { ...noGain.model, hidden: 4096 } };
    expect(reportToMarkdown(wide)).toContain('no measurable difference on this machine');
  });

  it('defines every column under the tables', () => {
    const notes = md.split('## Columns')[1]!;
    for (const column of [
      'FFN+router',
      'FFN',
      'FLOPs',
      'perplexity',
      'Δppl vs dense',
      'accuracy',
      'prefill ms',
      'decode tok/s',
    ])
      expect(notes).toContain(`**${column}**`);
    expect(notes).toContain('next-token accuracy on the same held-out text');
    expect(notes).toContain('**prefill / decode speedup**');
  });

  it('recommends dense when nothing within the tolerance saves compute', () => {
    const strict = { ...report, recommended: recommendPoint(report.points, 0.001) };
    const text = reportToMarkdown(strict);
    expect(text).toContain('**Recommended: the dense model.** No learned threshold within +0.1% perplexity');
    expect(text).toContain('| dense ★ **recommended** |');
  });

  it('says so when there is nothing to compare', () => {
    const onlyDense = {
      ...report,
      points: report.points.filter((p) => p.kind === 'dense'),
      pareto: { ...report.pareto, learned_vs_static: [] },
    };
    expect(reportToMarkdown(onlyDense)).toContain(
      'No learned points in this report; dense perplexity is 12.410.',
    );
  });
});

describe('precisions', () => {
  const base = fakeReport();
  const q4 = base.points
    .filter((p) => p.kind === 'dense' || p.kind === 'learned')
    .map((p) => ({ ...p, perplexity: p.perplexity * 1.02 }));
  const report: Report = { ...base, precisions: [{ dtype: 'q4', points: q4 }] };

  it('round-trip in report.json after the fp32 sections; a report without them has no key', () => {
    const json = reportToJson(report);
    expect(parseReport(json, 'report.json').precisions?.[0]?.points).toHaveLength(q4.length);
    expect(json.indexOf('"precisions"')).toBeGreaterThan(json.indexOf('"pareto"'));
    expect(reportToJson(base)).not.toContain('precisions');
  });

  it('get a report.md section: routing cost against the same precision, precision cost against fp32', () => {
    const md = reportToMarkdown(report);
    const section = md.slice(md.indexOf('## Precisions'));
    expect(section).toContain('| dtype | graph | FFN+router | FFN | perplexity |');
    expect(section).toContain('| q4 | dense | 100.0% | 100.0% |');
    expect(section).toMatch(/\| fp32 \| dense \| 100\.0% \| 100\.0% \| [\d.]+ \| — \| \+0\.00% \|/);
    expect(section).toMatch(/\| q4 \| dense \| 100\.0% \| 100\.0% \| [\d.]+ \| — \| \+2\.00% \|/);
    // A learned point's first compute column is FFN+router (it pays for its router), the second FFN alone.
    const learned = q4.find((p) => p.kind === 'learned' && p.ffn_router_fraction !== undefined)!;
    expect(section).toContain(
      `| q4 | threshold ${learned.threshold} | ${percent(learned.ffn_router_fraction!)} | ${percent(learned.ffn_fraction)} |`,
    );
    expect(reportToMarkdown(base)).not.toContain('## Precisions');
  });
});
