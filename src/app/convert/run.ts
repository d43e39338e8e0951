/** `moefy convert` behind the CLI: progress on stderr, a summary (or JSON) on stdout. */
import { createProgress } from '../shared/progress.js';
import { convert, type ConvertOptions, type ConvertResult } from './convert.js';

export interface RunConvertOptions extends Omit<ConvertOptions, 'progress' | 'overrides'> {
  readonly overrides: Record<string, unknown>;
  readonly quiet?: boolean;
  readonly json?: boolean;
}

export async function runConvert(opts: RunConvertOptions): Promise<void> {
  const progress = createProgress({ quiet: opts.quiet });
  const result = await convert({
    ...opts,
    overrides: opts.overrides as ConvertOptions['overrides'],
    progress,
  });
  if (opts.json) {
    process.stdout.write(
      `${JSON.stringify({ out: result.outDir, sizes: sizesOf(result), files: result.emitted.files, seconds: result.seconds }, null, 2)}\n`,
    );
    return;
  }
  process.stdout.write(
    `converted ${result.plan.recipe.model} → ${result.outDir} in ${result.seconds.toFixed(1)}s\n` +
      `experts: ${sizesOf(result).join(' / ')} neurons; files: ${result.emitted.files.join(', ')}\n` +
      result.summary.map((line) => `${line}\n`).join(''),
  );
}

function sizesOf(result: ConvertResult): number[] {
  return result.plan.experts.map((e) => e.neurons);
}
