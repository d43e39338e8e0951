/** Deterministic report.json: schema key order, rounded numbers, two-space indent, trailing newline. */
import { InternalError } from '../util/errors.js';
import { reportSchema, type Report } from './types.js';

/** Significant digits kept for non-integers: far below any difference a check or a reader cares about. */
const SIGNIFICANT_DIGITS = 6;

export function roundNumber(value: number): number {
  if (Number.isInteger(value)) return value;
  return Number(value.toPrecision(SIGNIFICANT_DIGITS));
}

/**
 * Serializes a report. Parsing through the schema first both checks what we write and puts keys in schema order
 * (zod builds its output from the shape), so the bytes do not depend on how the caller assembled the object.
 */
export function reportToJson(report: Report): string {
  const result = reportSchema.safeParse(report);
  if (!result.success) {
    const issue = result.error.issues[0];
    throw new InternalError(
      `report does not match its schema at ${issue?.path.join('.')}: ${issue?.message}`,
    );
  }
  const replacer = (_key: string, value: unknown): unknown =>
    typeof value === 'number' ? roundNumber(value) : value;
  return `${JSON.stringify(result.data, replacer, 2)}\n`;
}
