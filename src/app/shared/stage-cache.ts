/**
 * Content-addressed stage results: a stage's output lives in `<root>/<stage>/<key>/` where key = sha256 of the
 * canonical JSON of everything the result depends on. A finished entry has a `.complete` marker; it is produced in
 * a temp dir and renamed into place, so an interrupted run leaves no entry that looks complete and a rerun resumes
 * after the last finished stage. Concurrent processes take a per-key lock: the second waits and reuses the first's
 * entry instead of producing the same files beside it (and racing on shared side files such as training
 * checkpoints).
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, renameSync, utimesSync } from 'node:fs';
import { rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../../util/canonical-json.js';
import { registerTemp } from '../../util/cleanup.js';
import { acquireLock, type ReleaseLock } from '../../util/file-lock.js';
import { asOutputError, type OutputPlace } from '../../util/fs-errors.js';
import { makeDirs } from '../../util/make-dirs.js';

/** Marks a finished entry; holds its inputs and label, and its mtime is the entry's last use. */
export const STAGE_MARKER = '.complete';
const MARKER = STAGE_MARKER;

export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.MOEFY_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'moefy');
}

/**
 * Bumped whenever a stage's file format or meaning changes, so old entries are never read as new ones
 * (2: calibration rows carry ‖r + y‖, targets know their error base; 3: ridge held-out scores).
 */
export const STAGE_FORMAT = 3;

export function stageKey(inputs: unknown): string {
  return createHash('sha256')
    .update(canonicalJson({ format: STAGE_FORMAT, inputs }))
    .digest('hex')
    .slice(0, 32);
}

export interface StageRequest {
  root: string;
  stage: string;
  inputs: unknown;
  /** What `moefy cache ls` names the entry by (the model). */
  label?: string;
  /** Writes the stage's files into `dir` (an empty temp dir). */
  produce: (dir: string) => Promise<void>;
  /** Produce even when the entry exists, and replace it (a deliberate re-measurement). */
  refresh?: boolean;
}

export interface StageResult {
  dir: string;
  cached: boolean;
}

export async function cachedStage(req: StageRequest): Promise<StageResult> {
  const key = stageKey(req.inputs);
  const parent = join(req.root, req.stage);
  const dir = join(parent, key);
  if (!req.refresh && existsSync(join(dir, MARKER))) return reused(dir);
  const place: OutputPlace = {
    target: req.root,
    action: `write the ${req.stage} stage cache`,
    hint: 'set MOEFY_CACHE_DIR to a writable directory with free space',
  };
  const release = await lockEntry(parent, key, place);
  try {
    // Another process may have finished this key while we waited for the lock.
    if (!req.refresh && existsSync(join(dir, MARKER))) return reused(dir);
    await produce(req, dir);
    return { dir, cached: false };
  } catch (err) {
    throw asOutputError(err, { ...place, within: [req.root] });
  } finally {
    release();
  }
}

/** A reuse touches the marker: its mtime is the entry's last use (`moefy cache ls`, least-recently-used pruning). */
function reused(dir: string): StageResult {
  const now = new Date();
  try {
    utimesSync(join(dir, MARKER), now, now);
  } catch {
    // A read-only cache still serves its entries.
  }
  return { dir, cached: true };
}

async function lockEntry(parent: string, key: string, place: OutputPlace): Promise<ReleaseLock> {
  try {
    makeDirs(parent);
    return await acquireLock(join(parent, `.${key}.lock`));
  } catch (err) {
    throw asOutputError(err, place);
  }
}

async function produce(req: StageRequest, dir: string): Promise<void> {
  // Synchronous create + register (as the rename below): no interrupt can land between them.
  const tmp = mkdtempSync(join(req.root, req.stage, '.tmp-'));
  const unregister = registerTemp(tmp);
  try {
    await req.produce(tmp);
    await writeFile(join(tmp, MARKER), canonicalJson({ label: req.label ?? null, inputs: req.inputs }));
    // A dir without the marker is debris from outside moefy (ours only ever appear complete, by rename).
    await rm(dir, { recursive: true, force: true });
    // Synchronous, so an interrupt cannot remove the temp dir halfway through its rename.
    renameSync(tmp, dir);
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  } finally {
    unregister();
  }
}
