/**
 * Temp paths to remove when the process is interrupted. Atomic writers register their temp dir (or lock file)
 * while it exists; on SIGINT/SIGTERM bin.ts removes everything registered, so Ctrl-C leaves neither a
 * half-written output nor stray `.tmp-*` dirs. Removal is synchronous: a signal handler must finish before exit,
 * and no JS of ours runs while it does (I/O already in libuv's thread pool can; see below).
 */
import { rmSync } from 'node:fs';

const registered = new Set<string>();

/** Registers `path` for removal on interrupt; the returned function unregisters it (call it once it is gone or renamed). */
export function registerTemp(path: string): () => void {
  registered.add(path);
  return () => registered.delete(path);
}

/** Removes every registered path (best effort: an interrupted process must still exit). */
export function removeRegisteredTemps(): void {
  for (const path of registered) {
    try {
      // An async write already handed to libuv's thread pool can still create a file in the dir while it is
      // being removed (ENOTEMPTY at the final rmdir): retry, so the dir does not outlive the exit.
      rmSync(path, { recursive: true, force: true, maxRetries: 3, retryDelay: 10 });
    } catch {
      // Nothing more can be done while exiting; the path keeps its temp name, so nothing looks complete.
    }
  }
  registered.clear();
}

/** Exit codes of a process killed by the signal (128 + signal number), as shells report them. */
export const SIGNAL_EXIT = { SIGINT: 130, SIGTERM: 143 } as const;

/** Installs SIGINT/SIGTERM handlers: remove the registered temps, report, then `exit` with 128 + signal. */
export function onInterrupt(exit: (code: number) => void): void {
  for (const [signal, code] of Object.entries(SIGNAL_EXIT)) {
    process.once(signal, () => {
      removeRegisteredTemps();
      process.stderr.write(`\nmoefy: interrupted (${signal}); temporary files removed\n`);
      exit(code);
    });
  }
}
