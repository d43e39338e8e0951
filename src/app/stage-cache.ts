/**
 * Content-addressed stage results: a stage's output lives in `<root>/<stage>/<key>/` where key = sha256 of the
 * canonical JSON of everything the result depends on. A finished entry has a `.complete` marker; it is produced in
 * a temp dir and renamed into place, so an interrupted run leaves no entry that looks complete and a rerun resumes
 * after the last finished stage. Two processes racing on one key both produce; the first rename wins.
 */
import { createHash } from 'node:crypto';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm, writeFile } from 'node:fs/promises';
import { homedir } from 'node:os';
import { join } from 'node:path';
import { canonicalJson } from '../util/canonical-json.js';

const MARKER = '.complete';

export function defaultCacheRoot(env: NodeJS.ProcessEnv = process.env): string {
  return env.MOEFY_CACHE_DIR ?? join(env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'moefy');
}

export function stageKey(inputs: unknown): string {
  return createHash('sha256').update(canonicalJson(inputs)).digest('hex').slice(0, 32);
}

export interface StageRequest {
  root: string;
  stage: string;
  inputs: unknown;
  /** Writes the stage's files into `dir` (an empty temp dir). */
  produce: (dir: string) => Promise<void>;
}

export interface StageResult {
  dir: string;
  cached: boolean;
}

export async function cachedStage(req: StageRequest): Promise<StageResult> {
  const dir = join(req.root, req.stage, stageKey(req.inputs));
  if (existsSync(join(dir, MARKER))) return { dir, cached: true };
  await mkdir(join(req.root, req.stage), { recursive: true });
  const tmp = await mkdtemp(join(req.root, req.stage, '.tmp-'));
  try {
    await req.produce(tmp);
    await writeFile(join(tmp, MARKER), canonicalJson(req.inputs));
    await rm(dir, { recursive: true, force: true });
    await rename(tmp, dir).catch(async (err: NodeJS.ErrnoException) => {
      // Another process finished the same key first: its result is equivalent.
      if (!existsSync(join(dir, MARKER))) throw err;
      await rm(tmp, { recursive: true, force: true });
    });
    return { dir, cached: false };
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}
