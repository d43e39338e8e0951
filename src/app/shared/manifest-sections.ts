/** Pieces of the `moefy.json` manifest shared by `export` (dense) and `convert` (MoE). */
import { join } from 'node:path';
import { type ResolvedCheckpoint, sha256File } from '../../checkpoint/resolve.js';
import type { ModelIR } from '../../ir/model.js';

export const MANIFEST_FILE = 'moefy.json';

export interface GraphIo {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

/** Where the weights came from: path or repo@sha, plus the sha256 of every source file. */
export async function sourceSection(checkpoint: ResolvedCheckpoint): Promise<Record<string, unknown>> {
  const files = [];
  for (const f of [...checkpoint.files].sort((a, b) => a.name.localeCompare(b.name))) {
    files.push({ name: f.name, size: f.size, sha256: await sha256File(f.path) });
  }
  return { ...checkpoint.source, files };
}

export function modelSection(ir: ModelIR): Record<string, unknown> {
  const c = ir.config;
  return {
    family: c.family,
    architecture: c.architecture,
    vocab: c.vocabSize,
    hidden: c.hidden,
    layers: c.numLayers,
    heads: c.numHeads,
    kv_heads: c.numKvHeads,
    head_dim: c.headDim,
    ffn_dim: c.ffnDim,
    max_positions: c.maxPositions,
    tied_embeddings: c.tiedEmbeddings,
    source_dtype: c.sourceDtype,
  };
}

export interface GraphEntry {
  readonly role: string;
  readonly file: string;
  readonly data: string;
  readonly io: GraphIo;
}

export async function graphSection(dir: string, g: GraphEntry): Promise<Record<string, unknown>> {
  return {
    role: g.role,
    file: g.file,
    data: g.data,
    inputs: g.io.inputs,
    outputs: g.io.outputs,
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
