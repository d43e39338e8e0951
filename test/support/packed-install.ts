/**
 * moefy as a user installs it: `npm pack` of this checkout, and a fresh project whose package-lock.json pins that
 * tarball plus exactly the dependency tree our own lockfile resolved (its non-dev entries). With a lockfile, `npm
 * ci --offline` needs only the tarballs, which the npm cache holds after this checkout's own `npm ci`; resolving
 * version ranges would need registry metadata that `npm ci` never caches.
 */
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const REPO = fileURLToPath(new URL('../../', import.meta.url));

export interface Run {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/**
 * The environment of a user's shell: without the npm_* variables `npm test` exports to its children (they would
 * point npm at this checkout's config and package), offline for npm and the Hub, and CI mode for moefy's output.
 */
export function userEnv(extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env = Object.fromEntries(Object.entries(process.env).filter(([k]) => !/^npm_/i.test(k)));
  return { ...env, npm_config_offline: 'true', HF_HUB_OFFLINE: '1', CI: 'true', ...extra };
}

/** A command line as a shell runs it (the doc's `run:` lines are shell commands). */
export function sh(command: string, cwd: string, env: NodeJS.ProcessEnv): Run {
  const r = spawnSync('bash', ['-c', command], { cwd, env, encoding: 'utf8', maxBuffer: 64 << 20 });
  return { code: r.status, stdout: r.stdout, stderr: r.stderr };
}

/** `npm pack` of this checkout into `dir` (dist as built by `npm test`); the tarball's file name and files. */
export function packRepo(dir: string): { file: string; files: string[] } {
  const r = sh(`npm pack --ignore-scripts --json --pack-destination ${JSON.stringify(dir)}`, REPO, userEnv());
  if (r.code !== 0) throw new Error(`npm pack failed: ${r.stderr}`);
  const [info] = JSON.parse(r.stdout) as { filename: string; files: { path: string }[] }[];
  return { file: info!.filename, files: info!.files.map((f) => f.path) };
}

interface LockEntry {
  readonly dev?: boolean;
  readonly [key: string]: unknown;
}

/** package.json and package-lock.json of a project with moefy (the tarball beside it) as a devDependency. */
export function writeConsumer(a: {
  dir: string;
  tarball: string;
  allowScripts: Record<string, boolean>;
}): void {
  const spec = `file:../${a.tarball}`;
  const pkg = JSON.parse(readFileSync(join(REPO, 'package.json'), 'utf8')) as Record<string, unknown>;
  const lock = JSON.parse(readFileSync(join(REPO, 'package-lock.json'), 'utf8')) as {
    packages: Record<string, LockEntry>;
  };
  const integrity = `sha512-${createHash('sha512')
    .update(readFileSync(join(a.dir, '..', a.tarball)))
    .digest('base64')}`;
  const deps = Object.entries(lock.packages).filter(
    ([path, e]) => path.startsWith('node_modules/') && !e.dev,
  );
  const root = { name: 'moefy-consumer', devDependencies: { moefy: spec } };
  const packages = {
    '': root,
    'node_modules/moefy': {
      version: pkg.version,
      resolved: spec,
      integrity,
      dev: true,
      license: pkg.license,
      dependencies: pkg.dependencies,
      bin: pkg.bin,
      engines: pkg.engines,
    },
    ...Object.fromEntries(deps.map(([path, e]) => [path, { ...e, dev: true }])),
  };
  const manifest = { ...root, private: true, allowScripts: a.allowScripts };
  writeFileSync(join(a.dir, 'package.json'), `${JSON.stringify(manifest, null, 2)}\n`);
  const consumerLock = { name: root.name, lockfileVersion: 3, requires: true, packages };
  writeFileSync(join(a.dir, 'package-lock.json'), `${JSON.stringify(consumerLock, null, 2)}\n`);
}

/** The `run:` commands of the first ```yaml block of a Markdown file, in order. */
export function workflowRuns(markdown: string): string[] {
  const yaml = /```yaml\n([\s\S]*?)```/.exec(markdown)?.[1] ?? '';
  return [...yaml.matchAll(/^\s*(?:- )?run: (.+)$/gm)].map((m) => m[1]!.trim());
}
