import type { Command } from 'commander';
import { InputError } from '../util/errors.js';

interface LsFlags {
  json?: boolean;
}

interface PruneFlags {
  all?: boolean;
  olderThan?: string;
  maxSize?: string;
}

export function registerCache(program: Command): void {
  const cache = program
    .command('cache')
    .description('the stage cache ($MOEFY_CACHE_DIR, else $XDG_CACHE_HOME/moefy or ~/.cache/moefy)');
  cache
    .command('ls')
    .description('entries, sizes, models and last use, newest first')
    .option('--json', 'print the entries as JSON')
    .action(async (flags: LsFlags) => {
      const { cacheRoot } = await import('../app/cache/root.js');
      const { listCache } = await import('../app/cache/cache.js');
      const root = cacheRoot();
      const entries = listCache(root);
      if (flags.json) {
        process.stdout.write(`${JSON.stringify({ root, entries }, null, 2)}\n`);
        return;
      }
      const { formatCacheList } = await import('../app/cache/format.js');
      process.stdout.write(formatCacheList(root, entries));
    });
  cache
    .command('prune')
    .description(
      'remove entries: every one, those unused for some days, or the least recently used past a size',
    )
    .option('--all', 'remove every entry')
    .option('--older-than <days>', 'remove entries not used for this many days')
    .option('--max-size <GB>', 'then remove the least recently used until the cache holds at most this much')
    .action(async (flags: PruneFlags) => {
      const { cacheRoot } = await import('../app/cache/root.js');
      const { pruneCache } = await import('../app/cache/cache.js');
      const { size } = await import('../app/cache/format.js');
      const removed = pruneCache(cacheRoot(), {
        ...(flags.all && { all: true }),
        ...(flags.olderThan !== undefined && { olderThanDays: number('--older-than', flags.olderThan) }),
        ...(flags.maxSize !== undefined && { maxBytes: number('--max-size', flags.maxSize) * 2 ** 30 }),
      });
      const freed = removed.reduce((n, e) => n + e.bytes, 0);
      process.stdout.write(`removed ${removed.length} entries, ${size(freed)}\n`);
    });
}

function number(flag: string, text: string): number {
  const value = Number(text);
  if (text.trim() === '' || !Number.isFinite(value) || value < 0) {
    throw new InputError(`${flag}: expected a number ≥ 0, got "${text}"`);
  }
  return value;
}
