/**
 * `mkdir -p` for paths users give us (output and cache dirs). Node's `{ recursive: true }` spins at 100% CPU
 * forever where a parent exists but cannot hold children, e.g. under /proc (mkdir answers ENOENT, the parent
 * EEXIST, and it retries: measured on Node 20), so we create each missing level ourselves and fail on the first
 * that cannot be made.
 */
import { existsSync, mkdirSync, statSync } from 'node:fs';
import { dirname, resolve } from 'node:path';

export function makeDirs(path: string): void {
  const missing: string[] = [];
  for (let p = resolve(path); !existsSync(p); p = dirname(p)) missing.unshift(p);
  for (const dir of missing) {
    try {
      mkdirSync(dir);
    } catch (err) {
      // A concurrent process may have just made it; anything else (a file, a dangling symlink) is an error.
      if ((err as NodeJS.ErrnoException).code !== 'EEXIST' || !isDirectory(dir)) throw err;
    }
  }
}

function isDirectory(path: string): boolean {
  try {
    return statSync(path).isDirectory();
  } catch {
    return false;
  }
}
