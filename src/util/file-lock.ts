/**
 * An exclusive lock file for work that concurrent processes on one machine must not do twice at once (a stage
 * cache key): created with O_EXCL, holding the owner's pid. A lock whose owner is gone (killed with SIGKILL, power
 * loss) is stale and taken over; a lock held by a live process is waited for. Interrupts remove held locks
 * (cleanup.ts).
 */
import { readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { rm } from 'node:fs/promises';
import { setTimeout as sleep } from 'node:timers/promises';
import { registerTemp } from './cleanup.js';

const POLL_MS = 100;
/** A lock file without a readable pid is mid-creation unless it is older than this. */
const UNREADABLE_GRACE_MS = 10_000;

/** Synchronous, so a caller's "done" report follows its release without a point where a signal can land. */
export type ReleaseLock = () => void;

/** Waits until this process holds the lock at `path`; the returned function releases it. */
export async function acquireLock(path: string): Promise<ReleaseLock> {
  for (;;) {
    try {
      // Synchronous create + register: an interrupt can never find the lock created but not yet registered.
      writeFileSync(path, `${process.pid}\n`, { flag: 'wx' });
      const unregister = registerTemp(path);
      return () => {
        rmSync(path, { force: true });
        unregister();
      };
    } catch (err) {
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST') throw err;
    }
    if (isStale(path)) await rm(path, { force: true });
    else await sleep(POLL_MS);
  }
}

function isStale(path: string): boolean {
  let text: string;
  let ageMs: number;
  try {
    text = readFileSync(path, 'utf8');
    ageMs = Date.now() - statSync(path).mtimeMs;
  } catch {
    return false; // released meanwhile: the next attempt to create it decides
  }
  const pid = Number.parseInt(text, 10);
  if (!Number.isInteger(pid) || pid <= 0) return ageMs > UNREADABLE_GRACE_MS;
  return !isAlive(pid);
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0); // signal 0: existence check only
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === 'EPERM'; // exists, owned by someone else
  }
}
