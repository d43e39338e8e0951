/** The baseline format: round trip, deterministic bytes, field-named errors, duplicate points, change listing. */
import { describe, expect, it } from 'vitest';
import { fakeReport } from '../../test/support/fake-report.js';
import { InputError } from '../util/errors.js';
import { baselineFromReport, baselineToJson, parseBaseline } from './baseline.js';
import { describeBaselineChange } from './baseline-diff.js';

const FROM = { target: 'out/', recipe: 'recipes/x.yaml' };

describe('baseline format', () => {
  it('keeps only what is compared, round-trips, and writes the same bytes twice', () => {
    const baseline = baselineFromReport(fakeReport(), FROM);
    expect(Object.keys(baseline)).toEqual([
      'schema',
      'moefy_version',
      'created_from',
      'model',
      'eval',
      'points',
    ]);
    expect(Object.keys(baseline.points[0]!)).toEqual([
      'kind',
      'threshold',
      'expert',
      'ffn_fraction',
      'flops_fraction',
      'perplexity',
      'accuracy',
      'latency',
    ]);
    const text = baselineToJson(baseline);
    const back = parseBaseline(text, 'b.json');
    expect(baselineToJson(back)).toBe(text);
    expect(back.created_from).toEqual(FROM);
  });

  it('names the file and the offending field', () => {
    const value = JSON.parse(baselineToJson(baselineFromReport(fakeReport(), FROM)));
    value.points[3].perplexity = -1;
    const run = () => parseBaseline(JSON.stringify(value), 'baselines/x.json');
    expect(run).toThrow(InputError);
    expect(run).toThrow(
      'baselines/x.json: invalid baseline, field points[3].perplexity: Too small: expected number to be >0',
    );
    expect(() => parseBaseline('{"schema":', 'b.json')).toThrow(/^b\.json: not valid JSON \(/);
    expect(() => parseBaseline('{"schema":"moefy.report/1"}', 'b.json')).toThrow(
      'b.json: invalid baseline, field schema: Invalid input: expected "moefy.baseline/1"',
    );
  });

  it('rejects two entries for the same operating point', () => {
    const value = JSON.parse(baselineToJson(baselineFromReport(fakeReport(), FROM)));
    value.points.push(value.points[1]);
    expect(() => parseBaseline(JSON.stringify(value), 'b.json')).toThrow(
      `b.json: invalid baseline, field points[${value.points.length - 1}]: duplicate point "learned t=0.02"`,
    );
  });

  it('lists changed figures, added and removed points', () => {
    const old = baselineFromReport(fakeReport(), FROM);
    const next = structuredClone(old);
    next.points[1]!.perplexity = 13;
    next.points.pop();
    expect(describeBaselineChange(old, old)).toEqual(['no change']);
    expect(describeBaselineChange(null, old)).toEqual([`new baseline with ${old.points.length} points`]);
    expect(describeBaselineChange(old, next)).toEqual([
      'learned t=0.02: perplexity 12.44 → 13',
      'oracle t=0.5: removed',
    ]);
  });
});
