/**
 * `moefy check`: compares a report with a committed baseline under the recipe's tolerances (DESIGN.md §2).
 * An output directory is checked by reading its report.json; a recipe re-evaluates the output directory it
 * names with `--out`, through the injected `evaluateOutput` (the evaluation stage, wired by the caller).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { loadRecipe } from '../../recipe/load.js';
import type { Recipe } from '../../recipe/types.js';
import { type Baseline, baselineFromReport, baselineToJson, parseBaseline } from '../../regress/baseline.js';
import { describeBaselineChange } from '../../regress/baseline-diff.js';
import { compareReports } from '../../regress/compare.js';
import { failureSummary } from '../../regress/format-table.js';
import type { Tolerances, Verdict } from '../../regress/verdict.js';
import type { Report } from '../../report/types.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { CheckFailedError, InputError, InternalError } from '../../util/errors.js';
import { isDirectory, outputTolerances, readBaseline, readOutputReport } from './inputs.js';
import { checkThreshold0 } from './threshold0.js';
import { MANIFEST_FILE } from '../shared/manifest.js';
import { verifyOutputIntegrity } from '../shared/output-integrity.js';

/** Recomputes the report of an output directory under a recipe's eval settings. */
export type EvaluateOutput = (outDir: string, recipe: Recipe) => Promise<Report>;

export interface CheckOptions {
  /** An output directory (read its report.json) or a recipe file (re-evaluate `out`). */
  readonly target: string;
  readonly baseline: string;
  /** With a recipe target: the output directory `moefy convert` wrote for it. */
  readonly out?: string;
  readonly updateBaseline?: boolean;
  /** The evaluation stage; needed only for recipe targets. */
  readonly evaluateOutput?: EvaluateOutput;
}

export type CheckResult =
  | { readonly kind: 'compared'; readonly verdict: Verdict }
  | { readonly kind: 'baseline-written'; readonly path: string; readonly changes: readonly string[] };

interface Measured {
  readonly report: Report;
  readonly tolerances: Tolerances;
  readonly recipeFile: string | null;
}

export async function runCheck(opts: CheckOptions): Promise<CheckResult> {
  const measured = await measure(opts);
  if (opts.updateBaseline) return writeBaseline(opts, measured);
  checkThreshold0(measured.report, measured.tolerances);
  const baseline = await readBaseline(opts.baseline);
  const verdict = compareReports({ report: measured.report, baseline, tolerances: measured.tolerances });
  return { kind: 'compared', verdict };
}

/** Exit 1 (DESIGN.md §2) after the caller has printed the table. */
export function failIfRegressed(verdict: Verdict): void {
  if (!verdict.pass) throw new CheckFailedError(`check failed: ${failureSummary(verdict)}`);
}

async function measure(opts: CheckOptions): Promise<Measured> {
  if (isDirectory(opts.target)) {
    if (opts.out !== undefined) {
      throw new InputError(`--out is for recipe targets; ${opts.target} is already an output directory`);
    }
    // An output that no longer matches its own manifest is refused before its report is trusted.
    if (existsSync(join(opts.target, MANIFEST_FILE))) await verifyOutputIntegrity(opts.target);
    const tolerances = await outputTolerances(opts.target);
    return { report: await readOutputReport(opts.target), tolerances, recipeFile: null };
  }
  if (!existsSync(opts.target)) {
    throw new InputError(`${opts.target}: not found; expected an output directory or a recipe file`);
  }
  if (opts.out === undefined || !isDirectory(opts.out)) {
    throw new InputError(
      `${opts.target}: a recipe target needs --out DIR, an existing output directory of \`moefy convert\``,
    );
  }
  if (opts.evaluateOutput === undefined) {
    throw new InternalError('check: recipe targets need the evaluation stage (evaluateOutput) wired in');
  }
  const recipe = await loadRecipe(opts.target);
  const report = await opts.evaluateOutput(opts.out, recipe);
  return { report, tolerances: recipe.check, recipeFile: opts.target };
}

/** A deliberate new baseline: replaces even an unreadable one, and says what changed against the old. */
async function writeBaseline(opts: CheckOptions, m: Measured): Promise<CheckResult> {
  const next = baselineFromReport(m.report, { target: opts.target, recipe: m.recipeFile });
  const { old, unreadable } = await previousBaseline(opts.baseline);
  await writeFileAtomic(opts.baseline, baselineToJson(next));
  const changes = unreadable
    ? [`replaced an unreadable baseline (${unreadable})`, ...describeBaselineChange(null, next)]
    : describeBaselineChange(old, next);
  return { kind: 'baseline-written', path: opts.baseline, changes };
}

async function previousBaseline(path: string): Promise<{ old: Baseline | null; unreadable: string | null }> {
  if (!existsSync(path)) return { old: null, unreadable: null };
  try {
    return { old: parseBaseline(await readFile(path, 'utf8'), path), unreadable: null };
  } catch (err) {
    return { old: null, unreadable: (err as Error).message };
  }
}
