import type { Command } from 'commander';
import { parsePositiveInt, parseThresholds } from './flags.js';

interface EvalFlags {
  thresholds?: string;
  text?: string;
  tokens?: string;
  latency: boolean;
  json?: boolean;
  quiet?: boolean;
}

export function registerEval(program: Command): void {
  program
    .command('eval <out-dir>')
    .description(
      'rebuild report.json, report.md and curve.svg/png of an output directory: dense, static widths, ' +
        'learned and oracle routing at every threshold',
    )
    .option('--thresholds <list>', 'comma-separated router thresholds (default: the recipe’s)')
    .option('--text <file>', 'held-out UTF-8 text (default: the recipe’s eval.text)')
    .option('--tokens <n>', 'token budget of the quality measurement (default: the recipe’s eval.tokens)')
    .option('--no-latency', 'skip the prefill/decode timings')
    .option('--quiet', 'no progress output')
    .option('--json', 'print report.json on stdout instead of the summary lines')
    .action(async (outDir: string, flags: EvalFlags) => {
      const { runEval } = await import('../app/eval/run.js');
      await runEval({
        dir: outDir,
        overrides: {
          ...(flags.thresholds !== undefined && { thresholds: parseThresholds(flags.thresholds) }),
          ...(flags.text !== undefined && { text: flags.text }),
          ...(flags.tokens !== undefined && { tokens: parsePositiveInt('--tokens', flags.tokens) }),
          latency: flags.latency,
        },
        json: flags.json === true,
        quiet: flags.quiet === true,
      });
    });
}
