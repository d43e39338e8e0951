/** The verdict for machines: `--json` output and GitHub Actions workflow commands. */
import { roundNumber } from '../report/json.js';
import { verdictSummary } from './format-table.js';
import type { MetricCheck, PointCheck, Verdict } from './verdict.js';

export const VERDICT_SCHEMA_ID = 'moefy.verdict/1';

export function verdictJson(verdict: Verdict): string {
  return `${JSON.stringify({ schema: VERDICT_SCHEMA_ID, ...verdict }, null, 2)}\n`;
}

/** Workflow-command escaping (actions/toolkit `command.ts`): data escapes % CR LF, properties also : and ,. */
function escapeData(s: string): string {
  return s.replaceAll('%', '%25').replaceAll('\r', '%0D').replaceAll('\n', '%0A');
}

function escapeProperty(s: string): string {
  return escapeData(s).replaceAll(':', '%3A').replaceAll(',', '%2C');
}

function command(level: 'error' | 'notice', props: Record<string, string>, message: string): string {
  const list = Object.entries(props).map(([k, v]) => `${k}=${escapeProperty(v)}`);
  return `::${level} ${list.join(',')}::${escapeData(message)}`;
}

function metricMessage(p: PointCheck, m: MetricCheck): string {
  const current = m.current === null ? 'not measured' : String(roundNumber(m.current));
  const change =
    m.change === null
      ? ''
      : m.rule === 'ratio'
        ? ` (×${m.change.toFixed(3)}, limit ×${m.limit})`
        : m.rule === 'stderr'
          ? ` (${m.change >= 0 ? '+' : ''}${m.change.toFixed(2)} standard errors, limit −${m.limit})`
          : ` (${m.change >= 0 ? '+' : ''}${m.change.toFixed(4)}, limit ±${m.limit})`;
  return `${p.point}: ${m.metric} ${current} vs baseline ${roundNumber(m.baseline)}${change}`;
}

function failureCommands(p: PointCheck, file: Record<string, string>): string[] {
  if (p.status === 'missing') {
    const message = `${p.point}: in the baseline but not in the report`;
    return [command('error', { ...file, title: `moefy check: ${p.point} missing` }, message)];
  }
  return p.metrics
    .filter((m) => !m.pass)
    .map((m) =>
      command('error', { ...file, title: `moefy check: ${p.point} ${m.metric}` }, metricMessage(p, m)),
    );
}

/**
 * One `::error` line per failed metric or missing point and a `::notice` summary. `baselineFile` (relative to the
 * repository root) attaches the errors to the baseline in the pull request view.
 */
export function githubAnnotations(verdict: Verdict, baselineFile?: string): string[] {
  const file: Record<string, string> = baselineFile === undefined ? {} : { file: baselineFile };
  const notes = verdict.notes.map((n) => command('notice', { title: 'moefy check note' }, n));
  return [
    ...verdict.points.flatMap((p) => failureCommands(p, file)),
    ...notes,
    command('notice', { title: 'moefy check' }, verdictSummary(verdict)),
  ];
}
