/** The `moefy.json` manifest of a dense export: where the weights came from and what the graph is. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { type ResolvedCheckpoint, sha256File } from '../checkpoint/resolve.js';
import type { ModelIR } from '../ir/model.js';
import { canonicalJson } from '../util/canonical-json.js';
import { VERSION } from './version.js';

export const MANIFEST_FILE = 'moefy.json';

export interface GraphIo {
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
}

export interface DenseManifestInput {
  readonly dir: string;
  readonly checkpoint: ResolvedCheckpoint;
  readonly ir: ModelIR;
  readonly dtype: string;
  readonly withPast: boolean;
  readonly graph: { readonly file: string; readonly data: string; readonly io: GraphIo };
}

/** Writes `moefy.json` (sorted keys, so identical exports give identical bytes). */
export async function writeDenseManifest(m: DenseManifestInput): Promise<void> {
  const sourceFiles = [];
  for (const f of [...m.checkpoint.files].sort((a, b) => a.name.localeCompare(b.name))) {
    sourceFiles.push({ name: f.name, size: f.size, sha256: await sha256File(f.path) });
  }
  const c = m.ir.config;
  const manifest = {
    schema: 'moefy.manifest/1',
    moefy_version: VERSION,
    kind: 'dense',
    source: { ...m.checkpoint.source, files: sourceFiles },
    model: {
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
    },
    dtype: m.dtype,
    with_past: m.withPast,
    graphs: [
      {
        file: m.graph.file,
        data: m.graph.data,
        inputs: m.graph.io.inputs,
        outputs: m.graph.io.outputs,
        sha256: {
          [m.graph.file]: await sha256File(join(m.dir, m.graph.file)),
          [m.graph.data]: await sha256File(join(m.dir, m.graph.data)),
        },
      },
    ],
  };
  await writeFile(join(m.dir, MANIFEST_FILE), `${canonicalJson(manifest, 2)}\n`);
}
