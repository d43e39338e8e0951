/**
 * An output directory checked against its own manifest: every file `moefy.json` lists (its `files` map and each
 * graph's sha256) must exist with the recorded sha256. `moefy check` refuses a directory that fails, and so does
 * `moefy push`: a file edited, truncated or lost after convert would otherwise be published or gated as if moefy
 * had written it.
 */
import { existsSync } from 'node:fs';
import { join } from 'node:path';
import { z } from 'zod';
import { sha256File } from '../../checkpoint/resolve.js';
import { InputError } from '../../util/errors.js';
import { MANIFEST_FILE, moeManifestSchema, readManifest } from './manifest.js';

/** The manifest's file hashes only; a manifest that lists none (a hand-written one) has nothing to verify. */
const integrityFields = z.object({
  files: moeManifestSchema.shape.files.default({}),
  graphs: z.array(moeManifestSchema.shape.graphs.element.pick({ file: true, sha256: true })).default([]),
});

/**
 * sha256 of every file the manifest lists, after checking each; throws one InputError naming every mismatch.
 * `requireFiles`: a manifest that lists no files is refused too (push publishes only what moefy wrote).
 */
export async function verifyOutputIntegrity(dir: string, requireFiles = false): Promise<Map<string, string>> {
  const path = join(dir, MANIFEST_FILE);
  const m = await readManifest(dir, integrityFields);
  if (requireFiles && Object.keys(m.files).length === 0) {
    throw new InputError(`${path}: lists no output files; expected an output directory of \`moefy convert\``);
  }
  const expected = new Map<string, string>(Object.entries(m.files));
  for (const g of m.graphs) expected.set(g.file, g.sha256);
  const problems: string[] = [];
  const hashes = new Map<string, string>();
  for (const [name, want] of [...expected].sort(([a], [b]) => a.localeCompare(b))) {
    if (name.split(/[\\/]/).includes('..')) {
      problems.push(`${name} leaves the output directory`);
      continue;
    }
    const file = join(dir, name);
    if (!existsSync(file)) {
      problems.push(`${name} is missing`);
      continue;
    }
    const got = await sha256File(file);
    if (got !== want) problems.push(`${name} changed (sha256 ${want.slice(0, 12)} → ${got.slice(0, 12)})`);
    else hashes.set(name, got);
  }
  if (problems.length > 0) {
    throw new InputError(
      `${dir}: does not match its ${MANIFEST_FILE}: ${problems.join('; ')}; rerun \`moefy convert --force\``,
    );
  }
  return hashes;
}
