/** Reads a report.json (or a committed baseline) from untrusted text into a validated Report. */
import type { z } from 'zod';
import { InputError } from '../util/errors.js';
import { printable } from '../util/untrusted-text.js';
import { reportSchema, type Report } from './types.js';

/** `points[2].latency.prefill_ms` from zod's path segments. */
function formatPath(path: readonly PropertyKey[]): string {
  return path.reduce<string>((out, seg) => {
    if (typeof seg === 'number') return `${out}[${seg}]`;
    return out === '' ? String(seg) : `${out}.${String(seg)}`;
  }, '');
}

/** The first zod issue as `field a.b[2]: message`, plus how many more there are (shared by baseline/lock parsers). */
export function describeIssues(issues: readonly z.core.$ZodIssue[]): string {
  const [first] = issues;
  if (first === undefined) return 'invalid report';
  const where = formatPath(first.path) || '(root)';
  const more = issues.length > 1 ? ` (and ${issues.length - 1} more problem(s))` : '';
  return `field ${where}: ${first.message}${more}`;
}

/** Validates an already-parsed value; `file` names the source in the error. */
export function validateReport(value: unknown, file: string): Report {
  const result = reportSchema.safeParse(value);
  if (!result.success)
    throw new InputError(`${file}: invalid report, ${describeIssues(result.error.issues)}`);
  return result.data;
}

/** Parses report JSON text; throws InputError naming the file and the first offending field. */
export function parseReport(text: string, file: string): Report {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${printable((err as Error).message)})`);
  }
  return validateReport(value, file);
}
