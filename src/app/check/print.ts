/** Renders a check result for the terminal, `--json`, and GitHub Actions (which reads workflow commands). */
import { formatDiffTable } from '../../regress/format-table.js';
import { githubAnnotations, verdictJson } from '../../regress/machine-output.js';
import type { CheckResult } from './check.js';

export interface PrintOptions {
  readonly json: boolean;
  /** GITHUB_ACTIONS=true: add `::error`/`::notice` workflow commands. */
  readonly githubActions: boolean;
  readonly baselineFile: string;
  /** Every compared metric, not only the failing ones. */
  readonly verbose?: boolean;
}

export interface Printed {
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * With `--json` stdout holds only the JSON document, so annotations go to stderr (the Actions runner reads
 * workflow commands from both streams).
 */
export function renderCheckResult(result: CheckResult, opts: PrintOptions): Printed {
  if (result.kind === 'baseline-written') {
    const text = [`wrote baseline ${result.path}`, ...result.changes.map((c) => `  ${c}`)].join('\n');
    return opts.json
      ? {
          stdout: `${JSON.stringify({ baseline: result.path, changes: result.changes }, null, 2)}\n`,
          stderr: '',
        }
      : { stdout: `${text}\n`, stderr: '' };
  }
  const annotations = opts.githubActions
    ? `${githubAnnotations(result.verdict, opts.baselineFile).join('\n')}\n`
    : '';
  if (opts.json) return { stdout: verdictJson(result.verdict), stderr: annotations };
  const table = formatDiffTable(result.verdict, { verbose: opts.verbose === true });
  return { stdout: `${table === '' ? '' : `${table}\n`}${annotations}`, stderr: '' };
}
