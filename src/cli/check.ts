import type { Command } from 'commander';

interface CheckFlags {
  baseline: string;
  out?: string;
  json?: boolean;
  updateBaseline?: boolean;
  verbose?: boolean;
}

export function registerCheck(program: Command): void {
  program
    .command('check <out-dir-or-recipe>')
    .description(
      "CI regression gate: compare a report with a committed baseline under the recipe's check tolerances",
    )
    .addHelpText(
      'after',
      [
        '',
        'An output directory is checked by reading its report.json (tolerances from its moefy.json);',
        'a recipe file re-evaluates the output directory given with --out under that recipe.',
        'Exit 0: within tolerance; 1: regression; 2: missing or malformed input.',
        'With GITHUB_ACTIONS=true failures are also printed as ::error annotations.',
      ].join('\n'),
    )
    .requiredOption('--baseline <file>', 'committed baseline JSON (moefy.baseline/1)')
    .option('--out <dir>', 'with a recipe target: the output directory to re-evaluate')
    .option('--json', 'print the verdict as JSON')
    .option('--verbose', 'print every compared metric, not only failures and new or missing points')
    .option(
      '--update-baseline',
      'write the current figures as the new baseline (deliberate; prints what changed)',
    )
    .action(async (target: string, flags: CheckFlags) => {
      const { failIfRegressed, runCheck } = await import('../app/check/check.js');
      const result = await runCheck({
        target,
        baseline: flags.baseline,
        out: flags.out,
        updateBaseline: flags.updateBaseline === true,
        evaluateOutput: async (dir, recipe) =>
          (await import('../app/eval/eval.js')).computeReport({ dir, settings: recipe.eval }),
      });
      const { renderCheckResult } = await import('../app/check/print.js');
      const printed = renderCheckResult(result, {
        json: flags.json === true,
        githubActions: process.env.GITHUB_ACTIONS === 'true',
        baselineFile: flags.baseline,
        verbose: flags.verbose === true,
      });
      process.stdout.write(printed.stdout);
      process.stderr.write(printed.stderr);
      if (result.kind === 'compared') failIfRegressed(result.verdict);
    });
}
