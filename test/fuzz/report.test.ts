/** Fuzzing report JSON (reports and committed baselines) through parseReport: byte and structural mutations. */
import fc from 'fast-check';
import { describe, it } from 'vitest';
import { parseReport } from '../../src/report/parse.js';
import { fakeReport } from '../support/fake-report.js';
import { caseCounter, FUZZ_SEED, runs, settle } from './fuzz-support.js';
import { editedJson } from './json-edit.js';
import { hostileKey } from './json-gen.js';
import { applyMutations, mutations } from './mutate.js';

const real = JSON.stringify(fakeReport(), null, 2);
const count = caseCounter('report JSON');
const check = async (text: string) => count(await settle(() => parseReport(text, 'report.json')));

describe('report JSON under fuzzing', () => {
  it('survives byte mutations of a real report', async () => {
    const mutated = mutations().map((list) => applyMutations(Buffer.from(real), list).toString('utf8'));
    await fc.assert(fc.asyncProperty(mutated, check), { seed: FUZZ_SEED, numRuns: runs(300) });
  });

  it('survives a real report with values of the wrong type', async () => {
    await fc.assert(fc.asyncProperty(editedJson(JSON.parse(real)), check), {
      seed: FUZZ_SEED,
      numRuns: runs(400),
    });
  });

  it('survives hostile keys anywhere in a report', async () => {
    const withKey = fc.tuple(hostileKey, fc.nat(real.length)).map(([key, at]) => {
      const brace = real.indexOf('{', at);
      if (brace < 0) return real;
      return `${real.slice(0, brace + 1)}${JSON.stringify(key)}:1,${real.slice(brace + 1)}`;
    });
    await fc.assert(fc.asyncProperty(withKey, check), { seed: FUZZ_SEED, numRuns: runs(200) });
  });
});
