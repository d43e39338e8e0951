import type { Command } from 'commander';

interface PushFlags {
  private?: boolean;
  revision?: string;
  message?: string;
  token?: string;
  quiet?: boolean;
}

export function registerPush(program: Command): void {
  program
    .command('push <out-dir> <repo>')
    .description('publish an output directory to a Hub model repo (org/name) with a generated model card')
    .addHelpText(
      'after',
      [
        '',
        'Needs a token with write access: HF_TOKEN, or --token (never printed). HF_ENDPOINT picks another Hub.',
        'The output must match its moefy.json (as `moefy check` verifies); only changed files are committed,',
        'so pushing the same output twice makes no second commit.',
      ].join('\n'),
    )
    .option('--private', 'create the repo as private (only when it does not exist yet)')
    .option('--revision <branch>', 'branch to commit to, created from main when missing (default: main)')
    .option('--message <text>', 'commit title')
    .option('--token <token>', 'Hub token with write access (default: $HF_TOKEN)')
    .option('--quiet', 'no progress output')
    .action(async (outDir: string, repo: string, flags: PushFlags) => {
      const { push } = await import('../app/push/push.js');
      const { createProgress } = await import('../app/shared/progress.js');
      const result = await push({ ...flags, outDir, repo, progress: createProgress({ quiet: flags.quiet }) });
      const { uploads, deletes, unchanged, kept } = result.changes;
      const lines = [
        result.commit === null
          ? `${result.url}: up to date, no commit (${unchanged.length} files unchanged)`
          : `${result.url}: commit ${result.commit} (${uploads.length} uploaded, ${deletes.length} removed, ${unchanged.length} unchanged)`,
        ...(kept.length > 0
          ? [`kept ${kept.length} files that are not moefy output: ${kept.join(', ')}`]
          : []),
      ];
      process.stdout.write(`${lines.join('\n')}\n`);
    });
}
