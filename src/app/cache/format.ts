/** `moefy cache ls` as a table: newest first, one line per entry, and the total. */
import type { CacheEntry } from './cache.js';

export function formatCacheList(root: string, entries: readonly CacheEntry[]): string {
  const lines = [
    `cache ${root}: ${entries.length} entries, ${size(entries.reduce((n, e) => n + e.bytes, 0))}`,
  ];
  if (entries.length === 0) return `${lines[0]}\n`;
  lines.push(['stage', 'key', 'size', 'last used', 'model'].join('\t'));
  for (const e of entries) {
    const key = e.complete ? e.key : `${e.key} (partial)`;
    lines.push([e.stage, key, size(e.bytes), new Date(e.lastUsed).toISOString(), e.model ?? '-'].join('\t'));
  }
  return `${lines.join('\n')}\n`;
}

export function size(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MB`;
  return `${(bytes / 2 ** 10).toFixed(1)} kB`;
}
