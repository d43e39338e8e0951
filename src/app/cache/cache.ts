/**
 * `moefy cache ls` and `moefy cache prune`: the stage cache (app/shared/stage-cache.ts) as entries a user can see
 * and remove. A finished entry is `<root>/<stage>/<key>/` with its `.complete` marker (its mtime is the last use:
 * a reuse touches it); unfinished work beside the entries (a calibration's per-layer files `.layers-*`, router
 * checkpoints `.train-*`, temp dirs `.tmp-*`, the layer runner's `scratch/`) is listed as partial. An entry's
 * model comes from the label its marker records (absent in entries written before labels: shown as "-").
 */
import { existsSync, readdirSync, readFileSync, rmSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { InputError } from '../../util/errors.js';
import { STAGE_MARKER } from '../shared/stage-cache.js';

export interface CacheEntry {
  readonly stage: string;
  readonly key: string;
  readonly path: string;
  readonly bytes: number;
  /** Last use (ms since the epoch): the marker's mtime, or the newest file of partial work. */
  readonly lastUsed: number;
  readonly model: string | null;
  readonly complete: boolean;
}

export function listCache(root: string): CacheEntry[] {
  if (!existsSync(root)) return [];
  const entries: CacheEntry[] = [];
  for (const stage of readdirSync(root, { withFileTypes: true })) {
    if (!stage.isDirectory()) continue;
    const stageDir = join(root, stage.name);
    for (const item of readdirSync(stageDir, { withFileTypes: true })) {
      if (!item.isDirectory()) continue;
      const path = join(stageDir, item.name);
      const marker = join(path, STAGE_MARKER);
      const complete = existsSync(marker);
      const usage = du(path);
      entries.push({
        stage: stage.name,
        key: item.name,
        path,
        bytes: usage.bytes,
        lastUsed: complete ? statSync(marker).mtimeMs : usage.newest,
        model: complete ? markerModel(marker) : null,
        complete,
      });
    }
  }
  return entries.sort((a, b) => b.lastUsed - a.lastUsed);
}

export interface PruneRule {
  /** Remove every entry. */
  readonly all?: boolean;
  /** Remove entries not used for this many days. */
  readonly olderThanDays?: number;
  /** Then remove the least recently used entries until the cache holds at most this many bytes. */
  readonly maxBytes?: number;
}

/** Removes what the rule selects; returns the removed entries. */
export function pruneCache(root: string, rule: PruneRule, now = Date.now()): CacheEntry[] {
  if (!rule.all && rule.olderThanDays === undefined && rule.maxBytes === undefined) {
    throw new InputError('cache prune: say what to remove: --all, --older-than <days> or --max-size <GB>');
  }
  const entries = listCache(root);
  const doomed = new Set<CacheEntry>();
  for (const e of entries) {
    if (rule.all) doomed.add(e);
    else if (rule.olderThanDays !== undefined && now - e.lastUsed > rule.olderThanDays * 86_400_000)
      doomed.add(e);
  }
  if (rule.maxBytes !== undefined) {
    let total = entries.filter((e) => !doomed.has(e)).reduce((n, e) => n + e.bytes, 0);
    // Oldest first (entries are newest first).
    for (const e of [...entries].reverse()) {
      if (total <= rule.maxBytes) break;
      if (doomed.has(e)) continue;
      doomed.add(e);
      total -= e.bytes;
    }
  }
  for (const e of doomed) removeEntry(e);
  return entries.filter((e) => doomed.has(e));
}

/**
 * Removes an entry; a finished one loses its marker first, so a process that finds it halfway through the removal
 * sees an unfinished entry (and produces it again) rather than a complete one with files missing.
 */
export function removeEntry(e: CacheEntry): void {
  if (e.complete) rmSync(join(e.path, STAGE_MARKER), { force: true });
  rmSync(e.path, { recursive: true, force: true });
}

function markerModel(marker: string): string | null {
  try {
    const parsed = JSON.parse(readFileSync(marker, 'utf8')) as { label?: unknown };
    return typeof parsed.label === 'string' ? parsed.label : null;
  } catch {
    return null;
  }
}

function du(path: string): { bytes: number; newest: number } {
  let bytes = 0;
  let newest = 0;
  const walk = (p: string) => {
    const s = statSync(p);
    newest = Math.max(newest, s.mtimeMs);
    if (!s.isDirectory()) {
      bytes += s.size;
      return;
    }
    for (const child of readdirSync(p)) walk(join(p, child));
  };
  walk(path);
  return { bytes, newest };
}
