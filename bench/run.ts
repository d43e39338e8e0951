/**
 * `npm run bench [-- --json] [-- --suite convert,latency,train,eval,scale,precision] [-- --quick] [-- --update-docs]
 * [-- --precision-shapes d=2048,1.1B]`:
 * runs the suites, prints their figures (or JSON), and — after a complete run (every suite, no --quick) — rewrites
 * docs/benchmarks.md with the machine; `--update-docs` lets a partial run replace just its own sections there.
 * Exit 0 unless a suite crashes: a missed budget is a finding, not a failure.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { REPO_ROOT } from './cli-path.js';
import { convertSuite } from './convert-suite.js';
import { evalSuite } from './eval-suite.js';
import type { SuiteResult } from './figures.js';
import { latencySuite } from './latency-suite.js';
import { describeMachine } from './machine.js';
import { precisionSuite } from './precision-suite.js';
import { markdownReport, replaceSections, textReport } from './report.js';
import { scaleSuite } from './scale-suite.js';
import { trainSuite } from './train-suite.js';

const DOCS = join(REPO_ROOT, 'docs/benchmarks.md');

/** `precisionShapes`: the precision suite's shapes (all by default); the other suites ignore it. */
type SuiteFn = (opts: { quick: boolean; precisionShapes?: readonly string[] }) => Promise<SuiteResult>;
const SUITES: Record<string, SuiteFn> = {
  convert: convertSuite,
  latency: latencySuite,
  train: trainSuite,
  eval: evalSuite,
  scale: scaleSuite,
  precision: precisionSuite,
};

async function main(): Promise<void> {
  const { values } = parseArgs({
    options: {
      json: { type: 'boolean', default: false },
      quick: { type: 'boolean', default: false },
      suite: { type: 'string', default: Object.keys(SUITES).join(',') },
      'update-docs': { type: 'boolean', default: false },
      'precision-shapes': { type: 'string' },
    },
  });
  const names = values.suite
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
  const unknown = names.filter((n) => !SUITES[n]);
  if (unknown.length > 0) {
    process.stderr.write(
      `--suite: unknown ${unknown.join(', ')}; expected some of ${Object.keys(SUITES).join(', ')}\n`,
    );
    process.exit(2);
  }
  const machine = describeMachine();
  const results: SuiteResult[] = [];
  for (const name of names) {
    if (!values.json) process.stderr.write(`bench: ${name}…\n`);
    const shapes = values['precision-shapes']?.split(',').map((s) => s.trim());
    const result = await SUITES[name]!({ quick: values.quick, ...(shapes && { precisionShapes: shapes }) });
    results.push(result);
    if (!values.json) process.stdout.write(`${textReport([result])}\n`);
  }
  const command = `npm run bench${process.argv.length > 2 ? ` -- ${process.argv.slice(2).join(' ')}` : ''}`;
  const date = new Date().toISOString().slice(0, 10);
  // Only a complete run replaces the record: a --quick smoke run or a subset must not clobber it.
  const complete =
    !values.quick && names.length === Object.keys(SUITES).length && !values['precision-shapes'];
  if (complete) writeFileSync(DOCS, markdownReport({ machine, results, command, date }));
  else if (values['update-docs'] && !values.quick)
    writeFileSync(DOCS, replaceSections(readFileSync(DOCS, 'utf8'), results, { command, date }));
  else if (!values.json) process.stderr.write(`bench: partial or --quick run, ${DOCS} left as it was\n`);
  if (values.json) process.stdout.write(`${JSON.stringify({ machine, results }, null, 2)}\n`);
}

await main();
