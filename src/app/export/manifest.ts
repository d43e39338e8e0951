/** The `moefy.json` manifest of a dense export: where the weights came from and what the graph is. */
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { ResolvedCheckpoint } from '../../checkpoint/resolve.js';
import type { ModelIR } from '../../ir/model.js';
import { canonicalJson } from '../../util/canonical-json.js';
import {
  fileHashes,
  graphSection,
  type GraphIo,
  MANIFEST_FILE,
  modelSection,
  sourceSection,
} from '../shared/manifest-sections.js';
import { VERSION } from '../shared/version.js';

export { MANIFEST_FILE, type GraphIo };

export interface DenseManifestInput {
  readonly dir: string;
  readonly checkpoint: ResolvedCheckpoint;
  readonly ir: ModelIR;
  readonly dtype: string;
  readonly withPast: boolean;
  readonly graph: {
    readonly file: string;
    readonly data: string;
    readonly io: GraphIo;
    readonly dataSha256: string;
  };
}

/** Writes `moefy.json` (sorted keys, so identical exports give identical bytes). */
export async function writeDenseManifest(m: DenseManifestInput): Promise<void> {
  const manifest = {
    schema: 'moefy.manifest/1',
    moefy_version: VERSION,
    kind: 'dense',
    source: await sourceSection(m.checkpoint),
    model: modelSection(m.ir),
    dtype: m.dtype,
    with_past: m.withPast,
    graphs: [await graphSection(m.dir, { role: 'dense', ...m.graph })],
    files: await fileHashes(m.dir, [m.graph.file, m.graph.data], {
      [m.graph.data]: m.graph.dataSha256,
    }),
  };
  await writeFile(join(m.dir, MANIFEST_FILE), `${canonicalJson(manifest, 2)}\n`);
}
