/**
 * The committed baseline (`moefy.baseline/1`, documented in docs/ci.md): a trimmed, versioned copy of a report —
 * the model's identity, the eval setup and, per operating point, the figures `moefy check` compares. Every field
 * reuses the report's own schema, so a baseline and a report can never disagree on what a field means.
 */
import { z } from 'zod';
import { roundNumber } from '../report/json.js';
import { describeIssues } from '../report/parse.js';
import { reportSchema, type Report } from '../report/types.js';
import { InputError } from '../util/errors.js';
import { pointKey } from './point-key.js';

export const BASELINE_SCHEMA_ID = 'moefy.baseline/1';

export const baselinePointSchema = reportSchema.shape.points.element.pick({
  kind: true,
  threshold: true,
  expert: true,
  ffn_fraction: true,
  flops_fraction: true,
  perplexity: true,
  accuracy: true,
  latency: true,
  tasks: true,
});

export const baselineSchema = z.object({
  schema: z.literal(BASELINE_SCHEMA_ID),
  /** moefy version that measured the figures (the report's). */
  moefy_version: reportSchema.shape.moefy_version,
  created_from: z.object({
    /** The `moefy check` argument the baseline was written from: an output directory or a recipe file. */
    target: z.string().min(1),
    /** The recipe file when known (recipe targets); null for an output directory (its moefy.json holds it). */
    recipe: z.string().min(1).nullable(),
  }),
  model: reportSchema.shape.model,
  eval: reportSchema.shape.eval,
  points: z.array(baselinePointSchema).min(1).superRefine(rejectDuplicatePoints),
  /** The downstream tasks the points were scored on (absent: none, or a baseline from before tasks). */
  tasks: reportSchema.shape.tasks,
});

export type Baseline = z.infer<typeof baselineSchema>;
export type BaselinePoint = Baseline['points'][number];
export type CreatedFrom = Baseline['created_from'];

/** Two entries for the same operating point would make the comparison ambiguous. */
function rejectDuplicatePoints(
  points: readonly z.output<typeof baselinePointSchema>[],
  ctx: z.RefinementCtx,
): void {
  const seen = new Set<string>();
  points.forEach((p, i) => {
    const key = pointKey(p);
    if (seen.has(key)) ctx.addIssue({ code: 'custom', path: [i], message: `duplicate point "${key}"` });
    seen.add(key);
  });
}

/** Parses baseline JSON text; throws InputError naming the file and the first offending field. */
export function parseBaseline(text: string, file: string): Baseline {
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (err) {
    throw new InputError(`${file}: not valid JSON (${(err as Error).message})`);
  }
  const result = baselineSchema.safeParse(value);
  if (!result.success) {
    throw new InputError(`${file}: invalid baseline, ${describeIssues(result.error.issues)}`);
  }
  return result.data;
}

/** The baseline a report stands for: only what is compared or identifies what was measured. */
export function baselineFromReport(report: Report, createdFrom: CreatedFrom): Baseline {
  return baselineSchema.parse({
    schema: BASELINE_SCHEMA_ID,
    moefy_version: report.moefy_version,
    created_from: createdFrom,
    model: report.model,
    eval: report.eval,
    points: report.points,
    ...(report.tasks && { tasks: report.tasks }),
  });
}

/** Deterministic bytes (schema key order, report rounding), so an unchanged baseline gives an empty git diff. */
export function baselineToJson(baseline: Baseline): string {
  const replacer = (_key: string, value: unknown): unknown =>
    typeof value === 'number' ? roundNumber(value) : value;
  return `${JSON.stringify(baselineSchema.parse(baseline), replacer, 2)}\n`;
}
