/**
 * Model reference → a directory holding exactly the files moefy needs. Local dirs are checked in place; Hub repos
 * resolve through the Python-compatible cache first (a complete snapshot costs zero requests) and download only
 * what is missing. Branch and tag refs are trusted once cached: pass a commit sha or clear the ref to re-check.
 */
import { stat } from 'node:fs/promises';
import { join } from 'node:path';
import { HubError } from '../util/errors.js';
import { OPTIONAL_FILES, REQUIRED_FILES } from './checkpoint-files.js';
import { type CachedSnapshot, findCachedSnapshot } from './hub-cache.js';
import { type DownloadEvent, downloadSnapshot } from './hub-download.js';
import { DEFAULT_RETRY } from './hub-errors.js';
import { type HubSettingsInput, hubSettings } from './hub-settings.js';
import { localCheckpointFiles } from './local-checkpoint.js';
import { parseModelRef, validateRevision } from './model-ref.js';

export type { DownloadEvent } from './hub-download.js';
export { hashInBackground, sha256File } from './file-hash.js';

/** What a Hub resolve downloads, for the offline-miss message (checkpoint-files.ts decides the exact list). */
const WOULD_FETCH = `${[...REQUIRED_FILES, ...OPTIONAL_FILES.map((f) => `${f} (if present)`)].join(', ')} and model.safetensors (or model.safetensors.index.json and its shards)`;

export interface ResolveOptions extends HubSettingsInput {
  /** Overrides `@rev` in the ref; default 'main'. */
  revision?: string;
  /** Cache only; also on when env HF_HUB_OFFLINE=1. */
  offline?: boolean;
  onProgress?: (e: DownloadEvent) => void;
}

export type CheckpointSource =
  | { kind: 'local'; path: string }
  | { kind: 'hub'; repo: string; revision: string; sha: string; endpoint: string };

export interface CheckpointFile {
  name: string;
  path: string;
  size: number;
}

export interface ResolvedCheckpoint {
  dir: string;
  source: CheckpointSource;
  files: CheckpointFile[];
}

export async function resolveCheckpoint(ref: string, opts: ResolveOptions = {}): Promise<ResolvedCheckpoint> {
  const parsed = await parseModelRef(ref);
  if (parsed.kind === 'local') {
    const files = await localCheckpointFiles(parsed.path);
    return {
      dir: parsed.path,
      source: { kind: 'local', path: parsed.path },
      files: await describe(parsed.path, files),
    };
  }
  const revision = opts.revision ?? parsed.revision ?? 'main';
  if (opts.revision !== undefined) validateRevision(revision, '--revision');
  const settings = hubSettings(opts);
  const at = { cacheDir: settings.cacheDir, repo: parsed.repo, revision };
  let snapshot: CachedSnapshot | null = await findCachedSnapshot(at);
  if (!snapshot && settings.offline) {
    throw new HubError(
      `${parsed.repo}@${revision}: not in the Hub cache at ${settings.cacheDir} and offline mode is on (--offline or HF_HUB_OFFLINE); online, moefy would fetch ${WOULD_FETCH}; run once online or drop --offline`,
    );
  }
  snapshot ??= await downloadSnapshot({
    ...at,
    ...settings,
    retry: DEFAULT_RETRY,
    onProgress: opts.onProgress,
  });
  const source = {
    kind: 'hub' as const,
    repo: parsed.repo,
    revision,
    sha: snapshot.sha,
    endpoint: settings.endpoint,
  };
  return { dir: snapshot.dir, source, files: await describe(snapshot.dir, snapshot.files) };
}

async function describe(dir: string, names: string[]): Promise<CheckpointFile[]> {
  return Promise.all(
    names.map(async (name) => {
      const path = join(dir, name);
      return { name, path, size: (await stat(path)).size };
    }),
  );
}
