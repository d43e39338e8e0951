import { describe, expect, it } from 'vitest';
import { fakeReport } from '../../test/support/fake-report.js';
import { InputError, InternalError } from '../util/errors.js';
import { reportToJson } from './json.js';
import { reportToMarkdown } from './markdown.js';
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
    expect(Object.keys(reordered)[0]).toBe('pareto');
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
    expect(md).toContain('| 2 (768) | 50.0% | 69.0% | 15.300 | +23.29% |');
    expect(md).toContain('| 0.2 ★ | 52.0% |');
    expect(md).toContain('★ Pareto-optimal');
    expect(md.endsWith('\n')).toBe(true);
  });

  it('sorts each table by FFN fraction', () => {
    const learned = md.split('## Learned routing')[1]!.split('##')[0]!;
    const ffn = [...learned.matchAll(/^\| [\d.]+(?: ★)? \| ([\d.]+)%/gm)].map((m) => Number(m[1]));
    expect(ffn).toEqual([...ffn].sort((a, b) => a - b));
    expect(ffn).toHaveLength(7);
  });

  it('summarizes learned vs dense and vs static at the width nearest half the FFN', () => {
    expect(md).toContain(
      'Learned routing at 52.0% FFN (threshold 0.2): ppl 13.180, +6.20% vs dense (12.410).',
    );
    expect(md).toMatch(
      /static slice at the same width \(interpolated on the static curve\): ppl 15\.132, \+21\.9\d% vs dense/,
    );
    expect(md).toContain('learned routing is better than static slicing here');
    expect(md).toContain('(1.40×)');
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
