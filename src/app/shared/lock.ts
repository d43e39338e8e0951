/**
 * `<recipe>.moefy.lock.json` beside a recipe (`recipes/x.yaml` → `recipes/x.moefy.lock.json`: one lock per recipe,
 * since a folder of recipes would fight over a single `moefy.lock.json`): pins the checkpoint a recipe converted (Hub commit sha and the sha256 of every
 * source file), so a later convert of the same recipe either uses the same bytes or says exactly what moved.
 * Written on the first run; a mismatch is refused unless the caller asks to update (`--update-lock`).
 */
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { basename, dirname, extname, join, relative, resolve } from 'node:path';
import { z } from 'zod';
import { type ResolvedCheckpoint, sha256File } from '../../checkpoint/resolve.js';
import { describeIssues } from '../../report/parse.js';
import { writeFileAtomic } from '../../util/atomic-file.js';
import { canonicalJson } from '../../util/canonical-json.js';
import { InputError } from '../../util/errors.js';
import type { DataPin } from './text-source.js';

export const LOCK_SUFFIX = '.moefy.lock.json';
export const LOCK_SCHEMA_ID = 'moefy.lock/1';

const sha256 = z.string().regex(/^[0-9a-f]{64}$/, 'expected a hex sha256');

export const lockSchema = z.object({
  schema: z.literal(LOCK_SCHEMA_ID),
  /** Hub repo id, or a local directory relative to the lock file (so the lock is portable across checkouts). */
  model: z.string().min(1),
  /** The requested Hub revision; null for a local directory. */
  revision: z.string().min(1).nullable(),
  /** The commit the revision resolved to; null for a local directory. */
  sha: z.string().min(1).nullable(),
  files: z.record(z.string().min(1), sha256),
  /** Dataset sources of calibration/eval text, pinned (absent when both sections read plain text files). */
  data: z.record(z.string(), z.record(z.string(), z.unknown())).optional(),
});

export type Lock = z.infer<typeof lockSchema>;

export interface CheckLockInput {
  readonly recipePath: string;
  readonly resolved: ResolvedCheckpoint;
  /** Pinned dataset sources by recipe section (text files are not locked). */
  readonly data?: Readonly<Record<string, DataPin>>;
  /** Accept and record a changed checkpoint (`--update-lock`). */
  readonly update: boolean;
}

export interface LockOutcome {
  readonly path: string;
  readonly status: 'created' | 'unchanged' | 'updated';
  /** What differs from the previous lock (empty unless updated). */
  readonly changes: readonly string[];
}

export function lockPathFor(recipePath: string): string {
  const full = resolve(recipePath);
  return join(dirname(full), `${basename(full, extname(full))}${LOCK_SUFFIX}`);
}

export async function checkLock({
  recipePath,
  resolved,
  data,
  update,
}: CheckLockInput): Promise<LockOutcome> {
  const path = lockPathFor(recipePath);
  const current = withData(await lockFor(resolved, dirname(path)), data);
  if (!existsSync(path)) {
    await writeLock(path, current);
    return { path, status: 'created', changes: [] };
  }
  const changes = lockChanges(await readLock(path), current);
  if (changes.length === 0) return { path, status: 'unchanged', changes };
  if (!update) {
    const what = changes.some((c) => c.includes(DATA_CHANGED))
      ? 'the inputs no longer match'
      : 'the checkpoint no longer matches';
    throw new InputError(`${path}: ${what} the lock: ${changes.join('; ')}; pass --update-lock to accept it`);
  }
  await writeLock(path, current);
  return { path, status: 'updated', changes };
}

async function lockFor(resolved: ResolvedCheckpoint, lockDir: string): Promise<Lock> {
  const files: Record<string, string> = {};
  for (const f of [...resolved.files].sort((a, b) => a.name.localeCompare(b.name))) {
    files[f.name] = await sha256File(f.path);
  }
  const { source } = resolved;
  if (source.kind === 'hub') {
    return { schema: LOCK_SCHEMA_ID, model: source.repo, revision: source.revision, sha: source.sha, files };
  }
  const model = relative(lockDir, source.path) || '.';
  return { schema: LOCK_SCHEMA_ID, model, revision: null, sha: null, files };
}

async function readLock(path: string): Promise<Lock> {
  let value: unknown;
  try {
    value = JSON.parse(await readFile(path, 'utf8'));
  } catch (err) {
    throw new InputError(`${path}: not a readable JSON lock (${(err as Error).message})`);
  }
  const parsed = lockSchema.safeParse(value);
  if (!parsed.success) throw new InputError(`${path}: invalid lock, ${describeIssues(parsed.error.issues)}`);
  return parsed.data;
}

async function writeLock(path: string, lock: Lock): Promise<void> {
  await writeFileAtomic(path, `${canonicalJson(lock, 2)}\n`);
}

function short(sha: string | null): string {
  return sha === null ? 'none' : sha.slice(0, 12);
}

/** One phrase per difference: `model.safetensors changed (sha256 1a2b… → 3c4d…)`. */
export function lockChanges(was: Lock, is: Lock): string[] {
  const changes: string[] = [];
  if (was.model !== is.model) changes.push(`model changed (${was.model} → ${is.model})`);
  if (was.revision !== is.revision) changes.push(`revision changed (${was.revision} → ${is.revision})`);
  if (was.sha !== is.sha) changes.push(`resolved commit changed (${short(was.sha)} → ${short(is.sha)})`);
  for (const [name, hash] of Object.entries(is.files)) {
    const old = was.files[name];
    if (old === undefined) changes.push(`${name} added`);
    else if (old !== hash) changes.push(`${name} changed (sha256 ${short(old)} → ${short(hash)})`);
  }
  for (const name of Object.keys(was.files)) if (!(name in is.files)) changes.push(`${name} removed`);
  const sections = new Set([...Object.keys(was.data ?? {}), ...Object.keys(is.data ?? {})]);
  for (const s of [...sections].sort()) {
    const [a, b] = [was.data?.[s], is.data?.[s]];
    if (canonicalJson(a ?? null) !== canonicalJson(b ?? null))
      changes.push(`${s}${DATA_CHANGED}(${describePin(a)} → ${describePin(b)})`);
  }
  return changes;
}

const DATA_CHANGED = ' data changed ';

function withData(lock: Lock, data: Readonly<Record<string, DataPin>> | undefined): Lock {
  const pins = Object.entries(data ?? {});
  return pins.length === 0 ? lock : { ...lock, data: Object.fromEntries(pins) as Lock['data'] };
}

function describePin(pin: Record<string, unknown> | undefined): string {
  if (!pin) return 'none';
  if (pin.kind === 'hub')
    return `${String(pin.id)} ${String(pin.config)}/${String(pin.split)}@${short(String(pin.files_sha))}`;
  return `${String(pin.path)} sha256 ${short(String(pin.sha256))}`;
}
