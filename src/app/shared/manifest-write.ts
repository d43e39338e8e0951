/** Building and writing `moefy.json` (manifest.ts): the sections that hash files, shared by `export` and `convert`. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ResolvedCheckpoint, sha256File } from '../../checkpoint/resolve.js';
import type { Precision } from '../../ir/precision.js';
import { canonicalJson } from '../../util/canonical-json.js';
import {
  type DenseManifest,
  type GraphRole,
  MANIFEST_FILE,
  type ManifestGraph,
  type ManifestSource,
  type MoeManifest,
} from './manifest.js';

export interface GraphIo {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** A graph as written, before its manifest entry is hashed. */
export interface GraphEntry {
  readonly role: GraphRole;
  readonly file: string;
  readonly data: string;
  /** The graph's precision (output.dtypes); fp32 when absent. */
  readonly dtype?: Precision;
  readonly io: GraphIo;
}

/** Where the weights came from: path or repo@sha, plus the sha256 of every source file. */
export async function sourceSection(checkpoint: ResolvedCheckpoint): Promise<ManifestSource> {
  const files = [];
  for (const f of [...checkpoint.files].sort((a, b) => a.name.localeCompare(b.name))) {
    files.push({ name: f.name, size: f.size, sha256: await sha256File(f.path) });
  }
  return { ...checkpoint.source, files };
}

export async function graphSection(dir: string, g: GraphEntry): Promise<ManifestGraph> {
  return {
    role: g.role,
    file: g.file,
    data: g.data,
    dtype: g.dtype ?? 'fp32',
    inputs: [...g.io.inputs],
    outputs: [...g.io.outputs],
    sha256: await sha256File(join(dir, g.file)),
  };
}

/**
 * sha256 of each named file in `dir` (data files shared by several graphs are listed once); `known` hashes, taken
 * as a file was written, spare re-reading it.
 */
export async function fileHashes(
  dir: string,
  names: readonly string[],
  known: Readonly<Record<string, string>> = {},
): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  for (const n of [...new Set(names)].sort()) out[n] = known[n] ?? (await sha256File(join(dir, n)));
  return out;
}

/** Writes `moefy.json` with sorted keys, so identical outputs give identical bytes. */
export async function writeManifest(dir: string, manifest: DenseManifest | MoeManifest): Promise<void> {
  await writeFile(join(dir, MANIFEST_FILE), `${canonicalJson(manifest, 2)}\n`);
}
