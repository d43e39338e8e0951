/**
 * `moefy push <out-dir> <org/name>`: publish an output directory of `moefy convert` to a Hub model repo, with a
 * generated model card. Refuses an output that does not match its own manifest (what `moefy check` refuses), names
 * the missing token, creates the repo or branch when needed, and commits only what differs from the branch: the same
 * output pushed twice makes no second commit.
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { baseModelLicense } from '../../checkpoint/model-card.js';
import {
  commitFiles,
  ensureBranch,
  type PushTarget,
  remoteState,
  remoteText,
  type RemoteState,
} from '../../checkpoint/hub-upload.js';
import { hubSettings } from '../../checkpoint/hub-settings.js';
import { parseRepoId, validateRevision } from '../../checkpoint/model-ref.js';
import { InputError } from '../../util/errors.js';
import { readOutputReport } from '../check/inputs.js';
import type { Progress } from '../shared/progress.js';
import { verifyOutputIntegrity } from '../shared/output-integrity.js';
import { VERSION } from '../shared/version.js';
import { modelCard } from './card.js';
import { readCardManifest } from './card-manifest.js';
import { type PushChanges, pushChanges } from './changes.js';
import { type LocalFile, listOutputFiles } from './output-files.js';

export interface PushOptions {
  readonly outDir: string;
  readonly repo: string;
  readonly private?: boolean;
  /** Branch to commit to (created from main when missing); default main. */
  readonly revision?: string;
  readonly message?: string;
  readonly token?: string;
  readonly endpoint?: string;
  readonly env?: NodeJS.ProcessEnv;
  readonly progress: Progress;
}

export interface PushResult {
  readonly url: string;
  /** The new commit, or null when the branch already held exactly these files. */
  readonly commit: string | null;
  readonly changes: PushChanges;
}

const CARD = 'README.md';
/** Files `moefy eval` writes after the manifest; an earlier push of them is moefy's to replace or remove. */
const REPORT_FILES = ['report.json', 'report.md', 'curve.svg', 'curve.png', 'moefy.json', CARD];

export async function push(opts: PushOptions): Promise<PushResult> {
  const repo = parseRepoId(opts.repo, 'moefy push <org/name>');
  const branch = opts.revision ?? 'main';
  validateRevision(branch, '--revision');
  const settings = hubSettings({ token: opts.token, endpoint: opts.endpoint, env: opts.env });
  if (!settings.token) {
    throw new InputError(
      `moefy push ${repo}: no Hub token; set HF_TOKEN or pass --token with a token that has write access`,
    );
  }
  if (settings.offline)
    throw new InputError(`moefy push ${repo}: needs the network, but offline mode is on (HF_HUB_OFFLINE)`);
  const checking = opts.progress.stage('verify', opts.outDir);
  await verifyOutputIntegrity(opts.outDir, true);
  const report = await readOutputReport(opts.outDir);
  const manifest = await readCardManifest(opts.outDir);
  checking.succeed('files match moefy.json');

  const target: PushTarget = { repo, branch, endpoint: settings.endpoint, token: settings.token };
  const temp = await mkdtemp(join(tmpdir(), 'moefy-push-'));
  try {
    const local = await listOutputFiles(opts.outDir);
    if (!local.some((f) => f.path === CARD)) {
      const license = await baseModelLicense(manifest.source, { ...settings, env: opts.env });
      const curve = ['curve.png', 'curve.svg'].find((f) => existsSync(join(opts.outDir, f))) ?? null;
      const card = modelCard({ repo, report, manifest, license, curve, version: VERSION });
      await writeFile(join(temp, CARD), card);
      local.push({ path: CARD, file: join(temp, CARD), size: Buffer.byteLength(card) });
    }
    return await publish({ opts, target, local });
  } finally {
    await rm(temp, { recursive: true, force: true });
  }
}

async function publish(a: {
  opts: PushOptions;
  target: PushTarget;
  local: LocalFile[];
}): Promise<PushResult> {
  const { opts, target } = a;
  const url = `${target.endpoint}/${target.repo}${target.branch === 'main' ? '' : `/tree/${target.branch}`}`;
  const stage = opts.progress.stage('push', `${target.repo}@${target.branch}`);
  let state = await remoteState(target);
  if (state.kind !== 'branch') {
    await ensureBranch(target, state, opts.private === true);
    state = await remoteState(target);
    if (state.kind !== 'branch') {
      throw new InputError(`${target.repo}@${target.branch}: created, but the Hub does not list it`);
    }
  }
  const changes = await pushChanges({
    local: a.local,
    remote: state.files,
    owned: await ownedPaths(target, state),
  });
  if (changes.uploads.length === 0 && changes.deletes.length === 0) {
    stage.succeed(`up to date (${changes.unchanged.length} files), no commit`);
    return { url, commit: null, changes };
  }
  const bytes = changes.uploads.reduce((s, f) => s + f.size, 0);
  const bar = stage.bar('upload', bytes, ' B');
  const sizes = new Map(changes.uploads.map((f) => [f.path, f.size]));
  const oid = await commitFiles(target, {
    title:
      opts.message ??
      `moefy push: ${changes.uploads.length} files${changes.deletes.length ? `, ${changes.deletes.length} removed` : ''}`,
    parent: state.head,
    uploads: changes.uploads.map((f) => ({ path: f.path, file: f.file })),
    deletes: changes.deletes,
    onFile: (path) => {
      const size = sizes.get(path) ?? 0;
      sizes.delete(path); // the library reports a file once per state; count it once
      bar.tick(size);
    },
  });
  // Regular (non-LFS) files travel inside the commit call itself: they are done when it returns.
  bar.tick([...sizes.values()].reduce((s, n) => s + n, 0));
  bar.done();
  stage.succeed(
    `commit ${oid.slice(0, 12)}: ${changes.uploads.length} uploaded, ${changes.deletes.length} removed`,
  );
  return { url, commit: oid, changes };
}

/** What an earlier push of moefy output put on the branch: its manifest's files and graphs, and the report files. */
async function ownedPaths(target: PushTarget, state: RemoteState & { kind: 'branch' }): Promise<Set<string>> {
  const owned = new Set(REPORT_FILES);
  if (!state.files.has('moefy.json')) return owned;
  try {
    const previous = JSON.parse((await remoteText(target, state.head, 'moefy.json')) ?? '{}') as {
      files?: Record<string, unknown>;
      graphs?: { file?: unknown; data?: unknown }[];
    };
    for (const name of Object.keys(previous.files ?? {})) owned.add(name);
    for (const g of previous.graphs ?? []) {
      if (typeof g.file === 'string') owned.add(g.file);
      if (typeof g.data === 'string') owned.add(g.data);
    }
  } catch {
    // An unreadable remote manifest owns nothing beyond the report files: extra files are kept, never guessed at.
  }
  return owned;
}
