/**
 * What the user typed as a model: an existing local directory, or a Hub repo id `org/name[@revision]`.
 * A path that exists always wins, so a local folder named like a repo id still resolves locally; and `org/name`
 * where `org` is a local directory holding a directory named nearly `name` is a mistyped path
 * (`fixtures/kjv-lama`), refused at once with that directory instead of being sent to the Hub.
 */
import { readdir, stat } from 'node:fs/promises';
import { basename, dirname, isAbsolute, join, resolve } from 'node:path';
import { InputError } from '../util/errors.js';
import { closest } from '../util/closest.js';

export type ModelRef =
  { kind: 'local'; path: string } | { kind: 'hub'; repo: string; revision: string | undefined };

const FORMS = "expected an existing local directory or a Hub repo id 'org/name' (optionally '@revision')";
// Hub names: letters, digits, '-', '_', '.'; no leading/trailing separator (the Hub's own rule, minus length).
const NAME = '[A-Za-z0-9](?:[A-Za-z0-9._-]*[A-Za-z0-9])?';
const REPO_ID = new RegExp(`^(${NAME}/${NAME})(?:@(.+))?$`);

export async function parseModelRef(ref: string): Promise<ModelRef> {
  const trimmed = ref.trim();
  if (trimmed === '') throw new InputError(`model reference is empty: ${FORMS}`);
  const local = await statOrNull(trimmed);
  if (local?.isDirectory()) return { kind: 'local', path: resolve(trimmed) };
  if (local) throw new InputError(`${trimmed}: is a file, ${FORMS}`);
  const near = await nearLocalDir(trimmed);
  if (near !== undefined) {
    throw new InputError(
      `${trimmed}: no such directory; did you mean ${near}? (${dirname(trimmed)}/ is a local directory)`,
    );
  }
  const match = looksLikePath(trimmed) ? null : REPO_ID.exec(trimmed);
  if (!match || match[1]!.includes('..') || match[1]!.includes('--')) {
    throw new InputError(`${trimmed}: no such directory and not a repo id; ${FORMS}`);
  }
  const revision = match[2];
  if (revision !== undefined) validateRevision(revision, trimmed);
  return { kind: 'hub', repo: match[1]!, revision };
}

/** A Hub repo id `org/name` (no revision), as a push target or dataset id; `where` names the argument. */
export function parseRepoId(id: string, where: string): string {
  const match = REPO_ID.exec(id.trim());
  if (!match || match[2] !== undefined || match[1]!.includes('..') || match[1]!.includes('--')) {
    throw new InputError(`${where}: '${id}' is not a Hub repo id; expected 'org/name'`);
  }
  return match[1]!;
}

/** Revisions become cache paths (`refs/<rev>`), so nothing that could climb out of the repo folder. */
export function validateRevision(revision: string, where: string): void {
  const segments = revision.split('/');
  const bad = /\s|\\/.test(revision) || segments.some((s) => s === '' || s === '.' || s === '..');
  if (bad)
    throw new InputError(`${where}: invalid revision '${revision}' (expected a branch, tag or commit sha)`);
}

/** For a missing `parent/name`, the directory in an existing `parent` whose name is nearly `name`. */
async function nearLocalDir(ref: string): Promise<string | undefined> {
  const parent = dirname(ref);
  if (parent === '.' || !(await statOrNull(parent))?.isDirectory()) return undefined;
  const dirs = await readdir(parent, { withFileTypes: true }).then(
    (entries) => entries.filter((e) => e.isDirectory()).map((e) => e.name),
    () => [],
  );
  const near = closest(basename(ref), dirs);
  return near === undefined ? undefined : join(parent, near);
}

function looksLikePath(ref: string): boolean {
  return isAbsolute(ref) || ref.startsWith('.') || ref.startsWith('~');
}

async function statOrNull(path: string) {
  try {
    return await stat(path);
  } catch {
    return null;
  }
}
