/**
 * Atomic output directories: everything is written into a temp dir beside the target (same filesystem, so the
 * final rename is atomic) and renamed into place only when complete. A crash leaves at most a `.NAME.tmp-*` dir,
 * never a half-written target that looks complete; Ctrl-C removes even that (cleanup.ts). An existing target
 * needs `force`, and is replaced only at the very end, so an interrupted `--force` run keeps the old output.
 */
import { accessSync, chmodSync, constants, existsSync, mkdtempSync, renameSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { basename, dirname, join, resolve } from 'node:path';
import { registerTemp } from './cleanup.js';
import { OutputError } from './errors.js';
import { asOutputError } from './fs-errors.js';
import { makeDirs } from './make-dirs.js';

export interface AtomicDirOptions {
  /** Replace an existing target (otherwise: OutputError before any work). */
  readonly force?: boolean;
}

/**
 * Throws OutputError when `target` exists and `force` is not set, or when it cannot be written: its parent is
 * created now (so a path under a file, a read-only mount or /proc fails in a second, not after the expensive
 * stages) and must be writable. Call early, before expensive work.
 */
export function assertWritableTarget(target: string, opts: AtomicDirOptions = {}): void {
  if (existsSync(target) && !opts.force) {
    throw new OutputError(`${target}: already exists; pass --force to replace it`);
  }
  const parent = dirname(resolve(target));
  try {
    makeDirs(parent);
    accessSync(`${parent}/`, constants.W_OK); // the trailing slash makes a file fail with ENOTDIR
  } catch (err) {
    throw asOutputError(err, { target, action: 'create it' });
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
  const { tmp, unregister } = makeTemp(full);
  try {
    const result = await body(tmp);
    await replace(full, tmp, unregister);
    return result;
  } catch (err) {
    await rm(tmp, { recursive: true, force: true });
    unregister();
    throw asOutputError(err, { target: full, action: 'write the output', within: [full, tmp] });
  }
}

/**
 * Creates and registers the temp dir synchronously, so no interrupt can find it created but unregistered. mkdtemp
 * makes it 0700 whatever the umask; it becomes the user's output directory, so it gets the mode a plain mkdir would.
 */
function makeTemp(target: string): { tmp: string; unregister: () => void } {
  try {
    makeDirs(dirname(target));
    const tmp = mkdtempSync(join(dirname(target), `.${basename(target)}.tmp-`));
    chmodSync(tmp, 0o777 & ~process.umask());
    return { tmp, unregister: registerTemp(tmp) };
  } catch (err) {
    throw asOutputError(err, { target, action: 'create a directory beside it' });
  }
}

/**
 * With force, the old target is moved aside first and deleted only after the new one is in place. The renames
 * are synchronous so no signal handler can run between them (it would find neither the old nor the new target).
 */
async function replace(target: string, tmp: string, unregisterTmp: () => void): Promise<void> {
  const old = existsSync(target) ? `${tmp}.old` : undefined;
  try {
    if (old) renameSync(target, old);
    renameSync(tmp, target);
  } catch (err) {
    if (old && !existsSync(target)) renameSync(old, target);
    throw asOutputError(err, { target, action: 'move the finished output into place' });
  }
  unregisterTmp();
  if (!old) return;
  const unregisterOld = registerTemp(old);
  await rm(old, { recursive: true, force: true });
  unregisterOld();
}
