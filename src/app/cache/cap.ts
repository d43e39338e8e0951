/**
 * The stage cache's size cap (`MOEFY_CACHE_MAX_GB`, a setting of the machine beside `MOEFY_CACHE_DIR`): after each
 * cached stage of a conversion, whole finished entries go, least recently used first, until the cache holds at most
 * the cap. An entry used since the conversion started (produced or reused: either sets its marker's time) is never
 * removed — the running conversion reads it again — and neither is unfinished work (a calibration's per-layer
 * files, router checkpoints, temp and scratch dirs), so the cap may be exceeded while only those remain.
 */
import { InputError } from '../../util/errors.js';
import { type CacheEntry, listCache, removeEntry } from './cache.js';

export const CACHE_CAP_ENV = 'MOEFY_CACHE_MAX_GB';

/** The cap in bytes, or null when none is set. */
export function cacheCapBytes(env: NodeJS.ProcessEnv = process.env): number | null {
  const raw = env[CACHE_CAP_ENV];
  if (raw === undefined || raw.trim() === '') return null;
  const gb = Number(raw);
  if (!Number.isFinite(gb) || gb <= 0) {
    throw new InputError(`${CACHE_CAP_ENV}: expected a size in GB greater than 0, got "${raw}"`);
  }
  return gb * 2 ** 30;
}

export interface Eviction {
  readonly removed: readonly CacheEntry[];
  /** Bytes the cache holds afterwards (partial work included). */
  readonly bytes: number;
}

/**
 * Removes finished entries last used before `inUseSince` (ms since the epoch), oldest first, until the cache holds
 * at most `maxBytes`.
 */
export function evictToCap(root: string, a: { maxBytes: number; inUseSince: number }): Eviction {
  const entries = listCache(root);
  let bytes = entries.reduce((n, e) => n + e.bytes, 0);
  const removed: CacheEntry[] = [];
  // listCache sorts newest first: walk it backwards.
  for (const e of [...entries].reverse()) {
    if (bytes <= a.maxBytes) break;
    if (!e.complete || e.lastUsed >= a.inUseSince) continue;
    removeEntry(e);
    removed.push(e);
    bytes -= e.bytes;
  }
  return { removed, bytes };
}

/** Slack for file-system time stamps coarser than the clock: entries used just before the start count as in use. */
const TIMESTAMP_SLACK_MS = 2000;

/**
 * For a conversion starting now: a function to call after each cached stage, which applies the cap (when set) and
 * says what it removed. Reads the setting at once, so a bad value stops the conversion before any work.
 */
export function cacheCapper(a: { root: string; info: (line: string) => void }): () => void {
  const maxBytes = cacheCapBytes();
  const inUseSince = Date.now() - TIMESTAMP_SLACK_MS;
  return () => {
    if (maxBytes === null) return;
    const { removed, bytes } = evictToCap(a.root, { maxBytes, inUseSince });
    if (removed.length === 0) return;
    const freed = removed.reduce((n, e) => n + e.bytes, 0);
    a.info(
      `cache: removed ${removed.length} least recently used ${removed.length === 1 ? 'entry' : 'entries'} (${gb(freed)}) to stay under ${CACHE_CAP_ENV}=${gb(maxBytes)}; the cache holds ${gb(bytes)}`,
    );
  };
}

function gb(bytes: number): string {
  return `${(bytes / 2 ** 30).toFixed(2)} GB`;
}
