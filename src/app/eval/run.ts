/** `moefy eval` behind the CLI: progress on stderr, the summary lines (or report.json with --json) on stdout. */
import { existsSync } from 'node:fs';
import { resolve } from 'node:path';
import { reportToJson } from '../../report/json.js';
import { InputError } from '../../util/errors.js';
import { type EvalOverrides, evaluateOutput } from './eval.js';
import { createProgress } from '../shared/progress.js';

export interface RunEvalOptions {
  readonly dir: string;
  readonly overrides: EvalOverrides;
  readonly json: boolean;
  readonly quiet: boolean;
}

export async function runEval(opts: RunEvalOptions): Promise<void> {
  const dir = resolve(opts.dir);
  if (!existsSync(dir)) throw new InputError(`${opts.dir}: output directory not found`);
  const stage = createProgress({ quiet: opts.quiet }).stage('eval', dir);
  try {
    // The command exists to measure (again): it never reads the cache, and its figures replace the entry.
    const result = await evaluateOutput({ dir, overrides: opts.overrides, stage, remeasure: true });
    stage.succeed(`${result.report.points.length} points → ${result.files.length} files`);
    process.stdout.write(opts.json ? reportToJson(result.report) : `${result.lines.join('\n')}\n`);
  } catch (err) {
    stage.fail();
    throw err;
  }
}
