/** Downstream tasks in report.json (schema, round trip, old reports) and report.md (the task section). */
import { describe, expect, it } from 'vitest';
import { fakeReport } from '../../test/support/fake-report.js';
import { withFakeTasks } from '../../test/support/fake-tasks.js';
import { InputError } from '../util/errors.js';
import { renderChartSvg } from './chart-svg.js';
import { reportToJson } from './json.js';
import { reportToMarkdown } from './markdown.js';
import { parseReport } from './parse.js';

describe('tasks in report.json', () => {
  it('round-trip with every point’s scores, in task order', () => {
    const report = withFakeTasks(fakeReport());
    const json = reportToJson(report);
    const back = parseReport(json, 'report.json');
    expect(reportToJson(back)).toBe(json);
    expect(back.tasks?.map((t) => t.name)).toEqual(['hellaswag', 'lambada_openai']);
    expect(Object.keys(back.points[0]!.tasks!)).toEqual(['hellaswag', 'lambada_openai']);
    expect(json).toContain('"acc_norm_stderr": ');
  });

  it('are optional: a report without tasks has neither field', () => {
    const json = reportToJson(fakeReport());
    expect(json).not.toContain('"tasks"');
    expect(parseReport(json, 'report.json').tasks).toBeUndefined();
  });

  it('refuse an accuracy outside [0, 1], naming the field', () => {
    const data = JSON.parse(reportToJson(withFakeTasks(fakeReport())));
    data.points[1].tasks.hellaswag.acc = 1.5;
    expect(() => parseReport(JSON.stringify(data), 'r.json')).toThrow(
      new InputError(
        'r.json: invalid report, field points[1].tasks.hellaswag.acc: Too big: expected number to be <=1',
      ),
    );
  });
});

describe('tasks in report.md', () => {
  const md = reportToMarkdown(withFakeTasks(fakeReport()));

  it('names each task, its data, samples and the harness file it follows', () => {
    expect(md).toContain('## Downstream tasks');
    expect(md).toContain(
      '| hellaswag | `Rowan/hellaswag@0123456789ab default/validation` | 200 (limit 200) | acc, acc_norm | ' +
        'lm-evaluation-harness `lm_eval/tasks/hellaswag/hellaswag.yaml, utils.py` |',
    );
  });

  it('gives every point its metrics ± one standard error beside its compute, dense first', () => {
    const header = md.split('\n').find((l) => l.startsWith('| point |'))!;
    expect(header).toBe(
      '| point | FFN | FLOPs | hellaswag acc | hellaswag acc_norm | lambada_openai perplexity | lambada_openai acc | mean |',
    );
    const lines = md.split('\n');
    const start = lines.indexOf(header) + 2;
    const rows = lines.slice(start, lines.indexOf('', start));
    expect(rows[0]).toMatch(
      /^\| dense ★ \| 100\.0% \| 100\.0% \| 42\.0 ± 3\.5 \| 52\.0 ± 3\.5 \| 40\.000 ± 4\.0000 \| 30\.0 ± 3\.2 \| 41\.0 \|$/,
    );
    expect(rows.filter((r) => r.startsWith('| learned'))).toHaveLength(7);
    expect(rows.some((r) => r.startsWith('| static 2 (768) '))).toBe(true);
  });
});

describe('tasks in curve.svg', () => {
  it('adds one panel per task, its headline metric against FFN compute, with error bars', async () => {
    const svg = await renderChartSvg(withFakeTasks(fakeReport()));
    for (const text of [
      'HuggingFaceTB/SmolLM2-135M: perplexity vs FFN compute and measured speedup, downstream task accuracy',
      'hellaswag: acc_norm vs compute (n = 200)',
      'lambada_openai: acc vs compute (n = 200)',
      'hellaswag acc_norm (%, ±1 s.e.)',
    ]) {
      expect(svg).toContain(`>${text}</text>`);
    }
    const plain = await renderChartSvg(fakeReport());
    expect(plain).not.toContain('vs compute (n =');
  });
});
