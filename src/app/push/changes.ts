/**
 * What a push must change on the Hub branch: local files whose bytes differ from the remote's (by the id the Hub
 * lists: sha256 for LFS files, git blob sha1 for the others), and files an earlier push of moefy output left that
 * this output no longer has. Files someone else added to the repo are kept and named. Nothing to change = no
 * commit, which makes pushing the same output twice a no-op.
 */
import { sha256File } from '../../checkpoint/resolve.js';
import type { RemoteFile } from '../../checkpoint/hub-upload.js';
import { gitBlobOid, type LocalFile } from './output-files.js';

export interface PushChanges {
  readonly uploads: readonly LocalFile[];
  readonly deletes: readonly string[];
  readonly unchanged: readonly string[];
  /** Remote files that are not moefy output: left alone. */
  readonly kept: readonly string[];
}

export interface ChangesInput {
  readonly local: readonly LocalFile[];
  readonly remote: ReadonlyMap<string, RemoteFile>;
  /** Remote paths an earlier moefy push owns (its manifest's files and the report files). */
  readonly owned: ReadonlySet<string>;
}

/** Repo files the Hub itself manages: never deleted, never reported as kept. */
const HUB_FILES = new Set(['.gitattributes']);

export async function pushChanges({ local, remote, owned }: ChangesInput): Promise<PushChanges> {
  const uploads: LocalFile[] = [];
  const unchanged: string[] = [];
  for (const f of local) {
    const r = remote.get(f.path);
    if (r && r.size === f.size && (await sameBytes(f, r))) unchanged.push(f.path);
    else uploads.push(f);
  }
  const localPaths = new Set(local.map((f) => f.path));
  const extra = [...remote.keys()].filter((p) => !localPaths.has(p) && !HUB_FILES.has(p)).sort();
  return {
    uploads,
    unchanged,
    deletes: extra.filter((p) => owned.has(p)),
    kept: extra.filter((p) => !owned.has(p)),
  };
}

async function sameBytes(f: LocalFile, r: RemoteFile): Promise<boolean> {
  if (r.lfsOid !== null) return (await sha256File(f.file)) === r.lfsOid;
  return (await gitBlobOid(f.file)) === r.gitOid;
}
