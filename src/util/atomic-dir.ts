/**
 * Atomic output directories: everything is written into a temp dir beside the target (same filesystem, so the
 * final rename is atomic) and renamed into place only when complete. A crash or Ctrl-C leaves at most a
 * `.NAME.tmp-*` dir, never a half-written target that looks complete. An existing target needs `force`.
 */
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, rename, rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { OutputError } from './errors.js';

export interface AtomicDirOptions {
  /** Replace an existing target (otherwise: OutputError before any work). */
  readonly force?: boolean;
}

/** Throws OutputError when `target` exists and `force` is not set. Call early, before expensive work. */
export function assertWritableTarget(target: string, opts: AtomicDirOptions = {}): void {
  if (existsSync(target) && !opts.force) {
    throw new OutputError(`${target}: already exists; pass --force to replace it`);
  }
}

/** Runs `body` on a fresh temp dir, then renames it to `target`; on failure the temp dir is removed. */
export async function withAtomicDir<T>(
  target: string,
  opts: AtomicDirOptions,
  body: (tmpDir: string) => Promise<T>,
): Promise<T> {
  const full = resolve(target);
  assertWritableTarget(full, opts);
  const tmp = await makeTemp(full);
  try {
    const result = await body(tmp);
    await replace(full, tmp);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    throw err;
  }
}

async function makeTemp(target: string): Promise<string> {
  try {
    await mkdir(dirname(target), { recursive: true });
    return await mkdtemp(join(dirname(target), `.${basename(target)}.tmp-`));
  } catch (err) {
    throw new OutputError(
      `${target}: cannot create a directory beside it (${(err as NodeJS.ErrnoException).code})`,
    );
  }
}

/** With force, the old target is moved aside first and deleted only after the new one is in place. */
async function replace(target: string, tmp: string): Promise<void> {
  const old = existsSync(target) ? `${tmp}.old` : undefined;
  try {
    if (old) await rename(target, old);
    await rename(tmp, target);
  } catch (err) {
    throw new OutputError(
      `${target}: cannot move the finished output into place (${(err as NodeJS.ErrnoException).code})`,
    );
  }
  if (old) await rm(old, { recursive: true, force: true });
}
