/**
 * The one place that turns file-system error codes into words: a full disk or a read-only parent is the user's
 * to fix, so it becomes a one-line OutputError naming the path and the cause instead of a stack trace (exit 3).
 */
import { OutputError } from './errors.js';

const CAUSES: Readonly<Record<string, string>> = {
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EFBIG: 'file too large for the file system',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  EROFS: 'read-only file system',
  ENOTDIR: 'a parent path is not a directory',
  ENOENT: 'no such file or directory',
  EISDIR: 'is a directory',
  EEXIST: 'already exists',
  ENOTEMPTY: 'directory not empty',
  EMFILE: 'too many open files',
  ENAMETOOLONG: 'file name too long',
};

function errnoOf(err: unknown): NodeJS.ErrnoException | undefined {
  const e = err as NodeJS.ErrnoException | undefined;
  return e instanceof Error && typeof e.code === 'string' && e.code in CAUSES ? e : undefined;
}

export interface OutputPlace {
  /** What the user named (the output dir, the cache root): the message starts with it. */
  readonly target: string;
  /** "write the output", … */
  readonly action: string;
  /** Paths whose errors are ours to explain (default: any); an unreadable input elsewhere is not an output error. */
  readonly within?: readonly string[];
  readonly hint?: string;
}

/**
 * A known file-system error on a path under `within` (or on an fd: writes report no path) becomes an OutputError
 * "`target`: cannot `action`: cause (CODE at path)"; anything else (our own typed errors, bugs) is returned
 * unchanged for the caller to rethrow.
 */
export function asOutputError(err: unknown, where: OutputPlace): unknown {
  const e = errnoOf(err);
  if (!e) return err;
  const path = e.path;
  if (path && where.within && !where.within.some((w) => path === w || path.startsWith(`${w}/`))) return err;
  const at = path && path !== where.target ? ` at ${path}` : '';
  const hint = where.hint ? `; ${where.hint}` : '';
  const message = `${where.target}: cannot ${where.action}: ${CAUSES[e.code!]} (${e.code}${at})${hint}`;
  return new OutputError(message, { cause: err });
}
