/**
 * The writable side of the fake Hub: repos created through `POST /api/repos/create`, their branches and commits,
 * and the LFS object store. LFS objects stream to files in a temp dir (a multi-GB upload never sits in memory);
 * regular files from a commit's NDJSON body are small and stay in memory. Every branch head is a snapshot
 * (path → file), served by the same read endpoints as fixture repos.
 */
import { createHash, randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import type { RepoFile, RevisionFiles } from './fake-hub-files.js';

export type RepoType = 'model' | 'dataset';

export interface StoredCommit {
  readonly oid: string;
  readonly title: string;
  readonly parent: string | null;
  readonly files: Map<string, RepoFile>;
}

export interface StoredRepo {
  readonly type: RepoType;
  readonly id: string;
  readonly private: boolean;
  /** branch → commits, oldest first (the last is the head). */
  readonly branches: Map<string, StoredCommit[]>;
}

/** What the Hub puts in a new repo: its first commit holds a `.gitattributes` that routes binaries to LFS. */
const GITATTRIBUTES = [
  '*.onnx filter=lfs diff=lfs merge=lfs -text',
  '*.data filter=lfs diff=lfs merge=lfs -text',
]
  .concat(['*.safetensors filter=lfs diff=lfs merge=lfs -text', '*.png filter=lfs diff=lfs merge=lfs -text'])
  .join('\n');

export class FakeStore {
  readonly repos = new Map<string, StoredRepo>();
  /** sha256 → file holding the object, verified on upload. */
  readonly lfs = new Map<string, { path: string; size: number }>();
  readonly dir = mkdtempSync(join(tmpdir(), 'moefy-fake-hub-lfs-'));
  /** PUTs of objects the store already held: a client that resumes correctly never sends one. */
  redundantUploads = 0;

  key(type: RepoType, id: string): string {
    return `${type}:${id}`;
  }

  get(type: RepoType, id: string): StoredRepo | undefined {
    return this.repos.get(this.key(type, id));
  }

  create(type: RepoType, id: string, isPrivate: boolean): StoredRepo {
    const repo: StoredRepo = { type, id, private: isPrivate, branches: new Map() };
    const files = new Map<string, RepoFile>([
      ['.gitattributes', memoryFile('.gitattributes', GITATTRIBUTES)],
    ]);
    repo.branches.set('main', [{ oid: commitOid(), title: 'initial commit', parent: null, files }]);
    this.repos.set(this.key(type, id), repo);
    return repo;
  }

  head(repo: StoredRepo, branch: string): StoredCommit | undefined {
    return repo.branches.get(branch)?.at(-1);
  }

  /** A branch name, `HEAD`, or any commit oid of the repo. */
  revision(repo: StoredRepo, rev: string): RevisionFiles | null {
    const branch = repo.branches.get(rev === 'HEAD' ? 'main' : rev);
    const commit = branch?.at(-1) ?? [...repo.branches.values()].flat().find((c) => c.oid === rev);
    return commit ? { sha: commit.oid, files: commit.files } : null;
  }

  lfsFile(path: string, oid: string, size: number): RepoFile {
    const stored = this.lfs.get(oid)!;
    return {
      path,
      size,
      sha256: oid,
      gitOid: gitOid(`version https://git-lfs.github.com/spec/v1\noid sha256:${oid}\nsize ${size}\n`),
      lfs: true,
      read: () => readFile(stored.path),
    };
  }

  close(): void {
    rmSync(this.dir, { recursive: true, force: true });
  }
}

export function memoryFile(path: string, content: string | Buffer): RepoFile {
  const bytes = Buffer.from(content);
  return {
    path,
    size: bytes.length,
    gitOid: gitOid(bytes),
    sha256: createHash('sha256').update(bytes).digest('hex'),
    lfs: false,
    read: () => Promise.resolve(bytes),
  };
}

export function gitOid(content: string | Buffer): string {
  const bytes = Buffer.from(content);
  return createHash('sha1').update(`blob ${bytes.length}\0`).update(bytes).digest('hex');
}

export function commitOid(): string {
  return randomBytes(20).toString('hex');
}
